"""Views: start page and portfolio dashboard."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user

from ...models import RATINGS
from ...services import portfolio
from ..helpers import home_for, roles_required
from . import bp


@bp.get("/")
def index():
    """Send each role to its start page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(home_for(current_user))


@bp.get("/dashboard")
@roles_required("admin", "procurement", "risk")
def dashboard():
    """Show the portfolio: vendors by rating, assessments by status, overdue work."""
    data = portfolio.summary()
    return render_template(
        "main/dashboard.html", data=data, ratings=RATINGS, overdue=portfolio.overdue_assessments()
    )
