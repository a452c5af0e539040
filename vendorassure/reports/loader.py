"""Load the report frames from the database: one query per sheet, never one per row."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..labels import label
from ..models import (
    CERTIFICATE_KINDS,
    RATINGS,
    Answer,
    Assessment,
    Control,
    ControlScore,
    Evidence,
    Finding,
    Question,
    QuestionControl,
    Questionnaire,
    User,
    Vendor,
)
from ..models.findings import ACTIVE_FINDING_STATUSES
from ..queries import portfolio
from ..queries.evidence import assessment_evidence_select
from ..queries.findings import finding_counts
from ..scoring.batch import gc_paused
from ..scoring.vocabulary import load_vocabulary
from ..services.assessments import STATUS_LABELS
from ..services.scoring import explained_score
from ..settings_defaults import setting
from .builders import AssessmentFrames, EvidencePackFrames, PortfolioFrames

REGISTER_COLUMNS = {
    "vendor": "Vendor",
    "tier": "Tier",
    "rating": "Rating",
    "computed_rating": "Computed rating",
    "risk_score": "Risk score",
    "third_party_score": "A.10 score",
    "last_assessed": "Last assessed",
    "next_due": "Next due",
    "open_assessments": "Open assessments",
    "open_findings": "Open findings",
    "overdue_findings": "Overdue findings",
    "accepted_risks": "Accepted risks",
    "certificates": "Certificates",
    "next_certificate_expiry": "Next certificate expiry",
    "assessment_id": "Latest assessment",
    "vendor_status": "Vendor status",
}


def answer_text(options, value, na: bool = False, na_reason: str = "") -> str:
    """Show an answer as its option labels (or the value for free text)."""
    if na:
        return f"N/A: {na_reason}"
    if value is None or value == "" or value == []:
        return ""
    labels = {o["value"]: o["label"] for o in options or []}
    values = value if isinstance(value, list) else [value]
    return ", ".join(str(labels.get(v, v)) for v in values)


def _frame(rows, columns) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(columns))


# --- the assessment workbook -------------------------------------------------------------------


def _primary_objective():
    return (
        select(Control.objective)
        .join(QuestionControl, QuestionControl.control_id == Control.id)
        .where(QuestionControl.question_id == Question.id)
        .order_by(QuestionControl.id)
        .limit(1)
        .scalar_subquery()
    )


def _control_refs():
    agg = portfolio.string_agg(Control.ref)
    return (
        select(agg)
        .select_from(QuestionControl)
        .join(Control, Control.id == QuestionControl.control_id)
        .where(QuestionControl.question_id == Question.id)
        .scalar_subquery()
    )


def answers_frame(a: Assessment) -> pd.DataFrame:
    """Every question of the pinned version with the vendor's answer and the reviewer's flag."""
    answered_by = aliased(User)
    rows = db.session.execute(
        select(
            _primary_objective(),
            Question.order,
            Question.key,
            Question.text,
            Question.options,
            Answer.value,
            Answer.na,
            Answer.na_reason,
            Answer.comment,
            _control_refs(),
            Answer.review_state,
            Answer.review_note,
            answered_by.email,
            Answer.updated_at,
        )
        .select_from(Question)
        .outerjoin(Answer, and_(Answer.question_id == Question.id, Answer.assessment_id == a.id))
        .outerjoin(answered_by, answered_by.id == Answer.answered_by_id)
        .where(Question.questionnaire_id == a.questionnaire_id)
        .order_by(Question.order)
    ).all()
    return _frame(
        (
            (
                obj or "",
                order,
                key,
                text,
                answer_text(options, value, bool(na), na_reason or ""),
                comment or "",
                refs or "",
                review_state or "",
                review_note or "",
                email or "",
                updated,
            )
            for obj, order, key, text, options, value, na, na_reason, comment, refs, review_state, review_note, email, updated in rows
        ),
        (
            "Objective",
            "No.",
            "Question key",
            "Question",
            "Answer",
            "Vendor comment",
            "Controls",
            "Review flag",
            "Internal note",
            "Answered by",
            "Updated at",
        ),
    )


def controls_frame(a: Assessment) -> pd.DataFrame:
    rows = db.session.execute(
        select(
            Control.ref, Control.objective, Control.title, ControlScore.score, ControlScore.coverage
        )
        .join(
            ControlScore,
            and_(ControlScore.control_id == Control.id, ControlScore.assessment_id == a.id),
            isouter=True,
        )
        .order_by(Control.position)
    ).all()
    return _frame(
        ((r, o, t, s or 0.0, c or 0.0) for r, o, t, s, c in rows),
        ("Control", "Objective", "Title", "Score", "Coverage"),
    )


def evidence_frame(a: Assessment) -> pd.DataFrame:
    verifier = aliased(User)
    used = assessment_evidence_select(a, True, Question.text, verifier.email)
    question_id = used.selected_columns[1]
    rows = db.session.execute(
        used.outerjoin(Question, Question.id == question_id).outerjoin(
            verifier, verifier.id == Evidence.verified_by_id
        )
    ).all()
    return _frame(
        (
            (
                e.original_name,
                label(e.kind),
                key or "",
                e.certification_body,
                e.certificate_number,
                e.scope,
                e.issued_on,
                e.expires_on,
                e.verification,
                e.verification_note,
                e.scope_covers_service,
                e.accredited,
                email or "",
                e.sha256,
                e.size,
            )
            for e, _question_id, key, email in rows
        ),
        (
            "File",
            "Kind",
            "Question",
            "Certification body",
            "Certificate no.",
            "Scope",
            "Issued",
            "Expires",
            "Verification",
            "Verification note",
            "Scope covers service",
            "Accredited",
            "Verified by",
            "SHA-256",
            "Bytes",
        ),
    )


def findings_frame(stmt=None) -> pd.DataFrame:
    """Findings (all, or those a select picks) with vendor, control and owner."""
    owner = aliased(User)
    base = stmt if stmt is not None else select(Finding)
    sub = base.subquery()
    f = aliased(Finding, sub)
    rows = db.session.execute(
        select(f, Vendor.name, Control.ref, owner.email)
        .join(Vendor, Vendor.id == f.vendor_id)
        .outerjoin(Control, Control.id == f.control_id)
        .outerjoin(owner, owner.id == f.owner_id)
        .order_by(f.id)
    ).all()
    return _frame(
        (
            (
                x.id,
                name,
                x.assessment_id,
                x.severity,
                label(x.status),
                x.title,
                ref or "",
                email or "",
                x.due_date,
                x.remediation,
                x.shared_with_vendor,
                x.vendor_response,
                x.accepted_until,
                x.acceptance_reason,
                x.origin,
                x.created_at,
            )
            for x, name, ref, email in rows
        ),
        (
            "Finding",
            "Vendor",
            "Assessment",
            "Severity",
            "Status",
            "Title",
            "Control",
            "Owner",
            "Due",
            "Remediation",
            "Sent to vendor",
            "Vendor plan",
            "Accepted until",
            "Acceptance reason",
            "Origin",
            "Raised",
        ),
    )


vocab = load_vocabulary()


def _details_frames(details: dict):
    """Explanation sheets of the assessment workbook, in words (scoring.describe)."""
    drivers = _frame(
        (
            (d["control"], d.get("title", ""), d["gap"], d["weight"],
             "; ".join(d.get("question_texts", [])))
            for d in details.get("drivers", [])
        ),
        ("Control", "Title", "Gap", "Weight", "Questions"),
    )  # fmt: skip
    red_flags = _frame(
        (
            (f.get("min_rating_label", ""), f.get("text", ""),
             "; ".join(t.get("text", "") for t in f.get("triggers", [])), f.get("action", ""))
            for f in details.get("red_flags", [])
        ),
        ("Minimum rating", "Red flag", "Because", "What to do"),
    )  # fmt: skip
    caps = _frame(
        (
            (
                c.get("max_band_label", ""),
                c.get("text", ""),
                "; ".join(c.get("objective_texts", [])),
            )
            for c in details.get("caps", [])
        ),
        ("At most", "Why", "Areas"),
    )
    contradictions = _frame(
        (
            (c.get("text", ""), "; ".join(t.get("text", "") for t in c.get("triggers", [])))
            for c in details.get("contradictions", [])
        ),
        ("Contradiction", "Answers involved"),
    )
    certificates = _frame(
        (
            (
                c.get("id"),
                c.get("kind_label", ""),
                "Applied" if c.get("applied") else "No credit",
                c.get("reason_text", ""),
                len(c.get("controls", [])),
            )
            for c in details.get("certificates", [])
        ),
        ("Evidence", "Kind", "Credit", "Reason", "Controls lifted"),
    )
    w = details.get("what_it_would_take") or {}
    wiwt = _frame(
        ((i + 1, s.get("text", "")) for i, s in enumerate(w.get("steps", []))),
        ("Step", "What to do"),
    )
    if w.get("reason_text"):
        wiwt = pd.concat([wiwt, _frame([("", w["reason_text"])], ("Step", "What to do"))])
    return drivers, red_flags, caps, contradictions, certificates, wiwt


def load_assessment(a: Assessment) -> AssessmentFrames:
    """Frames of the assessment workbook."""
    details = explained_score(a) or {}
    objectives = _frame(
        (
            (o["ref"], o.get("title", ""), o["score"], o["coverage"], vocab.band(o.get("band")))
            for o in details.get("objectives", [])
        ),
        ("Objective", "Title", "Score", "Coverage", "Band"),
    )
    drivers, red_flags, caps, contradictions, certificates, wiwt = _details_frames(details)
    tp = details.get("third_party") or {}
    summary = [
        ("Vendor", a.vendor.name),
        ("Assessment", f"#{a.id}"),
        ("Questionnaire", f"{a.questionnaire.title} (v{a.questionnaire.version})"),
        ("Status", STATUS_LABELS.get(a.status, a.status)),
        ("Inherent tier", vocab.rating(a.inherent_tier or a.vendor.inherent_tier)),
        ("Risk score (0-100)", a.risk_score),
        ("Computed rating", vocab.rating(a.rating)),
        ("Override rating", vocab.rating(a.override_rating)),
        ("Override reason", a.override_reason),
        ("Final rating", vocab.rating(a.final_rating)),
        ("Control effectiveness", details.get("effectiveness"), "percent"),
        ("Band", details.get("band_label")),
        ("Held at a floor", details.get("held_by_text") or "No"),
        (f"{tp.get('ref', 'A.10')} third-party roll-up", tp.get("score"), "percent"),
        ("Scoring model", a.scoring_model_version),
        ("Scored at (UTC)", a.scored_at),
        ("Due", a.due_date),
        ("Submitted at (UTC)", a.submitted_at),
        ("Completed at (UTC)", a.completed_at),
        ("Reviewer", a.reviewer.email if a.reviewer else None),
        ("Review note", a.review_note),
    ]
    return AssessmentFrames(
        summary=summary,
        drivers=drivers,
        red_flags=red_flags,
        caps=caps,
        contradictions=contradictions,
        certificates=certificates,
        what_it_would_take=wiwt,
        objectives=objectives,
        controls=controls_frame(a),
        answers=answers_frame(a),
        evidence=evidence_frame(a),
        findings=findings_frame(select(Finding).where(Finding.assessment_id == a.id)),
    )


# --- the portfolio register --------------------------------------------------------------------


def register_frame(rows: list[dict]) -> pd.DataFrame:
    """The vendor register rows (portfolio.vendor_register, certificates already in words) as
    the sheet/CSV columns."""
    return _frame((tuple(r[k] for k in REGISTER_COLUMNS) for r in rows), REGISTER_COLUMNS.values())


def summary_figures(s: dict) -> list[tuple]:
    """The headline numbers of portfolio.summary() as label/value rows."""
    f = s["findings"]
    return [
        ("Active vendors", s["vendors"]),
        ("Assessments", s["assessments"]),
        ("Open assessments", s["open_assessments"]),
        ("Overdue assessments", s["overdue_assessments"]),
        ("Open findings", f["open"]),
        ("Overdue findings", f["overdue"]),
        ("Expired risk acceptances", f["expired_acceptances"]),
        *[
            (f"Certificates expiring within {d} days", n)
            for d, n in s["expiring_certificates"].items()
        ],
        ("Expired certificates", s["expired_certificates"]),
        ("Vendors due for reassessment", s["reassessment"]["due"]),
        (
            f"{s['third_party']['objective']} average score",
            s["third_party"]["average_score"],
            "percent",
        ),
    ]


def load_portfolio(today: date | None = None) -> PortfolioFrames:
    """Frames of the portfolio workbook: the same summary() as the dashboard and the API."""
    with gc_paused():  # a row object per vendor, none of them cyclic
        return _load_portfolio(today)


def _load_portfolio(today: date | None) -> PortfolioFrames:
    today = today or date.today()
    s = portfolio.summary(today)
    rows = portfolio.vendor_register(today)
    ratings = _frame([(r, s["by_rating"][r]) for r in (*RATINGS, "unrated")], ("Rating", "Vendors"))
    heatmap = _frame(
        [(f"{t} tier", *[s["heatmap"][t][r] for r in RATINGS]) for t in RATINGS],
        ("Inherent tier", *RATINGS),
    )
    weakest = _frame(
        ((g["ref"], g["title"], g["average_score"], g["vendors"]) for g in s["top_control_gaps"]),
        ("Control", "Title", "Average score", "Vendors"),
    )
    over_time = _frame(
        ((m["month"], *[m[r] for r in RATINGS]) for m in s["ratings_over_time"]),
        ("Month", *RATINGS),
    )
    third_party = _frame(list(s["third_party"]["by_band"].items()), ("Band", "Vendors"))
    return PortfolioFrames(
        as_of=today.isoformat(),
        figures=summary_figures(s),
        register=register_frame(rows),
        ratings=ratings,
        heatmap=heatmap,
        weakest=weakest,
        over_time=over_time,
        third_party=third_party,
    )


# --- the A.10 evidence pack --------------------------------------------------------------------


def load_evidence_pack(today: date | None = None, organisation: str = "") -> EvidencePackFrames:
    """Frames of the evidence pack: suppliers, assessments and decisions, accepted risks."""
    today = today or date.today()
    owner = aliased(User)
    suppliers = _frame(
        (
            (
                v.name,
                v.services,
                v.website,
                label(v.status),
                label(v.inherent_tier),
                round(v.inherent_score, 3),
                "; ".join(v.tier_reasons or []),
                email or "",
                v.created_at,
            )
            for v, email in db.session.execute(
                select(Vendor, owner.email)
                .outerjoin(owner, owner.id == Vendor.owner_id)
                .order_by(Vendor.name)
            ).all()
        ),
        (
            "Supplier",
            "Services",
            "Website",
            "Status",
            "Inherent tier",
            "Inherent score",
            "Tier reasons",
            "Owner",
            "Registered",
        ),
    )
    reviewer, overrider = aliased(User), aliased(User)
    assessments = _frame(
        (
            (
                name,
                a.id,
                f"{qkey} v{qver}",
                label(a.status),
                a.due_date,
                a.submitted_at,
                a.completed_at,
                label(a.inherent_tier),
                a.risk_score,
                a.rating,
                a.override_rating,
                a.override_reason,
                portfolio_final(a),
                rev or "",
                ovr or "",
                a.review_note,
                a.scoring_model_version,
            )
            for a, name, qkey, qver, rev, ovr in db.session.execute(
                select(
                    Assessment,
                    Vendor.name,
                    Questionnaire.key,
                    Questionnaire.version,
                    reviewer.email,
                    overrider.email,
                )
                .join(Vendor, Vendor.id == Assessment.vendor_id)
                .join(Questionnaire, Questionnaire.id == Assessment.questionnaire_id)
                .outerjoin(reviewer, reviewer.id == Assessment.reviewer_id)
                .outerjoin(overrider, overrider.id == Assessment.overridden_by_id)
                .order_by(Vendor.name, Assessment.id)
            ).all()
        ),
        (
            "Supplier",
            "Assessment",
            "Questionnaire",
            "Status",
            "Due",
            "Submitted",
            "Completed",
            "Inherent tier",
            "Risk score",
            "Computed rating",
            "Override rating",
            "Override reason",
            "Final rating",
            "Reviewer",
            "Overridden by",
            "Decision note",
            "Scoring model",
        ),
    )
    accepted = findings_frame(select(Finding).where(Finding.status == "risk_accepted"))
    accepted = accepted[
        [
            "Finding",
            "Vendor",
            "Assessment",
            "Severity",
            "Title",
            "Control",
            "Acceptance reason",
            "Accepted until",
            "Owner",
        ]
    ].copy()
    accepted["Expired"] = [
        bool(u is not None and not pd.isna(u) and u < today) for u in accepted["Accepted until"]
    ]
    findings = findings_frame(select(Finding).where(Finding.status.in_(ACTIVE_FINDING_STATUSES)))
    certificates = _frame(
        (
            (
                name,
                label(e.kind),
                e.certification_body,
                e.certificate_number,
                e.scope,
                e.issued_on,
                e.expires_on,
                e.verification,
                e.scope_covers_service,
                e.accredited,
                "expired" if e.expires_on and e.expires_on < today else "valid",
            )
            for e, name in db.session.execute(
                select(Evidence, Vendor.name)
                .join(Vendor, Vendor.id == Evidence.vendor_id)
                .where(Evidence.kind.in_(CERTIFICATE_KINDS))
                .order_by(Vendor.name, Evidence.expires_on)
            ).all()
        ),
        (
            "Supplier",
            "Kind",
            "Certification body",
            "Certificate no.",
            "Scope",
            "Issued",
            "Expires",
            "Verification",
            "Scope covers service",
            "Accredited",
            "State",
        ),
    )
    organisation = organisation or setting("ORGANISATION_NAME")
    about = [
        *([("Organisation", organisation)] if organisation else []),
        ("Control", "ISO/IEC 42001:2023 Annex A, A.10.3 Suppliers"),
        (
            "Purpose",
            "Shows that the organisation identifies its AI suppliers, assesses them "
            "before and during use, decides on the residual risk and follows up "
            "findings to closure or to a time-bound risk acceptance.",
        ),
        ("As of", today),
        ("AI suppliers", len(suppliers)),
        ("Assessments", len(assessments)),
        ("Accepted risks", len(accepted)),
        ("Open findings", finding_counts(today)["open"]),
        ("Certificates on file", len(certificates)),
    ]
    return EvidencePackFrames(
        about=about,
        suppliers=suppliers,
        assessments=assessments,
        accepted_risks=accepted,
        findings=findings,
        certificates=certificates,
    )


def portfolio_final(a: Assessment) -> str | None:
    return a.override_rating or a.rating


# --- table views as frames (the CSV downloads) --------------------------------------------------


def queue_frame(rows) -> pd.DataFrame:
    """The review queue rows already loaded for the page (no further queries)."""
    return _frame(
        (
            (
                a.id,
                vendor,
                tier,
                label(a.status),
                a.due_date,
                a.submitted_at,
                a.risk_score,
                a.override_rating or a.rating,
                reviewer or "",
            )
            for a, vendor, tier, reviewer in rows
        ),
        (
            "Assessment",
            "Vendor",
            "Tier",
            "Status",
            "Due",
            "Submitted",
            "Risk score",
            "Rating",
            "Reviewer",
        ),
    )
