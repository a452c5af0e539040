"""The portfolio seeder at small N: its data holds the app's rules and loads on every page."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from tests.conftest import PASSWORD, login
from vendorassure.extensions import db
from vendorassure.models import (
    Answer,
    Assessment,
    Evidence,
    Finding,
    Question,
    User,
    Vendor,
)
from vendorassure.models.assessments import STATUSES
from vendorassure.models.findings import FINDING_STATUSES
from vendorassure.scoring import AnswerIn, score_assessment, visible_questions
from vendorassure.seeding import DOMAIN, seed_portfolio
from vendorassure.services.library import scoring_model
from vendorassure.services.scoring import build_input, question_defs


@pytest.fixture
def seeded(app):
    seed_portfolio(60, seed=7, password=PASSWORD)
    return db.session.scalars(select(User).where(User.email == f"risk1@{DOMAIN}")).one()


def test_seeded_portfolio_covers_every_state_with_rule_abiding_data(seeded):
    statuses = set(db.session.scalars(select(Assessment.status).distinct()))
    assert statuses == set(STATUSES)
    assert set(db.session.scalars(select(Finding.status).distinct())) == set(FINDING_STATUSES)
    today = date.today()
    certs = db.session.scalars(select(Evidence).where(Evidence.kind.like("%_certificate"))).all()
    assert any(c.expires_on < today for c in certs) and any(c.expires_on >= today for c in certs)
    per_vendor = db.session.execute(
        select(func.count()).select_from(Assessment).group_by(Assessment.vendor_id)
    ).scalars()
    assert max(per_vendor) >= 3
    # every answered assessment stores only visible answers; submitted ones all required ones
    for a in db.session.scalars(select(Assessment).where(Assessment.submitted_at.is_not(None))):
        defs = question_defs(a.questionnaire)
        rows = db.session.execute(
            select(Question.key, Answer.value, Answer.na)
            .join(Answer, Answer.question_id == Question.id)
            .where(Answer.assessment_id == a.id)
        ).all()
        given = {k: AnswerIn(k, v, na) for k, v, na in rows}
        visible = visible_questions(defs, given)
        assert set(given) <= visible
        assert {q.key for q in defs if q.required and q.key in visible} <= set(given), a.id
    # scores are the engine's: the single-assessment path agrees with what the seeder stored
    model = scoring_model()
    sample = db.session.scalars(
        select(Assessment).where(Assessment.scored_at.is_not(None)).order_by(Assessment.id)
    ).all()[::25]
    assert sample
    for a in sample:
        result = score_assessment(build_input(a), model)
        assert (result.rating, result.risk_score) == (a.rating, a.risk_score), a.id
    # every vendor points at its latest scored, non-cancelled assessment
    for v in db.session.scalars(select(Vendor)):
        latest = db.session.scalar(
            select(func.max(Assessment.id)).where(
                Assessment.vendor_id == v.id,
                Assessment.scored_at.is_not(None),
                Assessment.status != "cancelled",
            )
        )
        assert v.latest_scored_assessment_id == latest


def test_seeded_portfolio_loads_on_every_page_and_export(client, api, seeded):
    login(client, seeded)
    vendor = db.session.scalars(
        select(Vendor).where(Vendor.latest_scored_assessment_id.is_not(None))
    ).first()
    pages = [
        "/dashboard",
        "/vendors/register",
        "/vendors/register?format=csv",
        f"/vendors/{vendor.id}/overview",
        f"/procurement/vendors/{vendor.id}",
        "/procurement/vendors",
        "/review/findings?status=all",
        "/reports/portfolio.xlsx",
        "/reports/evidence-pack.xlsx",
        *[f"/review/?status={s}" for s in ("review", *STATUSES)],
    ]
    for status in STATUSES:
        a = db.session.scalars(select(Assessment).filter_by(status=status).limit(1)).first()
        pages += [f"/review/assessments/{a.id}", f"/review/assessments/{a.id}/export.xlsx"]
    finding = db.session.scalars(select(Finding).limit(1)).first()
    pages.append(f"/review/findings/{finding.id}")
    evidence = db.session.scalars(select(Evidence).where(Evidence.assessment_id.is_not(None)))
    pages.append(f"/review/evidence/{evidence.first().id}/download")
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, path
        if path.endswith(".xlsx"):
            load_workbook(io.BytesIO(r.data))
    staff = api(seeded)
    for path in ("/vendors", "/assessments", "/findings", "/portfolio/summary", "/users"):
        r = staff.get(path)
        assert r.status_code in (200, 403), path
    assert staff.get("/portfolio/summary").get_json()["vendors"] > 0
    # the vendor side: a contact sees its own assessments and answers them
    contact = db.session.scalars(select(User).filter_by(vendor_id=vendor.id)).one()
    client.get("/logout")
    login(client, contact)
    assert client.get("/portal/").status_code == 200
    for a in db.session.scalars(select(Assessment).filter_by(vendor_id=vendor.id)):
        assert client.get(f"/portal/assessments/{a.id}").status_code in (200, 409), a.status


def test_cli_seeds_a_portfolio_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--vendors", "8", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Vendor)) == 8
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--vendors", "5"])
    assert result.exit_code == 1
    assert "already present" in result.output


def test_the_app_adds_records_after_a_seed(app, make):
    """Seeded rows carry explicit ids: on PostgreSQL the id sequences must move past them, or
    the app's next vendor, user or finding collides with a seeded one."""
    from vendorassure.models import Answer, Evidence, Vendor
    from vendorassure.services import findings as finding_service

    if db.session.get_bind().dialect.name == "postgresql":  # sequences as on a new database
        for model in (User, Vendor, Assessment, Answer, Evidence, Finding):
            db.session.execute(text(f"ALTER SEQUENCE {model.__tablename__}_id_seq RESTART WITH 1"))
        db.session.commit()
    seed_portfolio(5, seed=11, password=PASSWORD)
    most = {m: db.session.scalar(select(func.max(m.id))) for m in (User, Vendor, Finding)}
    vendor = make.vendor("Added After Seed Ltd")
    user = make.user("risk")
    a, _ = make.submitted(level="high", best=False)
    finding = finding_service.create_finding(user, a, {"title": "New gap", "severity": "low"})
    db.session.commit()
    assert vendor.id > most[Vendor] and user.id > most[User] and finding.id > most[Finding]
    assert a.vendor_id > vendor.id


def test_assessments_under_review_carry_what_the_app_proposes(seeded):
    """The seeded proposals are the app's own: reconciling them with the score changes nothing."""
    from vendorassure.services import findings as finding_service

    in_review = db.session.scalars(
        select(Assessment).where(Assessment.status == "under_review")
    ).all()
    assert in_review
    lookups = finding_service.ReconcileLookups()
    for a in in_review:
        assert finding_service.reconcile(None, a, lookups) == {
            "proposed": [], "updated": [], "withdrawn": []
        }, a.id  # fmt: skip
    proposed = db.session.scalar(
        select(func.count()).where(Finding.status == "proposed", Finding.origin != "manual")
    )
    assert proposed > 0
