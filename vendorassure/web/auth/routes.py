"""Views: sign-in (password, second factor, single sign-on), sign-out, password reset, invitations."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from ...extensions import limiter
from ...services import auth as auth_service
from ...services import mfa as mfa_service
from ...services import passwords
from ...services import sso as sso_service
from ...services.errors import ServiceError
from ..helpers import apply_errors, home_for, safe_next
from ..sessions import MFA_SETUP, end_browser_session, pending_user, set_pending, start_session
from . import bp
from .forms import (
    InvitationAcceptForm,
    LoginForm,
    MfaCodeForm,
    MfaSetupForm,
    PasswordForgotForm,
    PasswordResetForm,
)


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit():
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _after_password(user, step: str | None, next_url: str):
    if step is None:
        start_session(user, "password")
        return redirect(next_url)
    set_pending(user, step, next_url)
    return redirect(url_for("auth.login_mfa" if step == "verify" else "auth.login_mfa_setup"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Sign in with email and password (then the second factor, where one is set up)."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user, step = auth_service.sign_in(form.email.data, form.password.data)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            return _after_password(user, step, safe_next(request.args.get("next"), home_for(user)))
    return render_template(
        "auth/login.html",
        form=form,
        sso=sso_service.sso_configured(),
        next=request.args.get("next", ""),
    )


@bp.route("/login/mfa", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login_mfa():
    """Second step of signing in: a code from the authenticator app or a recovery code."""
    user, pending = pending_user()
    if user is None or pending.get("step") != "verify":
        flash("Sign in again to continue.", "info")
        return redirect(url_for("auth.login"))
    form = MfaCodeForm()
    if form.validate_on_submit():
        try:
            kind = mfa_service.sign_in_with_code(user, form.code.data)
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            start_session(user, "password+mfa")
            if kind == "recovery_code":
                left = mfa_service.remaining(user)
                flash(
                    f"You signed in with a recovery code; {left} left. Make new ones on your "
                    "profile if you lost your device.",
                    "info",
                )
            return redirect(pending["next"])
    return render_template("auth/login_mfa.html", form=form)


@bp.route("/login/mfa/setup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login_mfa_setup():
    """Set up two-step sign-in, required for this role, before the sign-in completes."""
    user, pending = pending_user()
    if user is None or pending.get("step") != "enrol":
        flash("Sign in again to continue.", "info")
        return redirect(url_for("auth.login"))
    secret = session.get(MFA_SETUP) or mfa_service.new_secret()
    session[MFA_SETUP] = secret
    form = MfaSetupForm()
    if form.validate_on_submit():
        try:
            codes = mfa_service.enrol_at_sign_in(user, secret, form.code.data)
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            session.pop(MFA_SETUP, None)
            start_session(user, "password+mfa")
            return render_template("account/recovery_codes.html", codes=codes, next=pending["next"])
    uri = mfa_service.provisioning_uri(user, secret)
    return render_template(
        "auth/login_mfa_setup.html", form=form, secret=secret, qr=mfa_service.qr_svg(uri)
    )


@bp.get("/login/sso")
def sso_start():
    """Send the browser to the organisation's identity provider (OpenID Connect)."""
    try:
        return sso_service.start_sso()
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("auth.login"))


@bp.get("/login/sso/callback")
@limiter.limit(_login_limit)
def sso_callback():
    """Come back from the identity provider: validate its answer and sign in."""
    try:
        user = sso_service.finish_sso()
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("auth.login"))
    start_session(user, "sso")
    return redirect(home_for(user))


@bp.post("/logout")
@login_required
def logout():
    """Sign out: every session of this user ends, on every device."""
    auth_service.sign_out(current_user)
    logout_user()
    end_browser_session()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def password_forgot():
    """Ask for a password-reset link by email (the answer never says whether the email exists)."""
    form = PasswordForgotForm()
    if form.validate_on_submit():
        flash(passwords.request_password_reset(form.email.data), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/password_forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def password_reset(token: str):
    """Choose a new password through an emailed link (single use, expiring)."""
    _row, state = passwords.reset_state(token)
    if state != "valid":
        status = 404 if state == "unknown" else 410
        return render_template("auth/password_reset_invalid.html", state=state), status
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            passwords.reset_password(token, form.password.data)
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            if current_user.is_authenticated:
                logout_user()
            end_browser_session()
            flash("Your password is changed. Sign in with the new one.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password_reset.html", form=form)


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
            flash("Welcome! Your password is set.", "success")
            target = (
                url_for("portal.assessment_answer", assessment_id=inv.assessment_id)
                if inv.assessment_id
                else url_for("portal.index")
            )
            return _after_password(user, mfa_service.second_step(user), target)
    return render_template("auth/invitation_accept.html", form=form, invitation=inv)
