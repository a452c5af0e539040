"""The trail in words: runs of answer saves and of identical bulk decisions become one line."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from vendorassure.queries.trail import group_events


def _ev(i, action, actor="Dana Okafor", **details):
    return SimpleNamespace(
        id=i, action=action, details=details, actor=SimpleNamespace(display_name=actor),
        actor_label="x", at=datetime(2026, 12, 1, 10, 0) + timedelta(minutes=i),
    )  # fmt: skip


def test_runs_become_one_line_newest_first():
    events = [
        *[_ev(i, "finding.updated", **{"from": "proposed", "to": "closed"}) for i in (9, 8, 7)],
        _ev(6, "assessment.submitted", "Sam Vendor"),
        *[_ev(i, "answer.saved", "Sam Vendor", question=f"q{i}") for i in (5, 4, 3, 2)],
        _ev(
            1, "assessment.rating_overridden", computed="critical", override="high", reason="Pilot"
        ),
    ]
    texts = {f"q{i}": f"Question {i}?" for i in range(6)}
    sections = {f"q{i}": "Data for AI systems" for i in range(6)}
    lines = [(t.actor, t.text) for t in group_events(events, texts, sections)]
    assert lines == [
        ("Dana Okafor", "updated a finding proposed → closed (3 times)"),
        ("Sam Vendor", "submitted the answers"),
        ("Sam Vendor", "answered 4 questions in Data for AI systems"),
        ("Dana Okafor", "overrode the rating Critical → High: Pilot"),
    ]
    run = group_events(events, texts, sections)[2]
    assert (run.first_at.minute, run.last_at.minute) == (2, 5)
