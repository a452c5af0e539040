"""The in-app inbox: notifications for the signed-in user and their notification choices."""

from flask import Blueprint

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

from . import routes  # noqa: E402,F401
