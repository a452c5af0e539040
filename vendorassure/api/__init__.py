"""JSON API v1 blueprint."""

from . import (  # noqa: F401  (each module registers its routes on bp)
    account_routes,
    audit_routes,
    campaigns_routes,
    chain_routes,
    findings_routes,
    jobs_routes,
    library_routes,
    notifications_routes,
    portal_routes,
    reports_routes,
    routes,
)
from .core import bp

__all__ = ["bp"]
