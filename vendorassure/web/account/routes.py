"""Views: the profile page, password change, two-step sign-in set-up and API tokens."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...services import auth as auth_service
from ...services import mfa as mfa_service
from ...services import passwords
from ...services import users as user_service
from ...services.errors import ServiceError
from ...services.sso import password_login_allowed
from ..helpers import apply_errors
from ..sessions import METHOD, MFA_SETUP, start_session
from . import bp
from .forms import ApiTokenForm, ConfirmForm, MfaSetupForm, PasswordChangeForm, ProfileForm


@bp.route("/", methods=["GET", "POST"])
@login_required
def profile():
    """Show the signed-in user's profile and change the display name."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            user_service.update_profile(current_user, form.name.data, form.language.data or None)
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("account.profile"))
    return render_template(
        "account/profile.html",
        form=form,
        mfa_required=mfa_service.mfa_required(current_user),
        recovery_left=mfa_service.remaining(current_user) if current_user.mfa_enabled else 0,
        tokens=auth_service.list_api_tokens(current_user)[:5],
        uses_password=bool(current_user.password_hash) and password_login_allowed(current_user),
    )


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password_change():
    """Change the password; every other session of the user ends."""
    if not password_login_allowed(current_user):
        flash("You sign in with single sign-on; your password is managed there.", "info")
        return redirect(url_for("account.profile"))
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            user = passwords.change_password(
                current_user, form.current_password.data, form.password.data
            )
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            # The version went up: this browser gets a fresh session, all others are out.
            start_session(user, session.get(METHOD) or "password")
            flash("Your password is changed. Other browsers and devices are signed out.", "success")
            return redirect(url_for("account.profile"))
    return render_template("account/password.html", form=form)


@bp.route("/mfa", methods=["GET", "POST"])
@login_required
def mfa_setup():
    """Set up two-step sign-in with an authenticator app (QR code), confirmed by a first code."""
    if current_user.mfa_enabled:
        return render_template(
            "account/mfa.html",
            confirm=ConfirmForm(),
            required=mfa_service.mfa_required(current_user),
            left=mfa_service.remaining(current_user),
        )
    secret = session.get(MFA_SETUP) or mfa_service.new_secret()
    session[MFA_SETUP] = secret
    form = MfaSetupForm()
    if form.validate_on_submit():
        try:
            codes = mfa_service.enable_mfa(current_user, secret, form.code.data)
        except ServiceError as exc:
            apply_errors(form, exc)
        else:
            session.pop(MFA_SETUP, None)
            start_session(current_user, "password+mfa")
            return render_template(
                "account/recovery_codes.html", codes=codes, next=url_for("account.profile")
            )
    uri = mfa_service.provisioning_uri(current_user, secret)
    return render_template(
        "account/mfa_setup.html", form=form, secret=secret, qr=mfa_service.qr_svg(uri)
    )


@bp.post("/mfa/disable")
@login_required
def mfa_disable():
    """Turn two-step sign-in off (not for a role that must use it)."""
    if ConfirmForm().validate_on_submit():
        try:
            user = mfa_service.disable_mfa(current_user, current_user)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            start_session(user, "password")
            flash("Two-step sign-in is off.", "success")
    return redirect(url_for("account.profile"))


@bp.post("/mfa/recovery-codes")
@login_required
def recovery_codes_renew():
    """Replace the recovery codes with a new set, shown once."""
    if ConfirmForm().validate_on_submit():
        try:
            codes = mfa_service.regenerate_recovery_codes(current_user)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            return render_template(
                "account/recovery_codes.html", codes=codes, next=url_for("account.profile")
            )
    return redirect(url_for("account.mfa_setup"))


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def token_list():
    """List the user's API tokens and create one with an expiry (the token is shown once)."""
    form = ApiTokenForm()
    token = None
    if form.validate_on_submit():
        try:
            token, _row = auth_service.create_api_token(
                current_user, form.name.data, form.expires_in_days.data, form.password.data
            )
        except ServiceError as exc:
            apply_errors(form, exc)
    return render_template(
        "account/tokens.html",
        form=form,
        token=token,
        tokens=auth_service.list_api_tokens(current_user),
        revoke=ConfirmForm(),
        uses_password=bool(current_user.password_hash) and password_login_allowed(current_user),
    )


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    """Revoke one of the user's own API tokens."""
    if ConfirmForm().validate_on_submit():
        try:
            row = auth_service.revoke_api_token(current_user, token_id)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(f"The token {row.name} is revoked.", "success")
    return redirect(url_for("account.token_list"))
