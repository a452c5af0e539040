"""Risk review: the queue, the assessment review page, evidence verification, decisions."""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from . import routes  # noqa: E402,F401
