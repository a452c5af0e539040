"""Views of the inbox: the list with an unread count, marking read, and the choices per kind."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ...models import NOTIFICATION_KINDS, Notification
from ...services import notifications
from ...services.errors import ServiceError
from ...services.queries import page_arg, paginate
from ..forms import Form
from ..helpers import roles_required
from ..page_cache import page_cache
from . import bp

ALL = ("admin", "procurement", "risk", "vendor")
PER_PAGE = 25


class InboxForm(Form):
    """CSRF only: the inbox forms carry no other fields WTForms must check."""


@bp.app_context_processor
def unread_badge():
    """The unread count for the top bar (staff only): loaded with the signed-in user, else one
    statement, once per request however many templates render."""
    user = current_user
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False)):
        return {"inbox_unread": None}
    if g.get("inbox_unread") is None:
        g.inbox_unread = notifications.unread_count(user)
    return {"inbox_unread": g.inbox_unread, "inbox_badge": inbox_badge}


def inbox_badge(count: int | None) -> Markup:
    """The top bar's unread badge; a placeholder in a page being kept (``web.page_cache``)."""
    from ..page_cache import filling, hole

    return Markup(hole("inbox-badge")) if filling() else badge_html(count)  # noqa: S704


def badge_html(count: int | None) -> Markup:
    if not count:
        return Markup("")
    return Markup(  # noqa: S704 (the count is an int, the label escaped by format)
        '<span class="badge unread" id="inbox-unread" aria-label="{label}">{n}</span>'
    ).format(label=_("%(num)s unread", num=count), n=count)


@bp.get("/")
@roles_required(*ALL)
@page_cache
def inbox_list():
    """The user's notifications, newest first, unread ones marked; ?unread=1 for those only."""
    unread_only = request.args.get("unread") == "1"
    page = page_arg(request.args)
    rows, total = paginate(
        notifications.inbox_query(current_user, unread_only),
        page,
        PER_PAGE,
        (Notification.id.desc(),),
    )
    return render_template(
        "inbox/index.html",
        rows=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        unread_only=unread_only,
        kinds=NOTIFICATION_KINDS,
        form=InboxForm(),
    )


@bp.post("/<int:notification_id>/read")
@roles_required(*ALL)
def notification_read(notification_id: int):
    """Mark one notification read and follow its link (or come back to the inbox)."""
    if InboxForm().validate_on_submit():
        try:
            notifications.mark_read(current_user, notification_id)
        except ServiceError as exc:
            flash(exc.message, "error")
            return redirect(url_for("inbox.inbox_list"))
        if request.form.get("open") == "1":
            n = notifications.get_own(current_user, notification_id)
            if n.link:
                return redirect(notifications.local_path(n.link))
    return redirect(url_for("inbox.inbox_list"))


@bp.post("/read-all")
@roles_required(*ALL)
def notifications_read_all():
    """Mark every notification read."""
    if InboxForm().validate_on_submit():
        n = notifications.mark_read(current_user)
        flash(f"{n} notification(s) marked read.", "success")
    return redirect(url_for("inbox.inbox_list"))


@bp.route("/preferences", methods=["GET", "POST"])
@roles_required(*ALL)
def notification_preferences():
    """Choose, per kind, the inbox, email, both or neither."""
    form = InboxForm()
    if request.method == "POST" and form.validate_on_submit():
        choices = {
            kind: {
                "in_app": request.form.get(f"{kind}-in_app") == "y",
                "email": request.form.get(f"{kind}-email") == "y",
            }
            for kind in NOTIFICATION_KINDS
        }
        notifications.set_preferences(current_user, choices)
        flash("Your notification choices are saved.", "success")
        return redirect(url_for("inbox.notification_preferences"))
    return render_template(
        "inbox/preferences.html",
        prefs=notifications.preferences(current_user),
        kinds=NOTIFICATION_KINDS,
        form=form,
    )
