"""Findings: propose from a score, raise, edit, share with the vendor, and move them through
proposed -> open -> remediating -> closed, or risk accepted with a reason and an expiry."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext
from sqlalchemy import select

from ..extensions import db
from ..i18n import lower_label
from ..models import SEVERITIES, Assessment, Control, Finding, Question, User
from ..models._base import utcnow
from ..models.findings import FINDING_STATUS_LABELS
from ..settings_defaults import setting
from ..validation import LINE_MESSAGE, has_control_chars
from . import audit, links, notifications
from .access import lock_assessment, require_role
from .errors import IllegalTransition, InvalidValues, NotFound
from .notify import mail_vendor_contacts
from .scoring import score_view
from .values import parse_date

FINDING_TRANSITIONS = {
    ("proposed", "open"),  # the reviewer confirms a proposal
    ("proposed", "closed"),  # ... or dismisses it
    ("open", "remediating"),
    ("open", "closed"),
    ("open", "risk_accepted"),
    ("remediating", "closed"),
    ("remediating", "risk_accepted"),
    ("remediating", "open"),
    ("risk_accepted", "open"),
    ("closed", "open"),
}
# What a vendor user may see: shared with it and no longer a mere proposal.
VENDOR_VISIBLE = ("open", "remediating", "closed", "risk_accepted")
EDITABLE = ("severity", "title", "description", "remediation", "owner_id")
TEXTS = ("description", "remediation")


def _apply(finding: Finding, changes: dict) -> None:
    fields = {}
    if "severity" in changes and changes["severity"] not in SEVERITIES:
        fields["severity"] = f"One of {', '.join(SEVERITIES)}."
    if "title" in changes and not (changes["title"] or "").strip():
        fields["title"] = "Required."
    if "title" in changes and len(changes["title"] or "") > 300:
        fields["title"] = "At most 300 characters."
    if "title" in changes and has_control_chars(changes["title"] or "", multiline=False):
        fields["title"] = LINE_MESSAGE
    if "control" in changes and changes["control"]:
        control = db.session.scalar(select(Control).filter_by(ref=changes["control"]))
        if control is None:
            fields["control"] = "Unknown Annex A control."
        else:
            finding.control_id = control.id
    if changes.get("owner_id") is not None:
        owner = db.session.get(User, changes["owner_id"])
        if owner is None or not owner.is_staff:
            fields["owner_id"] = "Must be a staff user."
    if fields:
        raise InvalidValues("; ".join(f"{k}: {v}" for k, v in fields.items()), fields)
    for attr in EDITABLE:
        if attr in changes:
            value = changes[attr]
            if value is None and attr in TEXTS:
                value = ""  # null clears a text; the columns hold "" rather than NULL
            setattr(finding, attr, value.strip() if isinstance(value, str) else value)
    if "due_date" in changes:
        finding.due_date = parse_date(changes["due_date"], "due_date")


def _lock(finding: Finding) -> Finding:
    """Lock the finding's assessment, then re-read the finding (its status may have moved)."""
    lock_assessment(finding.assessment_id)
    db.session.refresh(finding)
    return finding


def create_finding(actor, assessment: Assessment, data: dict) -> Finding:
    """Raise a finding against an assessment."""
    require_role(actor, "risk", "admin")
    lock_assessment(assessment)
    if not (data.get("title") or "").strip():
        raise InvalidValues("A finding needs a title.", {"title": "Required."})
    finding = Finding(
        assessment_id=assessment.id,
        vendor_id=assessment.vendor_id,
        severity=data.get("severity") or "medium",
        title="",
        status="open",
        origin="manual",
        created_by_id=actor.id,
    )
    _apply(finding, {"severity": finding.severity, **data})
    if data.get("shared_with_vendor"):
        finding.shared_with_vendor = True
    db.session.add(finding)
    db.session.flush()
    audit.record(
        actor,
        "finding.created",
        finding,
        assessment_id=assessment.id,
        vendor_id=assessment.vendor_id,
        details={"title": finding.title, "severity": finding.severity},
    )
    db.session.commit()
    return finding


def _severity_for_control(score: float, threshold: float) -> str:
    # Far below the threshold is a high finding; just below it a medium one.
    return "high" if score < threshold / 2 else "medium"


def proposals(
    assessment: Assessment, view: dict | None = None, texts: dict | None = None
) -> list[dict]:
    """Return the findings the score suggests: one per knockout hit, one per weak control.

    A caller that has the score view and the question texts already passes them in."""
    details = (score_view(assessment) if view is None else view) or {}
    threshold = float(setting("FINDING_CONTROL_THRESHOLD"))
    if texts is None:
        texts = dict(
            db.session.execute(
                select(Question.key, Question.text).filter_by(
                    questionnaire_id=assessment.questionnaire_id
                )
            ).all()
        )
    out = []
    for k in details.get("knockouts", []):
        value = k.get("value")
        shown = "unanswered" if value is None else f"answered {value}"
        out.append(
            {
                "origin": f"knockout:{k['question']}",
                "question": k["question"],
                "control": None,
                "severity": k.get("min_rating") or "high",
                "title": f"Knockout: {texts.get(k['question'], k['question'])}"[:300],
                "description": f"The vendor {shown}; this alone sets the rating to at least "
                f"{k.get('min_rating')}.",
            }
        )
    for c in details.get("controls", []):
        if c.get("coverage", 0) > 0 and c.get("score", 1) < threshold:
            out.append(
                {
                    "origin": f"control:{c['ref']}",
                    "question": None,
                    "control": c["ref"],
                    "severity": _severity_for_control(c["score"], threshold),
                    "title": f"{c['ref']} {c.get('title', '')} scores {round(100 * c['score'])}%"[
                        :300
                    ],
                    "description": f"Control score {c['score']:.2f} is below the threshold "
                    f"{threshold:.2f} (coverage {c.get('coverage', 0):.0%}).",
                }
            )
    return out


def propose_findings(actor, assessment: Assessment) -> list[Finding]:
    """Create proposed findings from the score; proposals already made are not repeated."""
    require_role(actor, "risk", "admin")
    # Under the lock a concurrent proposal's findings are visible, so none is made twice.
    lock_assessment(assessment)
    created = propose(actor, assessment)
    db.session.commit()
    return created


def propose(actor, assessment: Assessment) -> list[Finding]:
    """Bring the proposed findings in line with the score (the assessment is locked); return the
    findings proposed now. The caller commits."""
    return reconcile(actor, assessment)["proposed"]


# A reconciled proposal is compared on these; a difference updates the proposal.
PROPOSAL_FIELDS = ("severity", "title", "description")


class ReconcileLookups:
    """The catalog and questionnaire lookups reconciling needs, read once for a batch of
    assessments (a rescore reconciles every assessment in review) instead of once each."""

    def __init__(self):
        self._controls: dict[str, int] | None = None
        self._questions: dict[int, list[tuple[str, int, str]]] = {}

    def controls(self) -> dict[str, int]:
        if self._controls is None:
            self._controls = dict(db.session.execute(select(Control.ref, Control.id)).all())
        return self._controls

    def questions(self, questionnaire_id: int) -> list[tuple[str, int, str]]:
        """(key, id, text) of the questionnaire's questions."""
        if questionnaire_id not in self._questions:
            self._questions[questionnaire_id] = list(
                db.session.execute(
                    select(Question.key, Question.id, Question.text).filter_by(
                        questionnaire_id=questionnaire_id
                    )
                ).all()
            )
        return self._questions[questionnaire_id]


def reconcile(
    actor, assessment: Assessment, lookups: ReconcileLookups | None = None
) -> dict[str, list[Finding]]:
    """Recompute the proposals from the stored score: a proposal whose cause is gone is
    withdrawn (kept, with its history), a changed one updated, a new one proposed. Findings a
    reviewer has decided (open, remediating, accepted, dismissed) are never touched. The
    assessment is locked by the caller, who commits."""
    if assessment.scored_at is None:
        raise IllegalTransition(
            "The assessment is not scored yet; findings are proposed from its score.",
            {"status": assessment.status},
        )
    lookups = lookups or ReconcileLookups()
    rows = lookups.questions(assessment.questionnaire_id)
    texts = {key: text for key, _, text in rows}
    wanted = {p["origin"]: p for p in proposals(assessment, texts=texts)}
    existing: dict[str, Finding] = {}
    for f in db.session.scalars(
        select(Finding)
        .where(Finding.assessment_id == assessment.id, Finding.origin != "manual")
        .order_by(Finding.id)
    ):
        existing[f.origin] = f  # the latest per origin
    out: dict[str, list[Finding]] = {"proposed": [], "updated": [], "withdrawn": []}
    for origin, f in existing.items():
        p = wanted.get(origin)
        if f.status == "proposed" and p is None:
            f.status = "withdrawn"
            f.closing_reason = "The score no longer shows this gap."
            out["withdrawn"].append(f)
        elif f.status in ("proposed", "withdrawn") and p is not None:
            changed = [k for k in PROPOSAL_FIELDS if getattr(f, k) != p[k]]
            if changed or f.status == "withdrawn":
                for k in PROPOSAL_FIELDS:
                    setattr(f, k, p[k])
                f.closing_reason = ""
                key = "proposed" if f.status == "withdrawn" else "updated"
                f.status = "proposed"
                out[key].append(f)
    controls = lookups.controls()
    questions = {key: qid for key, qid, _ in rows}
    due_days = setting("FINDING_DUE_DAYS")
    for origin, p in wanted.items():
        if origin in existing:
            continue
        finding = Finding(
            assessment_id=assessment.id,
            vendor_id=assessment.vendor_id,
            control_id=controls.get(p["control"]) if p["control"] else None,
            question_id=questions.get(p["question"]) if p["question"] else None,
            severity=p["severity"],
            title=p["title"],
            description=p["description"],
            status="proposed",
            origin=origin,
            due_date=date.today() + timedelta(days=int(due_days.get(p["severity"], 90))),
            created_by_id=actor.id if actor is not None else None,
        )
        db.session.add(finding)
        out["proposed"].append(finding)
    if any(out.values()):
        db.session.flush()
        audit.record(
            actor,
            "finding.reconciled",
            assessment,
            assessment_id=assessment.id,
            vendor_id=assessment.vendor_id,
            details={
                kind: [{"id": f.id, "title": f.title} for f in found]
                for kind, found in out.items()
                if found
            },
        )
    return out


def reconcile_if_reviewed(actor, assessment: Assessment) -> None:
    """After a score change: reconcile when the review has proposed findings already."""
    if assessment.scored_at is not None and db.session.scalar(
        select(Finding.id)
        .where(Finding.assessment_id == assessment.id, Finding.origin != "manual")
        .limit(1)
    ):
        reconcile(actor, assessment)


BULK_ACTIONS = ("open", "dismiss", "assign", "due_date")


def bulk_update(actor, assessment: Assessment, ids, action: str, value=None) -> list[Finding]:
    """Decide many findings of one assessment at once: open (proposed ones), dismiss with a
    reason, assign an owner, set a due date. One transaction; one audit event per finding."""
    require_role(actor, "risk", "admin")
    if action not in BULK_ACTIONS:
        raise InvalidValues(
            f"action must be one of {', '.join(BULK_ACTIONS)}.", {"action": "Unknown action."}
        )
    ids = sorted({i for i in ids if isinstance(i, int)})
    if not ids:
        raise InvalidValues("Choose at least one finding.", {"ids": "Required."})
    lock_assessment(assessment)
    rows = apply_bulk(actor, assessment, ids, action, value)
    db.session.commit()
    return rows


def apply_bulk(actor, assessment: Assessment, ids: list[int], action: str, value=None):
    """Apply one bulk action to findings of a locked assessment; the caller commits."""
    changes: dict = {
        "open": {"status": "open"},
        "dismiss": {"status": "closed"},
        "assign": {"owner_id": value},
        "due_date": {"due_date": value},
    }[action]
    if action == "dismiss":
        value = (value or "").strip() if isinstance(value, str) else ""
        if not value:
            raise InvalidValues("Say why the findings are dismissed.", {"reason": "Required."})
        if len(value) > 5000:
            raise InvalidValues(
                "The reason is longer than 5000 characters.", {"reason": "Too long."}
            )
    rows = db.session.scalars(
        select(Finding)
        .where(Finding.assessment_id == assessment.id, Finding.id.in_(ids))
        .order_by(Finding.id)
        .execution_options(populate_existing=True)
    ).all()
    if len(rows) != len(ids):
        missing = sorted(set(ids) - {f.id for f in rows})
        raise NotFound(f"Finding(s) {', '.join(map(str, missing))} are not in this assessment.")
    for f in rows:
        target = changes.get("status")
        if target and (f.status, target) not in FINDING_TRANSITIONS:
            raise IllegalTransition(
                f"Finding #{f.id} is {f.status.replace('_', ' ')} and cannot become "
                f"{'dismissed' if action == 'dismiss' else target}.",
                {"status": f.status},
            )
    for f in rows:
        before = f.status
        _apply(f, {k: v for k, v in changes.items() if k != "status"})
        if "status" in changes:
            f.status = changes["status"]
        if action == "dismiss":
            f.closing_reason = value
        audit.record(
            actor,
            "finding.updated",
            f,
            assessment_id=f.assessment_id,
            vendor_id=f.vendor_id,
            details={"fields": sorted(changes), "from": before, "to": f.status, "bulk": True},
        )
    return list(rows)


def update_finding(actor, finding: Finding, data: dict) -> Finding:
    """Edit a finding or move it to another status (risk acceptance needs a reason and an expiry)."""
    require_role(actor, "risk", "admin")
    _lock(finding)
    status = data.get("status")
    if status is not None and status != finding.status:
        if (finding.status, status) not in FINDING_TRANSITIONS:
            raise IllegalTransition(
                f"A finding that is {finding.status.replace('_', ' ')} cannot become "
                f"{str(status).replace('_', ' ')}.",
                {"status": finding.status},
            )
        if status == "risk_accepted":
            until = parse_date(data.get("accepted_until"), "accepted_until")
            reason = data.get("acceptance_reason") or ""
            if not reason.strip() or until is None:
                fields = {}
                if not reason.strip():
                    fields["acceptance_reason"] = "Required."
                if until is None:
                    fields["accepted_until"] = "Required."
                raise InvalidValues("Accepting a risk needs a reason and an expiry date.", fields)
            if until <= date.today():
                raise InvalidValues(
                    "The acceptance must expire in the future.",
                    {"accepted_until": "A future date."},
                )
            finding.accepted_until = until
            finding.acceptance_reason = reason.strip()
    share = data.get("shared_with_vendor")
    if share and (status or finding.status) == "proposed":
        raise IllegalTransition(
            "Confirm a proposed finding before sending it to the vendor.",
            {"status": finding.status},
        )
    _apply(
        finding,
        {
            k: v
            for k, v in data.items()
            if k not in ("status", "accepted_until", "acceptance_reason", "shared_with_vendor")
        },
    )
    before = finding.status
    newly_shared = share is True and not finding.shared_with_vendor
    if share is not None:
        finding.shared_with_vendor = bool(share)
    if status is not None:
        finding.status = status
    audit.record(
        actor,
        "finding.updated",
        finding,
        assessment_id=finding.assessment_id,
        vendor_id=finding.vendor_id,
        details={"fields": sorted(data), "from": before, "to": finding.status},
    )
    db.session.commit()
    if newly_shared:
        _tell_vendor(finding)
    return finding


def _tell_vendor(finding: Finding) -> None:
    mail_vendor_contacts(
        finding.vendor,
        f"Finding to remediate: {finding.title}",
        f"The risk team shared a finding with {finding.vendor.name} and asks for a "
        f"remediation plan"
        + (f" by {finding.due_date:%Y-%m-%d}" if finding.due_date else "")
        + f".\n\nSign in at {links.url('main.vendor_findings')}",
    )


def get_vendor_finding(user, finding_id: int) -> Finding:
    """Load a finding for a vendor user: its own vendor's, shared and confirmed, or 404."""
    finding = db.session.get(Finding, finding_id) if isinstance(finding_id, int) else None
    if (
        finding is None
        or finding.vendor_id != user.vendor_id
        or not finding.shared_with_vendor
        or finding.status not in VENDOR_VISIBLE
    ):
        raise NotFound(f"Finding {finding_id} does not exist.")
    return finding


def vendor_findings_query(user):
    """The select of the findings a vendor user may see."""
    return select(Finding).where(
        Finding.vendor_id == user.vendor_id,
        Finding.shared_with_vendor.is_(True),
        Finding.status.in_(VENDOR_VISIBLE),
    )


def respond_to_finding(actor, finding: Finding, plan: str) -> Finding:
    """Record the vendor's remediation plan for a finding shared with it."""
    require_role(actor, "vendor")
    _lock(finding)
    plan = (plan or "").strip()
    if not plan:
        raise InvalidValues(
            gettext("Describe the remediation plan."), {"plan": gettext("Required.")}
        )
    if len(plan) > 10000:
        raise InvalidValues(
            gettext("The plan is longer than 10000 characters."), {"plan": gettext("Too long.")}
        )
    if finding.status not in ("open", "remediating"):
        raise IllegalTransition(
            gettext(
                "The finding is %(status)s; it needs no plan now.",
                status=lower_label(gettext(FINDING_STATUS_LABELS[finding.status])),
            ),
            {"status": finding.status},
        )
    finding.vendor_response = plan
    finding.vendor_responded_at = utcnow()
    audit.record(
        actor,
        "finding.vendor_responded",
        finding,
        assessment_id=finding.assessment_id,
        vendor_id=finding.vendor_id,
        details={"length": len(plan)},
    )
    db.session.commit()
    notifications.after_commit(notifications.remediation_plan_sent, finding)
    return finding
