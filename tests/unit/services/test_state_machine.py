"""The assessment state machine: allowed moves, refused moves, audit in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import answer_all
from vendorassure.models import STATUSES, AuditEvent
from vendorassure.services import assessments as svc
from vendorassure.services.errors import IllegalTransition, MissingAnswers
from vendorassure.services.scoring import score_view

ALLOWED = {
    ("draft", "sent"),
    ("sent", "in_progress"),
    ("in_progress", "submitted"),
    ("submitted", "under_review"),
    ("under_review", "completed"),
    ("under_review", "changes_requested"),
    ("changes_requested", "in_progress"),
    *(
        (s, "cancelled")
        for s in ("draft", "sent", "in_progress", "submitted", "under_review", "changes_requested")
    ),
}


def test_transition_table_is_exactly_the_design():
    assert set(svc.TRANSITIONS) == ALLOWED


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_every_move_outside_the_table_is_refused_and_changes_nothing(make, db, start, target):
    assessment = make.assessment()
    actor = make.user("risk")
    assessment.status = start
    db.session.commit()
    events = db.session.scalar(select(db.func.count()).select_from(AuditEvent))
    if (start, target) in ALLOWED:
        svc.transition(actor, assessment, target)
        db.session.commit()
        assert assessment.status == target
        last = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
        assert last.details["from"] == start and last.details["to"] == target
    else:
        with pytest.raises(IllegalTransition) as exc:
            svc.transition(actor, assessment, target)
        assert exc.value.status == 409 and "cannot become" in exc.value.message
        db.session.rollback()
        db.session.refresh(assessment)
        assert assessment.status == start
        assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == events


def test_first_answer_starts_and_submit_scores(make, db):
    vendor = make.vendor()
    assessment = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    assert assessment.status == "sent"
    answer_all(contact, assessment)
    assert assessment.status == "in_progress"
    svc.submit_assessment(contact, assessment)
    assert assessment.status == "submitted" and assessment.rating in (
        "low",
        "medium",
        "high",
        "critical",
    )
    view = score_view(assessment)
    assert assessment.scored_at is not None and len(view["controls"]) == 38
    assert len(view["objectives"]) == 9 and view["model_version"] == "default-2"
    actions = [
        e.action
        for e in db.session.scalars(
            select(AuditEvent).filter_by(assessment_id=assessment.id).order_by(AuditEvent.id)
        )
    ]
    assert actions[:3] == ["assessment.created", "assessment.sent", "assessment.started"]
    assert actions[-1] == "assessment.submitted"


def test_submit_lists_exactly_the_missing_required_questions(make):
    vendor = make.vendor()
    assessment = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    required = [q.key for q in assessment.questionnaire.questions if q.required and not q.show_if]
    skip = set(required[:2])
    answer_all(contact, assessment, skip=skip)
    with pytest.raises(MissingAnswers) as exc:
        svc.submit_assessment(contact, assessment)
    assert set(exc.value.fields["missing"]) == skip
    assert all(k in exc.value.message for k in skip)
    assert assessment.status == "in_progress"


def test_hidden_questions_are_not_required(make):
    vendor = make.vendor()
    assessment = make.assessment(vendor, "iso42001-ai-vendor")
    contact = make.user("vendor", vendor=vendor)
    conditional = [q for q in assessment.questionnaire.questions if q.show_if and q.required]
    assert conditional, "the full questionnaire has conditional questions"
    answer_all(contact, assessment, best=True)
    missing = svc.missing_required(assessment)
    assert missing == []
    visible = svc.visible_keys(assessment)
    hidden_required = [q.key for q in conditional if q.key not in visible]
    assert all(k not in missing for k in hidden_required)


def test_request_changes_reopens_for_the_vendor_and_resubmission_rescores(make):
    vendor = make.vendor()
    assessment = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    risk = make.user("risk")
    answer_all(contact, assessment, best=False)
    svc.submit_assessment(contact, assessment)
    worst = assessment.risk_score
    svc.review_assessment(risk, assessment, "request_changes", "Please improve.")
    assert assessment.status == "changes_requested"
    answer_all(contact, assessment, best=True)
    assert assessment.status == "in_progress"
    svc.submit_assessment(contact, assessment)
    assert assessment.risk_score < worst
    svc.review_assessment(risk, assessment, "complete", "Fine now.")
    assert assessment.status == "completed" and assessment.completed_at is not None


def test_staff_may_not_answer_and_vendor_may_not_review(make):
    from vendorassure.services.errors import Forbidden

    vendor = make.vendor()
    assessment = make.assessment(vendor)
    key = assessment.questionnaire.questions[0].key
    with pytest.raises(Forbidden):
        svc.save_answer(make.user("risk"), assessment, key, "yes")
    with pytest.raises(Forbidden):
        svc.review_assessment(make.user("vendor", vendor=vendor), assessment, "complete")
    with pytest.raises(Forbidden):
        svc.issue_assessment(make.user("risk"), vendor, "iso42001-ai-vendor", "2099-01-01")
