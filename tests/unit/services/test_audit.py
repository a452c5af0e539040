"""The audit log is hash-chained: any edit of a past event breaks the chain."""

from __future__ import annotations

from sqlalchemy import select

from vendorassure.models import AuditEvent
from vendorassure.services.audit import GENESIS, verify_chain


def test_every_state_change_is_audited_in_a_chain(make, db):
    vendor = make.vendor()
    make.assessment(vendor)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert len(events) >= 4
    assert events[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    assert verify_chain() == (True, None)


def test_tampering_is_detected(make, db):
    make.assessment()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    target = events[len(events) // 2]
    target.details = {**target.details, "tampered": True}
    db.session.commit()
    assert verify_chain() == (False, target.id)
