"""Procurement: vendors, intake and tiering, issuing assessments, contacts."""

from flask import Blueprint

bp = Blueprint("procurement", __name__, url_prefix="/procurement")

from . import campaigns, contacts, routes  # noqa: E402,F401
