"""A small hand-built portfolio whose dashboard figures are known in advance.

Alpha   low tier       best answers, certificate accepted (expires in 45 days), completed -> low
Bravo   critical tier  worst answers, completed with an override to high; findings proposed:
                       one confirmed and overdue, one risk-accepted, the rest left proposed
Charlie low tier       assessment sent, due date moved into the past -> overdue assessment
Delta   critical tier  registered, never assessed -> unrated and due for reassessment
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from tests.helpers import PDF, answer_all
from vendorassure.extensions import db
from vendorassure.models import Evidence, Finding
from vendorassure.services import assessments, evidence, findings, review

EXPECTED = {
    "by_rating": {"low": 1, "medium": 0, "high": 1, "critical": 0, "unrated": 2},
    "by_tier": {"low": 2, "medium": 0, "high": 0, "critical": 2},
    "heatmap_cells": {("low", "low"): 1, ("critical", "high"): 1},
    "by_status_nonzero": {"completed": 2, "sent": 1},
    "overdue_assessments": 1,
    "overdue_findings": 1,
    "open_findings": 1,
    "risk_accepted": 1,
    "expiring": {"30": 0, "60": 1, "90": 1},
    "reassessment_due": 1,
    "vendors": 4,
}


@dataclass
class Portfolio:
    risk: object
    buyer: object
    alpha: object
    bravo: object
    charlie: object
    delta: object
    a_alpha: object
    a_bravo: object
    a_charlie: object
    overdue_finding: object
    accepted_finding: object


def build(make) -> Portfolio:
    """Make the data set through the services (audit and rules apply)."""
    buyer = make.user("procurement")
    risk = make.user("risk")
    alpha = make.vendor("Alpha Analytics", level="low", actor=buyer)
    bravo = make.vendor("Bravo Bots", level="high", actor=buyer)
    charlie = make.vendor("Charlie Chat", level="low", actor=buyer)
    delta = make.vendor("Delta Decisions", level="high", actor=buyer)

    a_alpha = make.assessment(alpha, "iso42001-ai-vendor-lite", actor=buyer)
    alpha_user = make.user("vendor", vendor=alpha)
    answer_all(alpha_user, a_alpha, best=True)
    evidence.upload_evidence(
        alpha_user,
        a_alpha,
        "cert.pdf",
        PDF + b"alpha",
        "iso42001_certificate",
        certification_body="Example CB",
        certificate_number="AIMS-1",
        scope="All AI services",
        issued_on=date.today() - timedelta(days=300),
        expires_on=date.today() + timedelta(days=45),
    )
    assessments.submit_assessment(alpha_user, a_alpha)
    ev = db.session.scalar(select(Evidence).filter_by(assessment_id=a_alpha.id))
    evidence.verify_evidence(risk, ev, "accepted", "ok", True, True)
    assessments.review_assessment(risk, a_alpha, "complete", "Fine.")

    a_bravo = make.assessment(bravo, "iso42001-ai-vendor-lite", actor=buyer)
    bravo_user = make.user("vendor", vendor=bravo)
    answer_all(bravo_user, a_bravo, best=False)
    assessments.submit_assessment(bravo_user, a_bravo)
    proposed = review.start_review(risk, a_bravo)
    assert len(proposed) >= 2
    overdue = findings.update_finding(
        risk, proposed[0], {"status": "open", "due_date": date.today() - timedelta(days=3)}
    )
    accepted = findings.update_finding(risk, proposed[1], {"status": "open"})
    accepted = findings.update_finding(
        risk,
        accepted,
        {
            "status": "risk_accepted",
            "acceptance_reason": "Compensating control at our side.",
            "accepted_until": (date.today() + timedelta(days=90)).isoformat(),
        },
    )
    review.complete_review(
        risk,
        a_bravo,
        "Override.",
        "high",
        "Contract limits use to internal pilots.",
        proposed="dismiss",
        dismiss_reason="Covered by the contract's limits.",
    )

    a_charlie = make.assessment(charlie, "iso42001-ai-vendor-lite", actor=buyer)
    a_charlie.due_date = date.today() - timedelta(days=2)
    db.session.commit()

    return Portfolio(
        risk=risk,
        buyer=buyer,
        alpha=alpha,
        bravo=bravo,
        charlie=charlie,
        delta=delta,
        a_alpha=a_alpha,
        a_bravo=a_bravo,
        a_charlie=a_charlie,
        overdue_finding=overdue,
        accepted_finding=accepted,
    )


def proposed_count(assessment_id: int) -> int:
    return len(
        db.session.scalars(
            select(Finding.id).filter_by(assessment_id=assessment_id, status="proposed")
        ).all()
    )
