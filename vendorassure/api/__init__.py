"""JSON API v1 blueprint."""

from . import routes  # noqa: F401  (registers the routes on bp)
from .core import bp

__all__ = ["bp"]
