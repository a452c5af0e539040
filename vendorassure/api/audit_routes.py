"""The hash-chained audit log over the API: staff read the raw events, newest first."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from pydantic import Field
from sqlalchemy import select

from ..models import AuditEvent
from ..services.errors import InvalidValues
from ..services.queries import paginate
from .core import Id, Line, Paging, endpoint, page_body
from .serializers import iso


class AuditQuery(Paging):
    action: Line | None = Field(None, max_length=60)
    object: Line | None = Field(None, max_length=30)
    object_id: Id | None = None
    actor_id: Id | None = None
    assessment_id: Id | None = None
    vendor_id: Id | None = None
    since: Line | None = Field(None, max_length=40)


def _since(value: str) -> datetime:
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time.min)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValues(
            "since must be a date (YYYY-MM-DD) or an ISO date and time.",
            {"since": "Not a date."},
        ) from None
    if parsed.tzinfo is not None:  # stored times are naive UTC
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def event_out(e: AuditEvent) -> dict:
    """One event as stored: who, what, on which object, its details and its chain hashes."""
    return {
        "id": e.id,
        "at": iso(e.at),
        "actor_id": e.actor_id,
        "actor": e.actor_label,
        "action": e.action,
        "object": e.object_type,
        "object_id": e.object_id,
        "assessment_id": e.assessment_id,
        "vendor_id": e.vendor_id,
        "details": e.details,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


@endpoint(
    "/audit-events",
    "GET",
    "The hash-chained audit events, newest first (filter by action, object, actor, since)",
    ("admin", "risk"),
    query=AuditQuery,
)
def audit_events_list(query: AuditQuery):
    stmt = select(AuditEvent)
    if query.action:
        # "finding" matches every finding.* action; "finding.updated" exactly that one.
        if "." in query.action:
            stmt = stmt.where(AuditEvent.action == query.action)
        else:
            stmt = stmt.where(AuditEvent.action.startswith(f"{query.action}.", autoescape=True))
    for column, value in (
        (AuditEvent.object_type, query.object),
        (AuditEvent.object_id, query.object_id),
        (AuditEvent.actor_id, query.actor_id),
        (AuditEvent.assessment_id, query.assessment_id),
        (AuditEvent.vendor_id, query.vendor_id),
    ):
        if value is not None and value != "":
            stmt = stmt.where(column == value)
    if query.since:
        stmt = stmt.where(AuditEvent.at >= _since(query.since))
    rows, total = paginate(stmt, query.page, query.per_page, (AuditEvent.id.desc(),))
    return page_body([event_out(e) for e in rows], query.page, query.per_page, total)


@endpoint(
    "/assessments/<int:assessment_id>/review",
    "GET",
    "The review at a glance (the review page's data): answers needing attention, objectives, "
    "evidence with its verification, findings counts and the trail in words",
    ("admin", "procurement", "risk"),
)
def assessment_review_get(assessment_id: int):
    from ..labels import label
    from ..queries import trail
    from ..queries.findings import finding_counts
    from ..queries.review import ASSESSMENT_OPTIONS, load_review_page, objective_groups
    from ..services import access
    from .core import current_user

    a = access.get_assessment(current_user(), assessment_id, options=ASSESSMENT_OPTIONS)
    page = load_review_page(a, loaded=True)
    a = page.assessment
    groups = objective_groups(page, page.view)
    texts = {q.key: q.text for q in page.questions}
    sections = {q.key: g["title"] or g["ref"] for g in groups for q in g["questions"]}
    keys = page.question_keys
    staff = {u.id: u.display_name for u in page.staff}
    return {
        "assessment_id": a.id,
        "status": a.status,
        "attention": [
            {"question_key": q.key, "question": q.text, "reasons": page.attention[q.key]}
            for q in page.questions
            if q.key in page.attention
        ],
        "objectives": [
            {
                "ref": g["ref"],
                "title": g["title"],
                "questions": len(g["questions"]),
                "attention": g["attention"],
                "score": g["objective"]["score"] if g["objective"] else None,
                "coverage": g["objective"]["coverage"] if g["objective"] else None,
            }
            for g in groups
        ],
        "evidence": [
            {
                "id": e.id,
                "original_name": e.original_name,
                "kind": e.kind,
                "kind_label": label(e.kind),
                "question_key": keys.get(qid),
                "in_library": e.in_library,
                "verification": e.verification,
                "verification_label": label(e.verification, "verification"),
                "verified_by": staff.get(e.verified_by_id),
                "verified_at": iso(e.verified_at),
            }
            for e, qid in page.evidence
        ],
        "findings": finding_counts(assessment_id=a.id),
        "trail": [
            {
                "kind": t.kind,
                "actor": t.actor,
                "text": t.text,
                "note": t.note,
                "from": iso(t.first_at),
                "to": iso(t.last_at),
                "events": len(t.event_ids),
            }  # fmt: skip
            for t in trail.group_events(page.events, texts, sections)[:100]
        ],
    }
