"""Append events to the hash-chained audit log, inside the caller's transaction."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select, text

from ..extensions import db
from ..models import AuditEvent
from ..models._base import utcnow

GENESIS = "0" * 64


def _digest(prev_hash: str, event: AuditEvent) -> str:
    payload = json.dumps(
        {
            "prev": prev_hash,
            "at": event.at.isoformat(),
            "actor": event.actor_id,
            "action": event.action,
            "object": [event.object_type, event.object_id],
            "details": event.details,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    actor,
    action: str,
    obj=None,
    *,
    object_type: str | None = None,
    details=None,
    assessment_id: int | None = None,
    vendor_id: int | None = None,
) -> AuditEvent:
    """Add one audit event chained to the previous one; the caller commits."""
    # current_user is a proxy: name the object by what it stands for, not by the proxy type.
    obj = getattr(obj, "_get_current_object", lambda: obj)()
    if db.session.get_bind().dialect.name == "postgresql":
        # Serialise writers so that two transactions never chain onto the same predecessor.
        db.session.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
    prev = db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    if obj is not None:
        db.session.flush()
    event = AuditEvent(
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        object_type=object_type or (type(obj).__name__.lower() if obj is not None else "system"),
        object_id=getattr(obj, "id", None),
        assessment_id=assessment_id,
        vendor_id=vendor_id,
        details=details or {},
        prev_hash=prev or GENESIS,
    )
    event.hash = _digest(event.prev_hash, event)
    db.session.add(event)
    from .webhooks import capture_audit

    capture_audit(event)  # an outbox row in the same transaction, for subscribed endpoints
    return event


def verify_chain() -> tuple[bool, int | None]:
    """Recompute the chain; return (intact, id of the first broken event)."""
    prev = GENESIS
    for event in db.session.scalars(
        select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    ):
        if event.prev_hash != prev or _digest(prev, event) != event.hash:
            return False, event.id
        prev = event.hash
    return True, None
