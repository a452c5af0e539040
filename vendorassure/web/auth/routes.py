"""Views: login, logout, invitation acceptance."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ...extensions import limiter
from ...services import auth as auth_service
from ...services.errors import ServiceError
from ..helpers import apply_errors, home_for, safe_next
from . import bp
from .forms import ApiTokenForm, InvitationAcceptForm, LoginForm


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = auth_service.authenticate(form.email.data, form.password.data)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            login_user(user)
            return redirect(safe_next(request.args.get("next"), home_for(user)))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Sign out."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invitation_accept(token: str):
    """Open an invitation link, set a password and sign in."""
    inv, state = auth_service.invitation_state(token)
    if state != "valid":
        return render_template(
            "auth/invitation_invalid.html", state=state
        ), 410 if state != "unknown" else 404
    form = InvitationAcceptForm(name=inv.user.name)
    if form.validate_on_submit():
        try:
            user = auth_service.accept_invitation(token, form.password.data, form.name.data)
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            logout_user()
            login_user(user)
            flash("Welcome! Your password is set.", "success")
            if inv.assessment_id:
                return redirect(
                    url_for("portal.assessment_answer", assessment_id=inv.assessment_id)
                )
            return redirect(url_for("portal.index"))
    return render_template("auth/invitation_accept.html", form=form, invitation=inv)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def token_create():
    """Create an API token for the signed-in user (shown once)."""
    form = ApiTokenForm()
    token = None
    if form.validate_on_submit():
        try:
            token, _row = auth_service.issue_api_token(
                current_user.email, form.password.data, form.name.data
            )
        except ServiceError as exc:
            apply_errors(form, exc)
    return render_template("auth/tokens.html", form=form, token=token)
