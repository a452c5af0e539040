"""Procurement views for vendor contacts: resend or revoke their invitation links."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from ...extensions import db
from ...models import User
from ...services import auth as auth_service
from ...services.errors import NotFound, ServiceError
from ..forms import Form
from ..helpers import roles_required
from . import bp


@bp.app_template_global("contact_state")
def contact_state(user: User):
    """(state, latest invitation) of a vendor contact, for the contacts card."""
    return auth_service.contact_state(user)


def _contact(vendor_id: int, user_id: int) -> User:
    """A vendor's contact, or 404 (also for a user of another vendor)."""
    from ...services import access

    vendor = access.get_vendor(current_user, vendor_id)
    user = db.session.get(User, user_id)
    if user is None or user.role != "vendor" or user.vendor_id != vendor.id:
        raise NotFound(f"Contact {user_id} does not exist.")
    return user


@bp.post("/vendors/<int:vendor_id>/contacts/<int:user_id>/resend")
@roles_required("procurement", "admin")
def contact_resend(vendor_id: int, user_id: int):
    """Withdraw a contact's earlier invitation links and email a fresh one."""
    user = _contact(vendor_id, user_id)
    if Form().validate_on_submit():
        try:
            _token, inv = auth_service.resend_invitation(current_user, user)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(
                f"A new invitation was sent to {user.email}; it expires on "
                f"{inv.expires_at:%d %b %Y}. Earlier links no longer work.",
                "success",
            )
    return redirect(url_for("procurement.vendor_detail", vendor_id=vendor_id) + "#contacts")


@bp.post("/vendors/<int:vendor_id>/contacts/<int:user_id>/revoke")
@roles_required("procurement", "admin")
def contact_revoke(vendor_id: int, user_id: int):
    """Withdraw a contact's unused invitation links."""
    user = _contact(vendor_id, user_id)
    if Form().validate_on_submit():
        try:
            auth_service.revoke_invitation(current_user, user)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            flash(f"The invitation of {user.email} was revoked.", "success")
    return redirect(url_for("procurement.vendor_detail", vendor_id=vendor_id) + "#contacts")
