"""Feed assessments to the pure scoring engine, store the score record, and read it back.

The score record of an assessment is its rating columns, its control_scores and
objective_scores rows and its explanation (score_details), all from one model version.
``store_scores`` is their only writer (used one at a time on submit and on evidence review, and
in batch by ``rescore``); ``score_view`` reads them and never writes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.schema import CreateTable

from ..extensions import db
from ..models import (
    CERTIFICATE_KINDS,
    Answer,
    Assessment,
    Control,
    ControlScore,
    Evidence,
    Objective,
    ObjectiveScore,
    Question,
    Vendor,
)
from ..models._base import utcnow
from ..queries.evidence import assessment_evidence
from ..scoring import (
    AnswerIn,
    CertificateIn,
    ControlDef,
    QuestionDef,
    ScoreResult,
    ScoringInput,
    score_assessment,
)
from ..scoring.describe import Words, describe
from ..scoring.types import third_party_view
from ..scoring.vocabulary import load_vocabulary
from .library import intake_definition, scoring_model


def _cache() -> dict:
    return current_app.extensions.setdefault("vendorassure_cache", {})


def question_defs(questionnaire) -> tuple[QuestionDef, ...]:
    """Return the scoring view of a questionnaire version (cached: versions never change)."""
    key = ("questions", questionnaire.id)
    cache = _cache()
    if key not in cache:
        cache[key] = tuple(QuestionDef.from_dict(q.to_dict()) for q in questionnaire.questions)
    return cache[key]


def control_defs() -> tuple[ControlDef, ...]:
    """Return the control catalog in catalog order (cached)."""
    cache = _cache()
    if "controls" not in cache:
        cache["controls"] = tuple(
            ControlDef(ref=c.ref, objective=c.objective, title=c.title)
            for c in db.session.scalars(select(Control).order_by(Control.position))
        )
    return cache["controls"]


def _ids(kind: str) -> dict[str, int]:
    """ref -> id of controls or objectives (cached: the catalog is loaded once)."""
    cache = _cache()
    key = ("ids", kind)
    if key not in cache:
        model = Control if kind == "controls" else Objective
        cache[key] = dict(db.session.execute(select(model.ref, model.id)).all())
    return cache[key]


def evidence_state(states: set[str]) -> str:
    """The evidence state of an answer from the verifications of the files attached to it."""
    if "accepted" in states:
        return "verified"
    if "pending" in states:
        return "provided"
    if "rejected" in states:
        return "rejected"
    return "none"


def certificate_in(ev: Evidence, as_of: date) -> CertificateIn:
    """The engine's view of a certificate on file."""
    return CertificateIn(
        id=ev.id,
        kind=ev.kind,
        verification=ev.verification,
        issued_on=ev.issued_on,
        expires_on=ev.expires_on,
        scope_covers_service=ev.scope_covers_service,
        accredited=ev.accredited,
        suspended=ev.suspended_on is not None and ev.suspended_on <= as_of,
    )


def build_input(assessment: Assessment, as_of: date | None = None) -> ScoringInput:
    """Collect answers, evidence states, certificates and the intake of one assessment."""
    as_of = as_of or date.today()
    answers = db.session.execute(
        select(Answer.question_id, Question.key, Answer.value, Answer.na)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.assessment_id == assessment.id)
    ).all()
    used = assessment_evidence(assessment)
    evidence = [ev for ev, _ in used]
    by_question: dict[int, set[str]] = {}
    for ev, question_id in used:
        if question_id is not None:
            by_question.setdefault(question_id, set()).add(ev.verification)
    answers_in = {
        key: AnswerIn(key, value, na, evidence_state(by_question.get(qid, set())))
        for qid, key, value, na in answers
    }
    return ScoringInput(
        questions=question_defs(assessment.questionnaire),
        controls=control_defs(),
        answers=answers_in,
        certificates=tuple(
            certificate_in(e, as_of) for e in evidence if e.kind in CERTIFICATE_KINDS
        ),  # fmt: skip
        inherent_tier=assessment.vendor.inherent_tier,
        as_of=as_of,
        intake=dict(assessment.vendor.intake or {}),
    )


# ---- the one writer -----------------------------------------------------------------------------


class ScoreTable:
    """The control (or objective) figures of many assessments as arrays: ``refs`` (k) and one
    n x k array per value column. A batch's records each hold a row of it (``ScoreRows``), so
    the writer takes the figures as arrays, not as millions of tuples."""

    __slots__ = ("refs", "columns")

    def __init__(self, refs: Sequence[str], *columns: np.ndarray):
        self.refs = list(refs)
        self.columns = tuple(np.asarray(c).reshape(-1, len(self.refs)) for c in columns)

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def rows(self, i: int) -> ScoreRows:
        return ScoreRows(self, i)


class ScoreRows(Sequence):
    """One assessment's rows of a ``ScoreTable``: a sequence of (ref, *values) tuples."""

    __slots__ = ("table", "i")

    def __init__(self, table: ScoreTable, i: int):
        self.table, self.i = table, i

    def __len__(self) -> int:
        return len(self.table.refs)

    def __getitem__(self, j):
        return list(self)[j]

    def __iter__(self):
        return zip(self.table.refs, *(c[self.i].tolist() for c in self.table.columns), strict=True)

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # like the lists it stands for

    def __repr__(self) -> str:
        return repr(list(self))


@dataclass(frozen=True)
class ScoreRecord:
    """Everything stored for one scored assessment, from one model version."""

    assessment_id: int
    risk_score: float
    rating: str
    effectiveness: float
    band: str
    inherent_tier: str
    model_version: str
    controls: Sequence[tuple[str, float, float]]  # (ref, score, coverage)
    objectives: Sequence[tuple[str, float, float, str | None]]  # (ref, score, coverage, band)
    explanation: dict[str, Any]

    @classmethod
    def of(cls, assessment_id: int, r: ScoreResult) -> ScoreRecord:
        """The record of one engine result."""
        return cls(
            assessment_id=assessment_id,
            risk_score=r.risk_score,
            rating=r.rating,
            effectiveness=r.effectiveness,
            band=r.band,
            inherent_tier=r.inherent_tier,
            model_version=r.model_version,
            controls=[(c.ref, c.score, c.coverage) for c in r.controls],
            objectives=[(o.ref, o.score, o.coverage, o.band) for o in r.objectives],
            explanation=r.explanation.to_dict(),
        )


def store_scores(records: Iterable[ScoreRecord], model=None) -> list[ScoreRecord]:
    """Write score records: rating columns, control and objective scores and explanation.

    All or nothing: the rows are written in the caller's transaction and committed (or rolled
    back) with it. Returns the records as written (weak upstream providers applied).

    One path for one record and for a portfolio: the rating columns of every record are
    written; of the control and objective rows, only those whose figures differ from the stored
    ones are updated (in place, by id), missing ones inserted and those no longer scored deleted
    (``_sync_rows``), so a model change that moves some scores writes only those.
    """
    from .score_hooks import before_store

    records = before_store(list(records), model)  # upstream providers, rating-changed webhooks
    if not records:
        return []
    db.session.flush()
    now = utcnow()
    controls, objectives = _ids("controls"), _ids("objectives")
    ids = [r.assessment_id for r in records]
    if db.session.get_bind().dialect.name == "postgresql" and len(records) > 50:
        _update_through_temp_table(records, now)
    else:
        table = Assessment.__table__
        _many(
            table.update()
            .where(table.c.id == bindparam("_id"))
            .values(
                risk_score=bindparam("_risk"),
                rating=bindparam("_rating"),
                effectiveness=bindparam("_eff"),
                band=bindparam("_band"),
                inherent_tier=bindparam("_tier"),
                score_details=bindparam("_details"),
                scoring_model_version=bindparam("_model"),
                scored_at=bindparam("_at"),
                updated_at=bindparam("_at"),
            ),
            [c.name for c in _SCORE_ROWS.c],
            [_score_columns(r, now) for r in records],
        )
    _sync_rows(_CONTROL_ROWS, ids, _columns(records, "controls", controls))
    _sync_rows(_OBJECTIVE_ROWS, ids, _columns(records, "objectives", objectives))
    refresh_latest_scored(
        db.session.scalars(select(Assessment.vendor_id).where(Assessment.id.in_(ids))).all()
        if len(ids) <= 5000
        else None
    )
    # instances already in the session must not keep the old figures
    written = set(ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Assessment) and obj.id in written:
            db.session.expire(
                obj,
                ["risk_score", "rating", "effectiveness", "band", "inherent_tier",
                 "score_details", "scoring_model_version", "scored_at"],
            )  # fmt: skip
    return records


@dataclass(frozen=True)
class _Rows:
    """A table of per-assessment score rows: (assessment_id, key) is unique, the rest values."""

    table: Table
    key: str
    values: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        return ["assessment_id", self.key, *self.values]

    @property
    def staging(self) -> Table:
        """The temporary table PostgreSQL updates many rows from (id and new values)."""
        return _STAGING[self.table.name]


_CONTROL_ROWS = _Rows(ControlScore.__table__, "control_id", ("score", "coverage"))
_OBJECTIVE_ROWS = _Rows(ObjectiveScore.__table__, "objective_id", ("score", "coverage", "band"))
_STAGING = {
    spec.table.name: Table(
        f"{spec.table.name}_staged",
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=False),
        *(Column(c, spec.table.c[c].type) for c in spec.values),
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DELETE ROWS",
    )
    for spec in (_CONTROL_ROWS, _OBJECTIVE_ROWS)
}
# From this many rows on, PostgreSQL reads and writes score rows with COPY; below, statements.
_COPY_ROWS = 500


def _columns(records: list[ScoreRecord], attr: str, key_of: dict[str, int]) -> list[np.ndarray]:
    """assessment_id, key id and value columns of the records' ``attr`` rows (refs outside the
    catalog left out): straight from the arrays of ``ScoreTable`` rows, else from the tuples."""
    tables: dict[int, tuple[ScoreTable, list[int], list[int]]] = {}
    plain: list[tuple] = []
    for r in records:
        rows = getattr(r, attr)
        if isinstance(rows, ScoreRows):
            _, aids, at = tables.setdefault(id(rows.table), (rows.table, [], []))
            aids.append(r.assessment_id)
            at.append(rows.i)
        else:
            plain.extend((r.assessment_id, key_of[t[0]], *t[1:]) for t in rows if t[0] in key_of)
    parts = []
    for table, aids, at in tables.values():
        known = np.array([ref in key_of for ref in table.refs], dtype=bool)
        keys = np.array([key_of[ref] for ref in table.refs if ref in key_of], dtype=np.int64)
        parts.append(
            [np.repeat(np.array(aids, dtype=np.int64), len(keys)), np.tile(keys, len(aids))]
            + [c[at][:, known].ravel() for c in table.columns]
        )
    if plain or not parts:
        width = 2 + len((_CONTROL_ROWS if attr == "controls" else _OBJECTIVE_ROWS).values)
        cols = list(zip(*plain, strict=True)) if plain else [()] * width
        parts.append([np.array(cols[0], dtype=np.int64), np.array(cols[1], dtype=np.int64)]
                     + [np.array(c, dtype=object) for c in cols[2:]])  # fmt: skip
    return [np.concatenate([p[j] for p in parts]) for j in range(len(parts[0]))]


def _sync_rows(spec: _Rows, ids: list[int], new: list[np.ndarray]) -> None:
    """Make the stored rows of the assessments ``ids`` equal ``new`` (columns assessment_id,
    key, *values): changed rows updated by id, new ones inserted, the others deleted; rows that
    are equal already are left alone."""
    old = _read_rows(spec, ids)
    o_aid, o_key = old["assessment_id"], old[spec.key]
    span = 1 + max(int(new[1].max()) if len(new[1]) else 0, int(o_key.max()) if len(o_key) else 0)
    at = pd.Index(o_aid * span + o_key).get_indexer(new[0] * span + new[1])  # -1: not stored
    matched = np.flatnonzero(at >= 0)
    differs = np.zeros(len(matched), dtype=bool)
    for j, c in enumerate(spec.values):  # exact: a figure that moves at all is rewritten
        a, b = new[2 + j][matched], old[c][at[matched]]
        differs |= np.asarray(a != b, dtype=bool)
    changed = matched[differs]
    kept = np.zeros(len(o_aid), dtype=bool)
    kept[at[matched]] = True
    values = [new[2 + j].astype(object) for j in range(len(spec.values))]
    update = list(
        zip(
            old["id"][at[changed]].tolist(),
            *(v[changed].tolist() for v in values),
            strict=True,
        )
    )
    fresh = np.flatnonzero(at < 0)
    insert = list(
        zip(new[0][fresh].tolist(), new[1][fresh].tolist(), *(v[fresh].tolist() for v in values),
            strict=True)
    )  # fmt: skip
    _write_rows(spec, old["id"][~kept].tolist(), update, insert)


def driver_rows(stmt) -> list[tuple]:
    """The rows of a select as the driver's plain tuples: no type processing, no Row objects
    (for the few bulk reads of plain numbers and texts that millions of rows make slow)."""
    result = db.session.connection().execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def copy_csv(stmt) -> io.BytesIO:
    """PostgreSQL: the rows of a select as CSV from ``COPY ... TO STDOUT`` (for pandas)."""
    conn = db.session.connection()
    sql = stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    buf = io.BytesIO()
    with (
        conn.connection.dbapi_connection.cursor() as cur,
        cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy,
    ):
        for block in copy:
            buf.write(block)
    buf.seek(0)
    return buf


def _read_rows(spec: _Rows, ids: list[int]) -> dict[str, np.ndarray]:
    """id, assessment_id, key and value columns of the stored rows of the assessments, read raw
    (COPY on PostgreSQL, the driver's tuples elsewhere)."""
    t = spec.table
    cols = ["id", *spec.columns]
    kinds = [np.int64] * 3 + [np.float64 if isinstance(t.c[c].type, Float) else object
                              for c in spec.values]  # fmt: skip
    stmt = select(*(t.c[c] for c in cols))
    if db.session.get_bind().dialect.name == "postgresql" and len(ids) * 10 >= _COPY_ROWS:
        buf = copy_csv(stmt.where(t.c.assessment_id.in_(ids)))
        if not buf.getbuffer().nbytes:
            return {c: np.empty(0, dtype=k) for c, k in zip(cols, kinds, strict=True)}
        frame = pd.read_csv(buf, header=None, names=cols, keep_default_na=False,
                            na_values=[""], dtype=dict.fromkeys(spec.values, object))  # fmt: skip
        out = {}
        for c, k in zip(cols, kinds, strict=True):
            v = frame[c].to_numpy(dtype=object)
            # the figures parsed by float() (exactly as stored, so equal figures compare equal
            # whatever pandas' parser does); NULL texts as None
            out[c] = v.astype(k) if k is not object else np.where(pd.isna(v), None, v)
        return out
    rows = [r for chunk in _chunks(ids, 5000)
            for r in driver_rows(stmt.where(t.c.assessment_id.in_(chunk)))]  # fmt: skip
    return dict(zip(cols, row_columns(rows, kinds), strict=True))


def row_columns(rows: list[tuple], kinds: Sequence) -> list[np.ndarray]:
    """Columns of plain tuples as arrays of the given kinds (numpy types, or object): one 2-D
    object array cut into columns, several times faster than a DataFrame from records."""
    if not rows:
        return [np.empty(0, dtype=k) for k in kinds]
    grid = np.empty((len(rows), len(kinds)), dtype=object)
    grid[:] = rows
    return [grid[:, j] if k is object else grid[:, j].astype(k) for j, k in enumerate(kinds)]


def _write_rows(spec: _Rows, delete_ids: list, update: list[tuple], insert: list[tuple]) -> None:
    """Delete rows by id, update the values of rows by id ((id, *values)), insert new rows."""
    t = spec.table
    conn = db.session.connection()
    for chunk in _chunks(delete_ids, 5000):
        conn.execute(t.delete().where(t.c.id.in_(chunk)))
    if conn.dialect.name == "postgresql" and len(update) + len(insert) >= _COPY_ROWS:
        _copy_rows(spec, update, insert)
        return
    set_values = t.update().where(t.c.id == bindparam("_id"))
    set_values = set_values.values({c: bindparam(f"_{c}") for c in spec.values})
    _many(set_values, ["_id", *(f"_{c}" for c in spec.values)], update)
    _many(t.insert(), spec.columns, insert)


def _many(stmt, names: list[str], rows: list[tuple]) -> None:
    """Execute a statement for many rows given as tuples in the order of ``names``: on SQLite
    straight to the driver (no dict per row), elsewhere as SQLAlchemy parameter sets."""
    if not rows:
        return
    conn = db.session.connection()
    if conn.dialect.paramstyle != "qmark":
        conn.execute(stmt, [dict(zip(names, r, strict=True)) for r in rows])
        return
    compiled = stmt.compile(dialect=conn.dialect, column_keys=names)
    order = [names.index(n) for n in compiled.positiontup]  # a name may come twice
    # each value as the column's type binds it (JSON to text, datetimes to ISO text, ...)
    procs = [compiled.binds[n].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
             for n in compiled.positiontup]  # fmt: skip
    if any(procs):
        rows = [tuple(p(r[i]) if p else r[i] for i, p in zip(order, procs, strict=True))
                for r in rows]  # fmt: skip
    elif order != list(range(len(names))):
        rows = [tuple(r[i] for i in order) for r in rows]
    conn.exec_driver_sql(compiled.string, rows)


def _copy_rows(spec: _Rows, update: list[tuple], insert: list[tuple]) -> None:
    """PostgreSQL, many rows: updates COPYed into a temporary table and applied with one
    UPDATE ... FROM, inserts COPYed into the table."""
    t, staged = spec.table, spec.staging
    conn = db.session.connection()
    with conn.connection.dbapi_connection.cursor() as cur:
        if update:
            conn.execute(CreateTable(staged, if_not_exists=True))
            conn.execute(text(f"TRUNCATE {staged.name}"))
            with cur.copy(f"COPY {staged.name} (id, {', '.join(spec.values)}) FROM STDIN") as cp:
                for row in update:
                    cp.write_row(row)
            conn.execute(
                t.update()
                .where(t.c.id == staged.c.id)
                .values({c: staged.c[c] for c in spec.values})
            )
        if insert:
            from ..queries import snapshot

            with cur.copy(f"COPY {t.name} ({', '.join(spec.columns)}) FROM STDIN") as cp:
                for row in insert:
                    cp.write_row(row)
            snapshot.wrote(conn, t.name)  # a write the engine's events do not see


# Many score rows on PostgreSQL: one COPY into a temporary table and one UPDATE ... FROM,
# instead of one UPDATE statement per assessment (rescore, seeding).
_SCORE_ROWS = Table(
    "score_rows",
    MetaData(),
    Column("_id", Integer, primary_key=True),
    Column("_risk", Float),
    Column("_rating", String(10)),
    Column("_eff", Float),
    Column("_band", String(20)),
    Column("_tier", String(10)),
    Column("_details", JSON),
    Column("_model", String(50)),
    Column("_at", DateTime),
)


def _score_columns(r: ScoreRecord, at) -> tuple:
    """The rating columns of a record, in the order of ``_SCORE_ROWS``."""
    return (r.assessment_id, r.risk_score, r.rating, r.effectiveness, r.band, r.inherent_tier,
            r.explanation, r.model_version, at)  # fmt: skip


def _update_through_temp_table(records: list[ScoreRecord], at) -> None:
    conn = db.session.connection()
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE IF NOT EXISTS score_rows (_id integer PRIMARY KEY, "
        "_risk double precision, _rating varchar(10), _eff double precision, _band varchar(20), "
        "_tier varchar(10), _details json, _model varchar(50), _at timestamp) "
        "ON COMMIT DELETE ROWS"
    )
    conn.exec_driver_sql("TRUNCATE score_rows")
    names = [c.name for c in _SCORE_ROWS.c]
    with (
        conn.connection.dbapi_connection.cursor() as cur,
        cur.copy(f"COPY score_rows ({', '.join(names)}) FROM STDIN") as copy,
    ):
        details = names.index("_details")
        for r in records:  # the explanation as the JSON type writes it (json.dumps)
            row = list(_score_columns(r, at))
            row[details] = json.dumps(row[details])
            copy.write_row(row)
    conn.exec_driver_sql(
        "UPDATE assessments AS a SET risk_score = s._risk, rating = s._rating, "
        "effectiveness = s._eff, band = s._band, inherent_tier = s._tier, "
        "score_details = s._details, scoring_model_version = s._model, scored_at = s._at "
        "FROM score_rows AS s WHERE a.id = s._id"
    )


def refresh_latest_scored(vendor_ids: Iterable[int] | None) -> None:
    """Point vendors (all with None) at their latest scored, non-cancelled assessment.

    Called by ``store_scores`` and when a scored assessment is cancelled: the two moves that
    change which assessment carries a vendor's current rating. The caller commits.
    """
    latest = (
        select(func.max(Assessment.id))
        .where(
            Assessment.vendor_id == Vendor.id,
            Assessment.scored_at.is_not(None),
            Assessment.status != "cancelled",
        )
        .scalar_subquery()
    )
    stmt = Vendor.__table__.update().values(latest_scored_assessment_id=latest)
    if vendor_ids is None:
        db.session.execute(stmt)
        return
    for chunk in _chunks(sorted(set(vendor_ids)), 5000):
        db.session.execute(stmt.where(Vendor.__table__.c.id.in_(chunk)))


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def score_assessment_now(assessment: Assessment, as_of: date | None = None) -> ScoreResult:
    """Score an assessment and store its score record; the caller commits."""
    result = score_assessment(build_input(assessment, as_of), scoring_model())
    store_scores([ScoreRecord.of(assessment.id, result)])
    return result


# ---- the reader ---------------------------------------------------------------------------------


def score_view(assessment: Assessment) -> dict[str, Any] | None:
    """Return the stored score record in the API shape (None when not scored). Never writes."""
    if assessment.scored_at is None:
        return None
    controls = db.session.execute(
        select(
            Control.ref, Control.objective, Control.title, ControlScore.score, ControlScore.coverage
        )  # fmt: skip
        .join(ControlScore, ControlScore.control_id == Control.id)
        .where(ControlScore.assessment_id == assessment.id)
        .order_by(Control.position)
    ).all()
    objectives = db.session.execute(
        select(
            Objective.ref,
            Objective.title,
            ObjectiveScore.score,
            ObjectiveScore.coverage,
            ObjectiveScore.band,
        )  # fmt: skip
        .join(ObjectiveScore, ObjectiveScore.objective_id == Objective.id)
        .where(ObjectiveScore.assessment_id == assessment.id)
        .order_by(Objective.position)
    ).all()
    ex = dict(assessment.score_details or {})
    tp_ref = scoring_model().third_party_objective
    return {
        "risk_score": assessment.risk_score,
        "rating": assessment.rating,
        "inherent_tier": assessment.inherent_tier,
        "effectiveness": assessment.effectiveness,
        "band": assessment.band or ex.get("band"),
        "matrix_band": ex.get("matrix_band"),
        "matrix_rating": ex.get("matrix_rating"),
        "held_by": ex.get("held_by", []),
        "controls": [
            {
                "ref": c.ref,
                "objective": c.objective,
                "title": c.title,
                "score": c.score,
                "coverage": c.coverage,
            }
            for c in controls
        ],  # fmt: skip
        "objectives": [
            {
                "ref": o.ref,
                "title": o.title,
                "score": o.score,
                "coverage": o.coverage,
                "band": o.band,
            }
            for o in objectives
        ],  # fmt: skip
        "third_party": third_party_view(tp_ref, objectives, controls),
        "drivers": ex.get("drivers", []),
        "knockouts": ex.get("knockouts", []),
        "red_flags": ex.get("red_flags", []),
        "caps": ex.get("caps", []),
        "contradictions": ex.get("contradictions", []),
        "certificates": ex.get("certificates", []),
        "what_it_would_take": ex.get("what_it_would_take") or {},
        "upstream": ex.get("upstream", []),
        "model_version": assessment.scoring_model_version,
    }


def words_for(questionnaire) -> Words:
    """Question texts, option labels, intake wording and objective titles (cached)."""
    key = ("words", questionnaire.id)
    cache = _cache()
    if key not in cache:
        titles = dict(db.session.execute(select(Objective.ref, Objective.title)).all())
        cache[key] = Words(
            question_defs(questionnaire),
            load_vocabulary(),
            intake_definition().get("questions", []),
            titles,
        )
    return cache[key]


def explained_score(
    assessment: Assessment, view: dict | None = None, answers: dict | None = None
) -> dict[str, Any] | None:
    """The score record with every part put into words (``scoring.describe``). Never writes.

    A caller that has read the score view and the answer values already passes them in."""
    view = score_view(assessment) if view is None else view
    if view is None:
        return None
    if answers is None:
        answers = dict(
            db.session.execute(
                select(Question.key, Answer.value)
                .join(Answer, Answer.question_id == Question.id)
                .where(Answer.assessment_id == assessment.id, Answer.na.is_(False))
            ).all()
        )
    return describe(view, words_for(assessment.questionnaire), answers)
