"""Start page and the staff dashboard."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from . import exports, routes  # noqa: E402,F401
