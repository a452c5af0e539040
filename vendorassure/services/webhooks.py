"""Outgoing webhooks: admin-registered endpoints, signed deliveries kept in an outbox table,
retried with backoff as background jobs, visible with their responses, and replayable.

A delivery row is written in the same transaction as the change it reports (the audit event,
or the stored score), so an event is never announced for a change that rolled back, and never
lost for one that committed. The schedule's tick enqueues ``webhooks.dispatch`` while
deliveries are due; each attempt is a ``webhooks.deliver`` job of its own.

Signature (docs/WEBHOOKS.md): ``VendorAssure-Signature: t=<unix seconds>,v1=<hex>`` where
hex = HMAC-SHA256(endpoint secret, "<t>." + raw body).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Evidence, Vendor, WebhookDelivery, WebhookEndpoint
from ..models._base import utcnow
from ..queries.evidence import expiring_within
from ..validation import normalise_url
from . import audit
from .access import require_role
from .errors import Conflict, InvalidValues, NotFound
from .queries import paginate

EVENTS = {
    "assessment.submitted": "Assessment submitted",
    "assessment.completed": "Assessment completed",
    "rating.changed": "Rating changed",
    "finding.opened": "Finding opened",
    "finding.closed": "Finding closed",
    "evidence.expiring": "Certificate expiring",
    "change_event.reported": "Change event reported",
}
# audit action -> webhook event, for the events that are audit events already
_FROM_AUDIT = {
    "assessment.submitted": "assessment.submitted",
    "assessment.completed": "assessment.completed",
    "finding.created": "finding.opened",
    "change_event.reported": "change_event.reported",
}
SIGNATURE_HEADER = "VendorAssure-Signature"
MAX_ENDPOINTS = 50
RESPONSE_KEEP = 2000  # characters of a receiver's answer kept for the admin
USER_AGENT = "VendorAssure-Webhooks/1"


# ---- endpoints ----------------------------------------------------------------------------------


def check_url(url: str) -> str:
    """An http(s) address on one line, without credentials (refused otherwise, 422)."""
    if not isinstance(url, str) or "\r" in url or "\n" in url:
        raise InvalidValues("The address must be one line.", {"url": "No line breaks."})
    try:
        clean = normalise_url(url)
    except ValueError as exc:
        raise InvalidValues(str(exc), {"url": "Use an http:// or https:// address."}) from None
    if not clean or not url.strip().lower().startswith(("http://", "https://")):
        raise InvalidValues(
            "The address must start with http:// or https://.", {"url": "http(s) only."}
        )
    parts = urlsplit(clean)
    if parts.username or parts.password:
        raise InvalidValues(
            "Put no credentials in the address; deliveries are signed instead.",
            {"url": "No user:password@."},
        )
    if not current_app.config.get("WEBHOOK_ALLOW_PRIVATE") and _is_private_literal(parts.hostname):
        raise InvalidValues(
            "The address points into a private network; that needs WEBHOOK_ALLOW_PRIVATE.",
            {"url": "Private address."},
        )
    return clean


def _is_private_literal(host: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(host or "")
    except ValueError:
        return (host or "").lower() in ("localhost", "localhost.localdomain")
    return not ip.is_global


def _check_events(events) -> list[str]:
    if not isinstance(events, list) or not events:
        raise InvalidValues("Choose at least one event.", {"events": "Required."})
    unknown = sorted({str(e) for e in events} - set(EVENTS))
    if unknown:
        raise InvalidValues(
            f"Unknown event(s): {', '.join(unknown)}. Known: {', '.join(EVENTS)}.",
            {"events": "Unknown event."},
        )
    return sorted(set(events))


def create_endpoint(actor, url: str, events: list[str], description: str = "") -> WebhookEndpoint:
    """Register an endpoint; its signing secret is generated here and shown once."""
    require_role(actor, "admin")
    url = check_url(url)
    events = _check_events(events)
    if len(description or "") > 200:
        raise InvalidValues(
            "The description is longer than 200 characters.", {"description": "Too long."}
        )
    if db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) >= MAX_ENDPOINTS:
        raise Conflict(f"At most {MAX_ENDPOINTS} endpoints; remove one first.")
    ep = WebhookEndpoint(
        url=url, events=events, description=description or "",
        secret="whsec_" + secrets.token_urlsafe(32), created_by_id=actor.id,
    )  # fmt: skip
    db.session.add(ep)
    db.session.flush()
    audit.record(actor, "webhook.created", ep, details={"url": url, "events": events})
    db.session.commit()
    return ep


def update_endpoint(actor, ep: WebhookEndpoint, changes: dict[str, Any]) -> WebhookEndpoint:
    """Change an endpoint's address, events or description, or pause/resume it."""
    require_role(actor, "admin")
    if "url" in changes:
        ep.url = check_url(changes["url"])
    if "events" in changes:
        ep.events = _check_events(changes["events"])
    if "description" in changes:
        ep.description = str(changes["description"] or "")[:200]
    if "active" in changes:
        ep.active = bool(changes["active"])
    audit.record(actor, "webhook.updated", ep, details={"fields": sorted(changes)})
    db.session.commit()
    return ep


def delete_endpoint(actor, ep: WebhookEndpoint) -> None:
    """Remove an endpoint and its delivery history."""
    require_role(actor, "admin")
    audit.record(actor, "webhook.deleted", ep, details={"url": ep.url})
    db.session.execute(
        WebhookDelivery.__table__.delete().where(WebhookDelivery.endpoint_id == ep.id)
    )
    db.session.delete(ep)
    db.session.commit()


def _admin_get(user, model, object_id: int, label: str):
    require_role(user, "admin")
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound(f"{label} {object_id} does not exist.")
    return obj


def get_endpoint(user, endpoint_id: int) -> WebhookEndpoint:
    """Load an endpoint (admins only)."""
    return _admin_get(user, WebhookEndpoint, endpoint_id, "Webhook")


def get_delivery(user, delivery_id: int) -> WebhookDelivery:
    """Load a delivery (admins only)."""
    return _admin_get(user, WebhookDelivery, delivery_id, "Delivery")


# ---- capturing events (same transaction as the change) -----------------------------------------


def emit(event: str, data: dict[str, Any], event_id: str | None = None) -> int:
    """Queue an event for every active endpoint that chose it; the caller commits."""
    endpoints = db.session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.active.is_(True))
    ).all()
    targets = [eid for eid, events in endpoints if event in (events or [])]
    if not targets:
        return 0
    event_id = event_id or f"evt_{uuid.uuid4().hex}"
    body = json.dumps(
        {"id": event_id, "type": event, "created_at": utcnow().isoformat() + "Z", "data": data},
        sort_keys=True, separators=(",", ":"), default=str,
    )  # fmt: skip
    now = utcnow()
    for eid in targets:
        db.session.add(
            WebhookDelivery(endpoint_id=eid, event=event, event_id=event_id, body=body,
                            status="pending", next_attempt_at=now)
        )  # fmt: skip
    return len(targets)


def subscribed(event: str) -> bool:
    """Whether any active endpoint chose this event (one small query)."""
    rows = db.session.scalars(
        select(WebhookEndpoint.events).where(WebhookEndpoint.active.is_(True))
    ).all()
    return any(event in (events or []) for events in rows)


def capture_audit(event) -> None:
    """Turn an audit event that is also a webhook event into deliveries (audit.record calls it)."""
    action = event.action
    name = _FROM_AUDIT.get(action)
    details = event.details or {}
    if action == "finding.updated" and details.get("from") != details.get("to"):
        name = {"open": "finding.opened", "closed": "finding.closed"}.get(details.get("to"))
    if name is None:
        return
    data = {
        "object": {"type": event.object_type, "id": event.object_id},
        "vendor_id": event.vendor_id,
        "assessment_id": event.assessment_id,
        "details": {k: v for k, v in details.items() if k not in ("note", "body")},
    }
    emit(name, data)


def capture_rating_changes(records) -> None:
    """Announce score records whose rating differs from the stored one (before they are written)."""
    from ..models import Assessment

    if not records:
        return
    old = dict(
        db.session.execute(
            select(Assessment.id, Assessment.rating).where(
                Assessment.id.in_([r.assessment_id for r in records]),
                Assessment.scored_at.is_not(None),
            )
        ).all()
    )
    vendors = dict(
        db.session.execute(
            select(Assessment.id, Assessment.vendor_id).where(Assessment.id.in_(list(old)))
        ).all()
    ) if old else {}  # fmt: skip
    for r in records:
        if r.assessment_id in old and old[r.assessment_id] != r.rating:
            emit("rating.changed", {"assessment_id": r.assessment_id,
                                    "vendor_id": vendors.get(r.assessment_id),
                                    "from": old[r.assessment_id], "to": r.rating})  # fmt: skip


def emit_expiring(today: date | None = None, days: int = 30) -> int:
    """Announce certificates that expire within ``days`` (each certificate and date once)."""
    today = today or date.today()
    rows = db.session.execute(
        select(Evidence.id, Evidence.vendor_id, Vendor.name, Evidence.kind, Evidence.expires_on)
        .join(Vendor, Vendor.id == Evidence.vendor_id)
        .where(expiring_within(today, days))
    ).all()
    sent = set(
        db.session.scalars(
            select(WebhookDelivery.event_id).where(WebhookDelivery.event == "evidence.expiring")
        )
    )
    n = 0
    for eid, vid, name, kind, expires in rows:
        key = f"evt_expiring_{eid}_{expires.isoformat()}"
        if key in sent:
            continue
        n += emit("evidence.expiring", {"evidence_id": eid, "vendor_id": vid, "vendor": name,
                                        "kind": kind, "expires_on": expires.isoformat()}, key)  # fmt: skip
    db.session.commit()
    return n


# ---- delivering ---------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: str) -> str:
    """The signature header value for a body sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body.encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, tolerance: int = 300, now: int | None = None
) -> bool:
    """What a receiver does: recompute the HMAC, compare in constant time, refuse old stamps."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        ts = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs((now or int(time.time())) - ts) > tolerance:
        return False
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts.get("v1", ""))


def retry_delays() -> tuple[int, ...]:
    return tuple(current_app.config.get("WEBHOOK_RETRY_DELAYS") or (60, 300, 1800, 7200, 43200))


def due(now: datetime | None = None, limit: int = 200) -> list[tuple[int, int]]:
    """(delivery id, next attempt number) of deliveries owed now."""
    now = now or utcnow()
    return [
        (i, a + 1)
        for i, a in db.session.execute(
            select(WebhookDelivery.id, WebhookDelivery.attempts)
            .where(
                WebhookDelivery.status.in_(("pending", "retrying")),
                or_(WebhookDelivery.next_attempt_at.is_(None),
                    WebhookDelivery.next_attempt_at <= now),
            )
            .order_by(WebhookDelivery.id)
            .limit(limit)
        ).all()
    ]  # fmt: skip


def dispatch_due(now: datetime | None = None) -> int:
    """Enqueue one ``webhooks.deliver`` job per owed attempt (keyed: each attempt runs once)."""
    from ..jobs import enqueue

    owed = due(now)
    db.session.commit()
    for delivery_id, attempt in owed:
        enqueue("webhooks.deliver", key=f"webhooks.deliver:{delivery_id}:{attempt}",
                delivery_id=delivery_id)  # fmt: skip
    return len(owed)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirect is an answer, not a new target
        return None


def _refuse_private_target(url: str) -> None:
    """Refuse an address that resolves into a private network (unless allowed by setting)."""
    if current_app.config.get("WEBHOOK_ALLOW_PRIVATE"):
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP):
        if not ipaddress.ip_address(info[4][0]).is_global:
            raise OSError(f"{parts.hostname} resolves to a private address ({info[4][0]})")


def post(url: str, secret: str, body: str, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """POST one signed body; return (status, response text, error). Never follows redirects."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None, "", "only http(s) addresses are delivered to"
    ts = int(time.time())
    req = urllib.request.Request(  # noqa: S310  (the scheme is checked above)
        url, data=body.encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT,
                 SIGNATURE_HEADER: sign(secret, ts, body), **headers},
    )  # fmt: skip
    opener = urllib.request.build_opener(_NoRedirect)
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT_SECONDS") or 5)
    try:
        _refuse_private_target(url)
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.read(RESPONSE_KEEP).decode("utf-8", "replace"), ""
    except urllib.error.HTTPError as exc:
        text = exc.read(RESPONSE_KEEP).decode("utf-8", "replace") if exc.fp else ""
        return exc.code, text, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:500]


def deliver(delivery_id: int) -> dict[str, Any]:
    """Make one attempt at a delivery; record the answer; schedule the next try on failure."""
    d = db.session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
    )
    if d is None or d.status in ("delivered", "failed"):
        db.session.rollback()
        return {"skipped": True}
    ep = db.session.get(WebhookEndpoint, d.endpoint_id)
    d.attempts += 1
    attempt = d.attempts
    # a lease while the attempt is in flight: a dispatch meanwhile does not send it twice, and a
    # worker that dies mid-attempt leaves it due again once the lease ends
    lease = float(current_app.config.get("WEBHOOK_TIMEOUT_SECONDS") or 5) + 30
    d.next_attempt_at = utcnow() + timedelta(seconds=lease)
    url, secret, body = ep.url, ep.secret, d.body
    db.session.commit()  # no row lock held while waiting on the network
    status, text, error = post(url, secret, body, {"VendorAssure-Event": d.event,
                                                    "VendorAssure-Delivery": str(delivery_id)})  # fmt: skip
    d = db.session.get(WebhookDelivery, delivery_id)
    d.response_status, d.response_body, d.last_error = status, text, error
    delays = retry_delays()
    if status is not None and 200 <= status < 300:
        d.status, d.delivered_at, d.next_attempt_at = "delivered", utcnow(), None
    elif attempt > len(delays):
        d.status, d.next_attempt_at = "failed", None
    else:
        d.status = "retrying"
        d.next_attempt_at = utcnow() + timedelta(seconds=delays[attempt - 1])
    db.session.commit()
    return {"delivery": delivery_id, "attempt": attempt, "status": d.status, "http": status}


def replay(actor, d: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's body again, as a new delivery (same event id), now."""
    require_role(actor, "admin")
    copy = WebhookDelivery(endpoint_id=d.endpoint_id, event=d.event, event_id=d.event_id,
                           body=d.body, status="pending", next_attempt_at=utcnow(),
                           replay_of_id=d.id)  # fmt: skip
    db.session.add(copy)
    db.session.flush()
    audit.record(actor, "webhook.replayed", copy, details={"of": d.id, "event": d.event})
    db.session.commit()
    from ..jobs import enqueue

    enqueue("webhooks.deliver", key=f"webhooks.deliver:{copy.id}:1", delivery_id=copy.id)
    return db.session.get(WebhookDelivery, copy.id)


def deliveries(endpoint_id: int, page: int = 1, per_page: int = 50):
    """An endpoint's deliveries, newest first, and their total."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    return paginate(stmt, page, per_page, (WebhookDelivery.id.desc(),))


def endpoint_json(ep: WebhookEndpoint, secret: bool = False) -> dict[str, Any]:
    body = {"id": ep.id, "url": ep.url, "description": ep.description, "events": ep.events,
            "active": ep.active, "created_at": ep.created_at.isoformat()}  # fmt: skip
    if secret:
        body["secret"] = ep.secret
    return body


def delivery_json(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.id, "endpoint_id": d.endpoint_id, "event": d.event, "event_id": d.event_id,
        "status": d.status, "attempts": d.attempts, "response_status": d.response_status,
        "response_body": d.response_body, "last_error": d.last_error,
        "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
        "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None,
        "replay_of_id": d.replay_of_id, "created_at": d.created_at.isoformat(), "body": d.body,
    }  # fmt: skip
