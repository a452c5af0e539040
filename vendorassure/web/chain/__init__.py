"""The AI supply chain pages: vendor maps, concentration, change events, webhooks, answer
packages and the regulator's records."""

from flask import Blueprint

bp = Blueprint("chain", __name__, url_prefix="/chain")

from . import routes  # noqa: E402,F401
