"""Change events: a change at a vendor (reported in the portal, by staff or through the API)
mapped to the controls it touches, a provisional re-rating, and a scoped reassessment that
re-opens only the affected questions (on top of the tier's reassessment cadence)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update

from ..extensions import db
from ..models import (
    CERTIFICATE_KINDS,
    CHANGE_KINDS,
    Answer,
    Assessment,
    ChangeEvent,
    Control,
    Evidence,
    Question,
    QuestionControl,
    Vendor,
)
from ..scoring import score_assessment
from ..scoring.vocabulary import load_vocabulary
from . import audit
from .access import require_role
from .assessments import issue_assessment
from .errors import Conflict, InvalidValues, NotFound
from .library import scoring_model
from .queries import paginate
from .supply_chain import content
from .values import parse_date

REPORTERS = ("vendor", "procurement", "risk", "admin")
ISSUERS = ("procurement", "admin")
MAX_DESCRIPTION = 5000


def kind_label(kind: str) -> str:
    return load_vocabulary().label("change_kinds", kind)


def rule_for(kind: str) -> dict[str, Any]:
    """What a kind of change touches (questionnaires/chain/supply-chain.yaml)."""
    return (content().get("change_events") or {}).get(kind) or {}


def _latest(vendor_id: int, completed_only: bool = False) -> Assessment | None:
    stmt = select(Assessment).where(Assessment.vendor_id == vendor_id)
    if completed_only:
        stmt = stmt.where(Assessment.status == "completed")
    else:
        stmt = stmt.where(Assessment.scored_at.is_not(None), Assessment.status != "cancelled")
    return db.session.scalar(stmt.order_by(Assessment.id.desc()).limit(1))


def affected(questionnaire_id: int | None, kind: str) -> tuple[list[str], list[str]]:
    """The affected questions the questionnaire asks, and their controls (catalog order)."""
    keys = [str(k) for k in rule_for(kind).get("questions") or []]
    if questionnaire_id is None or not keys:
        return [], []
    asked = db.session.execute(
        select(Question.key, Question.order)
        .where(Question.questionnaire_id == questionnaire_id, Question.key.in_(keys))
        .order_by(Question.order)
    ).all()
    refs = db.session.scalars(
        select(Control.ref)
        .join(QuestionControl, QuestionControl.control_id == Control.id)
        .join(Question, Question.id == QuestionControl.question_id)
        .where(Question.questionnaire_id == questionnaire_id, Question.key.in_(keys))
        .group_by(Control.ref, Control.position)
        .order_by(Control.position)
    ).all()
    return [k for k, _ in asked], list(refs)


def _with_credit_controls(controls: list[str], kinds: list[str]) -> list[str]:
    """Add the controls whose certificate credit a suspension of these kinds withdraws."""
    credits = [c for k, c in scoring_model().certificate_credits.items() if k in kinds]
    refs = db.session.scalars(select(Control.ref).order_by(Control.position)).all()
    chosen = set(controls) | {r for r in refs if any(c.covers(r) for c in credits)}
    return [r for r in refs if r in chosen]


def _provisional(vendor: Vendor, kind: str, keys: list[str], suspended: list[int]) -> dict:
    """Re-rate the latest scored assessment as if the affected answers were not given (and the
    suspended certificates withdrawn): what we know for sure until the vendor answers again."""
    from .scoring import build_input

    latest = _latest(vendor.id)
    if latest is None:
        return {}
    inp = build_input(latest)
    answers = {k: a for k, a in inp.answers.items() if k not in set(keys)}
    result = score_assessment(replace(inp, answers=answers), scoring_model())
    return {
        "assessment_id": latest.id,
        "rating_before": latest.final_rating,
        "risk_before": latest.risk_score,
        "rating_after": result.rating,
        "risk_after": result.risk_score,
        "suspended_certificates": suspended,
    }


def report_change(
    actor,
    vendor: Vendor,
    kind: str,
    description: str,
    occurred_on,
    source: str,
    certificate_kind: str | None = None,
) -> ChangeEvent:
    """Record a change event, withdraw a suspended certificate's credit now, re-rate the vendor
    provisionally and work out the scoped reassessment (issued by procurement)."""
    require_role(actor, *REPORTERS)
    if kind not in CHANGE_KINDS:
        raise InvalidValues(
            f"kind must be one of {', '.join(CHANGE_KINDS)}.", {"kind": "Unknown kind."}
        )
    description = (description or "").strip()
    if not description:
        raise InvalidValues("Say what changed.", {"description": "Required."})
    if len(description) > MAX_DESCRIPTION:
        raise InvalidValues(
            f"The description is longer than {MAX_DESCRIPTION} characters.",
            {"description": "Too long."},
        )
    when = parse_date(occurred_on, "occurred_on") or date.today()
    if when > date.today() or when < date.today() - timedelta(days=3650):
        raise InvalidValues(
            "occurred_on must be a date in the last ten years, not in the future.",
            {"occurred_on": "Out of range."},
        )
    if certificate_kind is not None and (
        kind != "certificate_suspended" or certificate_kind not in CERTIFICATE_KINDS
    ):
        raise InvalidValues(
            "certificate_kind names a certificate kind, and only for a suspended certificate.",
            {"certificate_kind": "Not valid here."},
        )
    latest = _latest(vendor.id)
    keys, controls = affected(latest.questionnaire_id if latest else None, kind)
    suspended: list[int] = []
    if kind == "certificate_suspended":
        kinds = [certificate_kind] if certificate_kind else rule_for(kind).get("suspends") or []
        certs = db.session.scalars(
            select(Evidence)
            .where(
                Evidence.vendor_id == vendor.id,
                Evidence.kind.in_(kinds),
                Evidence.suspended_on.is_(None),
            )
            .with_for_update()
        ).all()
        for ev in certs:
            ev.suspended_on = when
            suspended.append(ev.id)
        controls = _with_credit_controls(controls, kinds)
    db.session.flush()
    event = ChangeEvent(
        vendor_id=vendor.id,
        kind=kind,
        description=description,
        occurred_on=when,
        source=source,
        reported_by_id=actor.id,
        controls=controls,
        question_keys=keys,
        provisional=_provisional(vendor, kind, keys, suspended),
    )
    db.session.add(event)
    if suspended and latest is not None:
        from .scoring import score_assessment_now

        score_assessment_now(latest)  # the credit is withdrawn now, on the record
    audit.record(
        actor,
        "change_event.reported",
        event,
        vendor_id=vendor.id,
        details={"kind": kind, "source": source, "questions": keys, "controls": controls,
                 "suspended_certificates": suspended,
                 "rating_after": event.provisional.get("rating_after")},
    )  # fmt: skip
    db.session.commit()
    return event


def get_event(user, event_id: int) -> ChangeEvent:
    """Load a change event the user may see (a vendor: its own only, else 404)."""
    event = db.session.get(ChangeEvent, event_id) if isinstance(event_id, int) else None
    if event is None or (user.role == "vendor" and event.vendor_id != user.vendor_id):
        raise NotFound(f"Change event {event_id} does not exist.")
    return event


def issue_reassessment(actor, event: ChangeEvent, due_date=None) -> Assessment:
    """Issue the scoped reassessment: the last completed assessment's answers carried forward,
    only the affected questions left for the vendor to confirm or change."""
    require_role(actor, *ISSUERS)
    source = _latest(event.vendor_id, completed_only=True)
    if source is None:
        raise Conflict(
            "The vendor has no completed assessment to scope from; issue a full assessment."
        )
    if not event.question_keys:
        raise Conflict("This change touches no question of the vendor's questionnaire.")
    # Claim the event in one UPDATE: of requests arriving together, one issues, the others 409.
    table = ChangeEvent.__table__
    claimed = db.session.execute(
        update(table)
        .where(table.c.id == event.id, table.c.status == "open")
        .values(status="issuing")
    ).rowcount
    db.session.commit()
    if claimed != 1:
        raise Conflict("A reassessment was already issued for this change.")
    due = due_date or date.today() + timedelta(days=14)
    try:
        assessment = issue_assessment(actor, event.vendor, source.questionnaire.key, due)
    except Exception:
        db.session.rollback()
        db.session.execute(update(table).where(table.c.id == event.id).values(status="open"))
        db.session.commit()
        raise
    keys = set(event.question_keys)
    carried = db.session.scalars(
        select(Answer)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.assessment_id == assessment.id, Answer.carried_forward.is_(True),
               Question.key.not_in(keys))
    ).all()  # fmt: skip
    for a in carried:
        a.carried_forward = False  # unaffected answers stand as they were accepted
    event = db.session.get(ChangeEvent, event.id)
    event.reassessment_id, event.status = assessment.id, "issued"
    audit.record(
        actor,
        "change_event.reassessment_issued",
        event,
        assessment_id=assessment.id,
        vendor_id=event.vendor_id,
        details={"questions": sorted(keys), "kept": len(carried)},
    )
    db.session.commit()
    return assessment


def scoped_keys(assessment: Assessment) -> list[str] | None:
    """The questions a scoped reassessment re-opens (None for an ordinary assessment)."""
    keys = db.session.scalar(
        select(ChangeEvent.question_keys).where(ChangeEvent.reassessment_id == assessment.id)
    )
    return list(keys) if keys is not None else None


def vendor_events(vendor_id: int, page: int = 1, per_page: int = 50):
    """A vendor's change events, newest first, with the total (two queries)."""
    stmt = select(ChangeEvent).where(ChangeEvent.vendor_id == vendor_id)
    return paginate(stmt, page, per_page, (ChangeEvent.id.desc(),))


def event_json(e: ChangeEvent, staff: bool = True) -> dict[str, Any]:
    """The API shape of a change event (a vendor does not see the provisional rating)."""
    body = {
        "id": e.id,
        "vendor_id": e.vendor_id,
        "kind": e.kind,
        "kind_label": kind_label(e.kind),
        "description": e.description,
        "occurred_on": e.occurred_on.isoformat(),
        "source": e.source,
        "controls": list(e.controls or []),
        "question_keys": list(e.question_keys or []),
        "reassessment_id": e.reassessment_id,
        "reassessment_status": e.status,
        "created_at": e.created_at.isoformat(),
    }
    if staff:
        body["provisional"] = dict(e.provisional or {})
    return body
