"""Administration: users, the questionnaire library and the staff control catalog."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import jobs, routes  # noqa: E402,F401
