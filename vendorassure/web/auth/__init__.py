"""Sign-in, sign-out, invitations and API tokens in the browser."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes  # noqa: E402,F401
