"""The signed-in user's own account: profile, password, two-step sign-in, API tokens."""

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from . import routes  # noqa: E402,F401
