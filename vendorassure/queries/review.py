"""The review page's data in a bounded number of statements, whatever the questionnaire size:
answers by Annex A objective (items needing attention first), the score and its explanation,
evidence, findings, clarifications, staff and the trail. Shared by the web page and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, undefer

from ..extensions import db
from ..models import (
    STAFF_ROLES,
    Answer,
    Assessment,
    AuditEvent,
    Comment,
    Control,
    Crosswalk,
    Finding,
    Objective,
    Question,
    QuestionControl,
    User,
)
from ..scoring import AnswerIn, visible_questions
from .evidence import assessment_evidence

TIMELINE_LIMIT = 500


@dataclass
class ReviewPage:
    """Everything the review page shows, loaded once."""

    assessment: Assessment
    questions: list[Question]
    answers: dict[str, Answer]
    visible: set[str]
    view: dict[str, Any] | None
    evidence: list  # [(Evidence, question id)]
    findings: list[Finding]
    comments: list[Comment]
    events: list[AuditEvent]
    staff: list[User]
    objective_titles: dict[str, str]
    controls: list[Control]
    crosswalks: dict[int, dict[str, list[str]]]
    frameworks: dict[str, str]
    attention: dict[str, list[str]] = field(default_factory=dict)

    @property
    def question_keys(self) -> dict[int, str]:
        return {q.id: q.key for q in self.questions}

    @property
    def reviewers(self) -> list[User]:
        return [u for u in self.staff if u.role in ("risk", "admin")]


def _staff() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_(STAFF_ROLES), User.active.is_(True))
            .order_by(User.email)
        )
    )


def _catalog():
    """Controls with their crosswalks (one statement) for the controls table."""
    rows = db.session.execute(
        select(Control, Crosswalk)
        .outerjoin(Crosswalk, Crosswalk.control_id == Control.id)
        .order_by(Control.position, Crosswalk.framework, Crosswalk.id)
    ).all()
    controls, crosswalks, frameworks = [], {}, {}
    for control, cw in rows:
        if not controls or controls[-1].id != control.id:
            controls.append(control)
        if cw is not None:
            crosswalks.setdefault(control.id, {}).setdefault(cw.framework, []).append(cw.ref)
            frameworks.setdefault(cw.framework, cw.framework_name or cw.framework)
    return controls, crosswalks, frameworks


def attention_keys(answers: dict[str, Answer], view: dict | None) -> dict[str, list[str]]:
    """{question key: reasons} for answers a reviewer should look at first: flagged ones, and
    those behind a red flag or a contradiction."""
    out: dict[str, list[str]] = {}
    for key, ans in answers.items():
        if ans.review_state == "flagged":
            out.setdefault(key, []).append("flagged")
    for kind, items in (("red flag", (view or {}).get("red_flags", [])),
                        ("contradiction", (view or {}).get("contradictions", []))):  # fmt: skip
        for item in items:
            for t in item.get("triggers", []):
                if t.get("source") == "question" and kind not in out.get(t["key"], []):
                    out.setdefault(t["key"], []).append(kind)
    return out


# what the review page needs of the assessment, loaded in its one statement
ASSESSMENT_OPTIONS = (
    joinedload(Assessment.vendor),
    joinedload(Assessment.questionnaire),
    undefer(Assessment.score_details),
)


def load_review_page(assessment: Assessment, loaded: bool = False) -> ReviewPage:
    """Load the review page of one assessment (about a dozen statements). `loaded`: the
    assessment was just read with ``ASSESSMENT_OPTIONS`` (``access.get_assessment``)."""
    from ..services.scoring import question_defs, score_view

    a = assessment
    if not loaded:
        a = db.session.scalar(
            select(Assessment)
            .where(Assessment.id == assessment.id)
            .options(*ASSESSMENT_OPTIONS)
            .execution_options(populate_existing=True)
        )
    questions = list(
        db.session.scalars(
            select(Question)
            .where(Question.questionnaire_id == a.questionnaire_id)
            .options(joinedload(Question.control_links).joinedload(QuestionControl.control))
            .order_by(Question.order)
        ).unique()
    )
    by_id = {q.id: q for q in questions}
    answers = {}
    for ans in db.session.scalars(select(Answer).where(Answer.assessment_id == a.id)):
        answers[by_id[ans.question_id].key] = ans
    visible = visible_questions(
        question_defs(a.questionnaire),
        {k: AnswerIn(k, v.value, v.na) for k, v in answers.items()},
    )
    view = score_view(a)
    if view is not None:
        titles = {o["ref"]: o["title"] for o in view["objectives"]}
    else:
        titles = dict(db.session.execute(select(Objective.ref, Objective.title)).all())
    findings = list(
        db.session.scalars(
            select(Finding)
            .options(joinedload(Finding.control))
            .where(Finding.assessment_id == a.id)
            .order_by(Finding.id)
        )
    )
    comments = list(
        db.session.scalars(
            select(Comment)
            .options(joinedload(Comment.author))
            .where(Comment.assessment_id == a.id)
            .order_by(Comment.id)
        )
    )
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .options(joinedload(AuditEvent.actor))
            .where(AuditEvent.assessment_id == a.id)
            .order_by(AuditEvent.id.desc())
            .limit(TIMELINE_LIMIT)
        )
    )
    controls, crosswalks, frameworks = _catalog()
    page = ReviewPage(
        assessment=a,
        questions=questions,
        answers=answers,
        visible=visible,
        view=view,
        evidence=assessment_evidence(a),
        findings=findings,
        comments=comments,
        events=events,
        staff=_staff(),
        objective_titles=titles,
        controls=controls,
        crosswalks=crosswalks,
        frameworks=frameworks,
    )
    page.attention = attention_keys(answers, view)
    return page


def objective_groups(page: ReviewPage, details: dict | None) -> list[dict]:
    """Questions grouped by the objective of their first control, items needing attention
    first inside each group, with the engine's numbers and counts of what needs attention."""
    by_ref = {o["ref"]: o for o in (details or {}).get("objectives", [])}
    groups: dict[str, dict] = {}
    for q in page.questions:
        ref = q.control_links[0].control.objective if q.control_links else "Other"
        group = groups.setdefault(
            ref,
            {
                "ref": ref,
                "title": page.objective_titles.get(ref, ""),
                "objective": by_ref.get(ref),
                "questions": [],
                "attention": 0,
                "flagged": 0,
            },
        )
        group["questions"].append(q)
        if q.key in page.attention:
            group["attention"] += 1
        if "flagged" in page.attention.get(q.key, []):
            group["flagged"] += 1
    for group in groups.values():
        group["questions"].sort(key=lambda q: (q.key not in page.attention, q.order))

    def key(ref: str):
        return [int(p) if p.isdigit() else 999 for p in ref.replace("A.", "").split(".")]

    return [groups[r] for r in sorted(groups, key=key)]
