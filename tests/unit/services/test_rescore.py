"""Batch rescoring: same model changes nothing; a stricter model changes ratings, in one batch."""

from __future__ import annotations

import copy

import yaml
from sqlalchemy import select

from vendorassure.models import Assessment, ControlScore
from vendorassure.scoring import load_model
from vendorassure.services.library import library_root, scoring_model
from vendorassure.services.rescore import rescore_all
from vendorassure.services.scoring import build_input, current_details


def _submitted(make, count=3):
    return [
        make.submitted(level="high" if i % 2 else "low", best=bool(i % 2))[0] for i in range(count)
    ]


def _lenient_model():
    """The default model, except that a strong band rates low at every tier."""
    data = copy.deepcopy(yaml.safe_load((library_root() / "scoring" / "default.yaml").read_text()))
    data["version"] = "lenient-1"
    for tier in data["matrix"]:
        data["matrix"][tier]["strong"] = "low"
    return data


def test_rescore_with_the_same_model_changes_nothing(make, db):
    items = _submitted(make)
    before = {a.id: (a.rating, a.risk_score) for a in items}
    report = rescore_all(scoring_model())
    assert report.assessments == 3 and report.ratings_changed == 0
    db.session.expire_all()
    after = {a.id: (a.rating, a.risk_score) for a in db.session.scalars(select(Assessment))}
    assert after == before


def test_rescore_with_a_changed_model_reports_changes_and_matches_single_scoring(make, db):
    from vendorassure.scoring import score_assessment

    items = _submitted(make)
    model = load_model(_lenient_model())
    expected = {a.id: score_assessment(build_input(a), model) for a in items}
    changed = sum(1 for a in items if expected[a.id].rating != a.rating)
    assert changed >= 1, "the critical-tier vendor with the best answers moves from medium to low"
    report = rescore_all(model)
    assert report.ratings_changed == changed and report.model_version == model.version
    db.session.expire_all()
    for a in db.session.scalars(select(Assessment)):
        assert a.rating == expected[a.id].rating
        assert abs(a.risk_score - expected[a.id].risk_score) < 1e-6
        assert a.scoring_model_version == model.version
        rows = db.session.scalars(select(ControlScore).filter_by(assessment_id=a.id)).all()
        assert len(rows) == 38
    # The stored explanation says which model explained it; figures are the new ones.
    details = current_details(db.session.get(Assessment, items[0].id))
    assert details["model_version"] == model.version
    assert details["explanation_model_version"] == scoring_model().version
    assert details["rating"] == expected[items[0].id].rating


def test_stale_explanation_is_rebuilt_with_the_model_in_force(make, db):
    items = _submitted(make, 1)
    a = items[0]
    a.score_details = {**a.score_details, "model_version": "old-0", "drivers": []}
    db.session.commit()
    details = current_details(a)
    assert details["model_version"] == scoring_model().version
    assert details["drivers"] == score_again(a)["drivers"]


def score_again(a):
    from vendorassure.scoring import score_assessment

    return score_assessment(build_input(a), scoring_model()).to_dict()
