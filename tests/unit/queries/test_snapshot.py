"""The portfolio snapshot: shared in the database, invalidated by every write that changes a
figure (ORM or bulk), never by an answer autosave, and never stale after a concurrent write."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update

from tests.conftest import PASSWORD
from vendorassure.extensions import db
from vendorassure.models import Assessment, Snapshot, Vendor
from vendorassure.queries import portfolio, snapshot
from vendorassure.seeding import seed_portfolio
from vendorassure.services import assessments as assessment_service


def test_a_bulk_score_write_changes_the_figures_at_once(app):
    seed_portfolio(20, seed=4, password=PASSWORD)
    before = portfolio.summary()
    assert db.session.scalar(select(func.count()).select_from(Snapshot)) == 1
    # what rescore does: Core UPDATE of the score columns, no ORM objects
    db.session.execute(
        update(Assessment).where(Assessment.scored_at.is_not(None)).values(rating="critical")
    )
    db.session.commit()
    after = portfolio.summary()
    assert after["by_rating"]["critical"] > before["by_rating"]["critical"]
    assert after == portfolio.compute_summary(date.today())


def test_an_answer_autosave_keeps_the_snapshot(app, make):
    a = make.assessment()
    contact = make.user("vendor", vendor=a.vendor)
    key = a.questionnaire.questions[0].key
    value = a.questionnaire.questions[0].options[0]["value"]
    assessment_service.save_answer(contact, a, key, value)  # sent -> in progress: a change
    before = snapshot.generations()
    assessment_service.save_answer(contact, a, key, value)  # the same answer again
    after = snapshot.generations()
    assert after.get("answers", 0) > before.get("answers", 0)  # the answer itself was written
    assert after["assessments"] == before["assessments"]  # only its lock moved: no figure
    assert {k: v for k, v in after.items() if k not in ("answers", "audit_events")} == {
        k: v for k, v in before.items() if k not in ("answers", "audit_events")
    }


def test_a_reader_never_publishes_figures_a_concurrent_write_made_stale(app, make):
    calls = []

    def compute():
        calls.append(1)
        if len(calls) == 1:  # a write commits while the first reader computes
            make.vendor("Arrived meanwhile")
        return {"n": len(calls)}

    today = date.today()
    assert snapshot.cached("test", today, {}, compute) == {"n": 1}
    assert snapshot.cached("test", today, {}, compute) == {"n": 2}  # recomputed, not stale
    assert snapshot.cached("test", today, {}, compute) == {"n": 2}  # and now kept
    assert len(calls) == 2


def test_a_changed_setting_is_not_served_old_figures(app, monkeypatch):
    seed_portfolio(20, seed=6, password=PASSWORD)
    wide = portfolio.summary()["reassessment"]["due"]
    monkeypatch.setitem(app.config, "REASSESSMENT_NOTICE_DAYS", 0)
    narrow = portfolio.summary()["reassessment"]["due"]
    assert narrow == portfolio.compute_summary(date.today())["reassessment"]["due"]
    assert narrow <= wide


def test_portfolio_refresh_repoints_ratings_and_drops_snapshots(app):
    seed_portfolio(10, seed=8, password=PASSWORD)
    portfolio.summary()
    db.session.execute(update(Vendor).values(latest_scored_assessment_id=None))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["portfolio", "refresh"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Snapshot)) == 0
    pointed = db.session.scalar(
        select(func.count()).where(Vendor.latest_scored_assessment_id.is_not(None))
    )
    assert pointed == db.session.scalar(
        select(func.count(func.distinct(Assessment.vendor_id))).where(
            Assessment.scored_at.is_not(None), Assessment.status != "cancelled"
        )
    )


def test_writes_the_engine_cannot_see_are_noted_by_hand(app):
    before = snapshot.generations().get("control_scores", 0)
    snapshot.wrote(db.session.connection(), "control_scores", "no_such_table")
    db.session.commit()
    after = snapshot.generations()
    assert after["control_scores"] == before + 1 and "no_such_table" not in after
