"""The signed-in user's notifications over the API, and their choices per kind."""

from __future__ import annotations

from pydantic import BaseModel

from ..models import NOTIFICATION_KINDS, Notification
from ..services import notifications
from ..services.queries import paginate
from ..web.page_cache import page_cache
from .core import Paging, Schema, current_user, endpoint, page_body
from .serializers import iso

ANY = ("admin", "procurement", "risk", "vendor")


class NotificationQuery(Paging):
    unread: bool | None = None


class Channels(BaseModel):
    in_app: bool = True
    email: bool = True


class Preferences(Schema):
    kinds: dict[str, Channels]


def notification_out(n: Notification) -> dict:
    return {
        "id": n.id,
        "kind": n.kind,
        "kind_label": NOTIFICATION_KINDS.get(n.kind, n.kind),
        "title": n.title,
        "body": n.body,
        "link": n.link,
        "assessment_id": n.assessment_id,
        "created_at": iso(n.created_at),
        "read_at": iso(n.read_at),
    }


@endpoint("/notifications", "GET", "Your notifications, newest first (?unread=true)", ANY,
          query=NotificationQuery)  # fmt: skip
@page_cache
def notifications_list(query: NotificationQuery):
    user = current_user()
    rows, total = paginate(
        notifications.inbox_query(user, bool(query.unread)),
        query.page,
        query.per_page,
        (Notification.id.desc(),),
    )
    body = page_body([notification_out(n) for n in rows], query.page, query.per_page, total)
    return {**body, "unread": notifications.unread_count(user)}


@endpoint("/notifications/<int:notification_id>/read", "POST", "Mark a notification read", ANY)
def notification_read(notification_id: int):
    user = current_user()
    notifications.mark_read(user, notification_id)
    return notification_out(notifications.get_own(user, notification_id))


@endpoint("/notifications/preferences", "GET", "Your choices: per kind, inbox and email", ANY)
def notification_preferences_get():
    return {"kinds": notifications.preferences(current_user())}


@endpoint("/notifications/preferences", "PUT", "Choose per kind: inbox and email", ANY,
          body=Preferences)  # fmt: skip
def notification_preferences_put(body: Preferences):
    choices = {k: v.model_dump() for k, v in body.kinds.items()}
    return {"kinds": notifications.set_preferences(current_user(), choices)}
