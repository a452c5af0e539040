"""One score record: batch rescore and single scoring store the same thing; reading never writes."""

from __future__ import annotations

import copy
import statistics

import yaml
from sqlalchemy import event, select

from vendorassure.extensions import db as _db
from vendorassure.models import Assessment, ControlScore, Objective, ObjectiveScore
from vendorassure.queries import portfolio
from vendorassure.scoring import load_model, score_assessment
from vendorassure.services.library import library_root, scoring_model
from vendorassure.services.rescore import rescore_all
from vendorassure.services.scoring import (
    build_input,
    score_assessment_now,
    score_view,
)


def _submitted(make, count=3):
    """A low-tier vendor with the best answers, a high-tier one, one with the worst answers..."""
    kinds = [("low", True), ("high", True), ("low", False)]
    return [make.submitted(level=kinds[i % 3][0], best=kinds[i % 3][1])[0] for i in range(count)]


def _model(version="strict-1", **changes):
    """The default model, with adequate controls at a low tier rating medium (a clear change)."""
    data = copy.deepcopy(yaml.safe_load((library_root() / "scoring" / "default.yaml").read_text()))
    data["version"] = version
    data["matrix"]["low"]["adequate"] = "medium"
    data.update(changes)
    return data


def stored(db, assessment_id):
    """Everything the score record holds for one assessment."""
    db.session.expire_all()
    a = db.session.get(Assessment, assessment_id)
    controls = db.session.execute(
        select(ControlScore.control_id, ControlScore.score, ControlScore.coverage)
        .filter_by(assessment_id=a.id)
        .order_by(ControlScore.control_id)
    ).all()
    objectives = db.session.execute(
        select(
            ObjectiveScore.objective_id,
            ObjectiveScore.score,
            ObjectiveScore.coverage,
            ObjectiveScore.band,
        )  # fmt: skip
        .filter_by(assessment_id=a.id)
        .order_by(ObjectiveScore.objective_id)
    ).all()
    return {
        "columns": (
            a.risk_score,
            a.rating,
            a.effectiveness,
            a.band,
            a.inherent_tier,
            a.scoring_model_version,
        ),  # fmt: skip
        "controls": [tuple(r) for r in controls],
        "objectives": [tuple(r) for r in objectives],
        "explanation": a.score_details,
    }


def test_rescore_with_the_same_model_changes_nothing(make, db):
    items = _submitted(make)
    before = {a.id: stored(db, a.id) for a in items}
    report = rescore_all(scoring_model(), as_of=items[0].scored_at.date())
    assert report.assessments == 3 and report.ratings_changed == 0
    assert {a.id: stored(db, a.id) for a in items} == before


def scored_one_by_one(db, items, model) -> dict:
    """Each assessment scored alone under `model` (the model in force for the while), as
    stored."""
    from vendorassure.services import library

    cache = library._cache()
    cache["model"], saved = model, cache.get("model")
    try:
        for a in items:
            score_assessment_now(db.session.get(Assessment, a.id))
        db.session.commit()
        return {a.id: stored(db, a.id) for a in items}
    finally:
        cache["model"] = saved


def test_batch_and_one_by_one_store_identical_records(make, db):
    items = _submitted(make, 4)
    model = load_model(_model())
    one_by_one = scored_one_by_one(db, items, model)
    rescore_all(model)
    batch = {a.id: stored(db, a.id) for a in items}
    assert batch == one_by_one
    for record in batch.values():
        assert record["columns"][-1] == "strict-1"
        assert len(record["controls"]) == 38 and len(record["objectives"]) == 9


def test_rescore_with_a_changed_model_stamps_every_part_with_it(make, db):
    items = _submitted(make)
    model = load_model(_model())
    expected = {a.id: score_assessment(build_input(a), model) for a in items}
    changed = sum(1 for a in items if expected[a.id].rating != a.rating)
    assert changed >= 1, "a low-tier vendor with unverified best answers moves to medium"
    report = rescore_all(model)
    assert report.ratings_changed == changed and report.model_version == model.version
    db.session.expire_all()
    for a in db.session.scalars(select(Assessment)):
        e = expected[a.id]
        assert (a.rating, a.risk_score, a.band) == (e.rating, e.risk_score, e.band)
        assert a.scoring_model_version == model.version
        assert a.score_details == e.explanation.to_dict()
        view = score_view(a)
        assert view["model_version"] == model.version
        assert [o["score"] for o in view["objectives"]] == [o.score for o in e.objectives]


def test_dashboard_equals_the_engine_after_a_rescore_with_another_model(make, db):
    items = _submitted(make, 4)
    # a model that weighs the supplier objective's controls differently changes A.10 scores
    data = _model("suppliers-heavy-1")
    data["weights"]["controls"] = {**data["weights"]["controls"], "A.10.3": 5.0, "A.10.4": 0.2}
    model = load_model(data)
    rescore_all(model)
    db.session.expire_all()
    engine = [
        next(o.score for o in score_assessment(build_input(a), model).objectives if o.ref == "A.10")
        for a in db.session.scalars(select(Assessment))
    ]
    summary = portfolio.summary()
    assert summary["third_party"]["vendors"] == len(items)
    assert summary["third_party"]["average_score"] == round(statistics.mean(engine), 3)
    # and the register reads the same table
    rows = {r["assessment_id"]: r for r in portfolio.vendor_register()}
    a10 = _db.session.scalar(select(Objective.id).filter_by(ref="A.10"))
    for a in items:
        stored_a10 = _db.session.scalar(
            select(ObjectiveScore.score).filter_by(assessment_id=a.id, objective_id=a10)
        )
        assert rows[a.id]["third_party_score"] == stored_a10


def test_reading_a_score_never_writes(make, db, client, login_as):
    a, _ = make.submitted(level="high", best=False)
    writes = []

    def spy(conn, cursor, statement, *args):
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", spy)
    try:
        score_view(a)
        login_as("risk")
        writes.clear()
        assert client.get(f"/review/assessments/{a.id}").status_code == 200
        # the page itself is kept as a snapshot (a cache, not a score)
        kept = ("audit", "users", "snapshots")
        page_writes = [w for w in writes if not any(k in w for k in kept)]
        assert page_writes == []
    finally:
        event.remove(engine, "before_cursor_execute", spy)
