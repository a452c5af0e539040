"""The one score writer's bulk path: rows synced in place, only changed figures written, and
the batch rescore storing exactly what single scoring stores (both databases, both ways of
writing on PostgreSQL: statements and COPY)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import event, null, select

from tests.unit.services.test_rescore import _model, _submitted, scored_one_by_one, stored
from vendorassure.extensions import db as _db
from vendorassure.models import Answer, Assessment, ControlScore, ObjectiveScore
from vendorassure.queries import snapshot
from vendorassure.scoring import load_model, score_assessment
from vendorassure.scoring.batch import decode_json_values
from vendorassure.services import scoring as scoring_service
from vendorassure.services.rescore import _answer_rows, rescore_all
from vendorassure.services.scoring import (
    ScoreRecord,
    ScoreTable,
    _ids,
    build_input,
    question_defs,
    store_scores,
)


@pytest.fixture(params=["statements", "copy"])
def write_path(request, monkeypatch):
    """Every test twice: with the default thresholds, and with PostgreSQL's COPY path taken for
    any number of rows (on SQLite both runs take the one path it has)."""
    if request.param == "copy":
        monkeypatch.setattr(scoring_service, "_COPY_ROWS", 1)
    return request.param


class Writes:
    """Rows written to the score tables, per table and kind (INSERT, UPDATE, DELETE)."""

    def __init__(self):
        self.rows: dict[tuple[str, str], int] = {}

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        words = statement.split()
        kind = words[0].upper() if words else ""
        for table in ("control_scores", "objective_scores"):
            if kind in {"INSERT", "UPDATE", "DELETE"} and table in words[:4]:
                n = len(parameters) if executemany else max(cursor.rowcount, 0)
                self.rows[(table, kind)] = self.rows.get((table, kind), 0) + n
            elif kind == "COPY" and f"{table}" in words[1]:
                self.rows[(table, "COPY")] = self.rows.get((table, "COPY"), 0) + 1

    def __enter__(self):
        event.listen(_db.engine, "after_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        event.remove(_db.engine, "after_cursor_execute", self)


def _rows(model):
    """(assessment_id, control or objective id) -> the stored figures."""
    cols = [c for c in model.__table__.c if c.name != "id"]  # assessment_id, key, values
    return {(a, k): tuple(v) for a, k, *v in _db.session.execute(select(*cols))}


def _row_ids(model):
    return dict(_db.session.execute(select(model.id, model.assessment_id).order_by(model.id)).all())


def _with_evidence(make):
    """A submitted assessment with files on three answers: accepted, rejected, pending."""
    from tests.helpers import PDF, answer_all
    from vendorassure.services import assessments as assessment_service
    from vendorassure.services import evidence

    vendor = make.vendor(level="low")
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=True)
    asks = [q for q in question_defs(a.questionnaire) if "other" in q.evidence_kinds][:3]
    files = [evidence.upload_evidence(contact, a, f"p{i}.pdf", PDF + bytes([i]), "other", q.key)
             for i, q in enumerate(asks)]  # fmt: skip
    assessment_service.submit_assessment(contact, a)
    risk = make.user("risk")
    evidence.verify_evidence(risk, files[0], "accepted")
    evidence.verify_evidence(risk, files[1], "rejected", "Not the policy asked for.")
    return a


def test_bulk_rescore_stores_what_single_scoring_stores(make, db, write_path):
    items = _submitted(make, 6)
    items.append(make.submitted(level="high", best=False, key="iso42001-ai-vendor")[0])
    items.append(_with_evidence(make))
    model = load_model(_model())
    one_by_one = scored_one_by_one(db, items, model)
    from vendorassure.services import library

    # back to the shipped model, then the batch under the changed one
    rescore_all(library.scoring_model())
    assert {a.id: stored(db, a.id) for a in items} != one_by_one
    rescore_all(model)
    assert {a.id: stored(db, a.id) for a in items} == one_by_one


def test_rescore_under_a_changed_model_writes_only_the_changed_rows(make, db, write_path):
    items = _submitted(make, 6)
    ids_before = _row_ids(ControlScore), _row_ids(ObjectiveScore)
    before = _rows(ControlScore), _rows(ObjectiveScore)
    # self-attested answers weigh less: the figures of the best-answered controls that ask for
    # evidence move, those of the worst-answered vendor (all zero) stay
    data = _model("self-attested-0.6")
    data["evidence"]["factors"]["none"] = 0.6
    model = load_model(data)
    with Writes() as writes:
        report = rescore_all(model)
    after = _rows(ControlScore), _rows(ObjectiveScore)
    changed = [sum(1 for k in b if b[k] != a[k]) for b, a in zip(before, after, strict=True)]
    assert report.assessments == len(items)
    assert 0 < changed[0] < len(before[0]) and 0 < changed[1] < len(before[1])
    assert set(before[0]) == set(after[0]) and set(before[1]) == set(after[1])
    # rows updated in place: the same ids, none deleted or inserted
    assert (_row_ids(ControlScore), _row_ids(ObjectiveScore)) == ids_before
    kinds = {kind for _, kind in writes.rows}
    assert not kinds & {"INSERT", "DELETE"}
    assert writes.rows.get(("control_scores", "UPDATE"), 0) == changed[0]
    assert writes.rows.get(("objective_scores", "UPDATE"), 0) == changed[1]
    # and what is stored is the engine's figures
    objective_id = _ids("objectives")
    db.session.expire_all()
    for a in db.session.scalars(select(Assessment)):
        e = score_assessment(build_input(a), model)
        assert {k: tuple(v) for (aid, k), v in after[1].items() if aid == a.id} == {
            objective_id[o.ref]: (o.score, o.coverage, o.band) for o in e.objectives
        }

    # the same model again: the rating columns are stamped, no score row is written
    with Writes() as again:
        rescore_all(model)
    assert again.rows == {}


def test_the_writer_inserts_missing_rows_and_deletes_those_no_longer_scored(make, db, write_path):
    a, _ = make.submitted(level="high", best=False)
    db.session.commit()
    record = ScoreRecord.of(a.id, score_assessment(build_input(a), load_model(_model())))
    full = stored(db, a.id)
    # a record without its first control and objective: their rows go
    fewer = ScoreRecord(**{**record.__dict__, "controls": record.controls[1:],
                           "objectives": record.objectives[1:]})  # fmt: skip
    store_scores([fewer])
    db.session.commit()
    assert len(stored(db, a.id)["controls"]) == len(full["controls"]) - 1
    assert len(stored(db, a.id)["objectives"]) == len(full["objectives"]) - 1
    # the whole record again, as rows of a ScoreTable (the batch form): they come back
    table = ScoreTable(
        [ref for ref, *_ in record.controls],
        np.array([[s for _, s, _ in record.controls]]),
        np.array([[c for _, _, c in record.controls]]),
    )
    assert list(table.rows(0)) == list(record.controls) and table.rows(0) == record.controls
    generation = snapshot.generations().get("control_scores", 0)
    store_scores([ScoreRecord(**{**record.__dict__, "controls": table.rows(0)})])
    db.session.commit()
    assert snapshot.generations()["control_scores"] > generation  # COPY too: kept pages go
    restored = stored(db, a.id)
    assert restored["controls"] == stored_controls(record)
    assert len(restored["objectives"]) == len(full["objectives"])


def stored_controls(record):
    ids = _ids("controls")
    return sorted((ids[ref], s, c) for ref, s, c in record.controls)


def test_answers_read_raw_equal_the_typed_read(make, db):
    a, _ = make.submitted(level="high", best=True, key="iso42001-ai-vendor")
    rows = db.session.scalars(select(Answer).filter_by(assessment_id=a.id).order_by(Answer.id))
    rows = rows.all()
    # every kind of JSON value an answer may hold, and an N/A answer without a value
    odd = [5, 2.5, None, "null", ["x", "y"], {"k": [1, "two"]}, 'quote "and", comma\nand line']
    for ans, value in zip(rows, odd, strict=False):
        ans.value = value
    rows[len(odd)].value, rows[len(odd)].na = null(), True  # SQL NULL
    db.session.commit()
    typed = {
        (r.assessment_id, r.question_id): (r.value, r.na)
        for r in db.session.execute(
            select(Answer.assessment_id, Answer.question_id, Answer.value, Answer.na)
        )
    }
    frame = _answer_rows(select(Assessment.id))
    raw = {
        (int(x), int(q)): (v, bool(n))
        for x, q, v, n in frame[["assessment_id", "question_id", "value", "na"]].itertuples(
            index=False
        )
    }
    assert raw == typed
    assert {type(v) for v, _ in raw.values()} >= {int, float, str, list, dict, type(None)}


def test_json_values_are_decoded_as_the_column_type_does():
    texts = ['"yes"', '["a", "b"]', '"yes"', None, float("nan"), "null", "5", 7, 1.0, 1, '{"k": 1}']
    out = decode_json_values(np.array(texts, dtype=object))
    assert list(out) == ["yes", ["a", "b"], "yes", None, None, None, 5, 7, 1.0, 1, {"k": 1}]
    assert [type(v) for v in out[-4:-1]] == [int, float, int]
    assert out[1] is not None and len(decode_json_values(np.array([], dtype=object))) == 0
