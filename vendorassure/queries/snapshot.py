"""Snapshots of computed portfolio figures in the database, invalidated by the writes that
change them.

Every transaction that changes a vendor, an assessment's state, dates or score, a score row,
a finding or an evidence row raises ``portfolio_generation.generation`` by one in the same
transaction (session events below: ORM flushes and Core/bulk DML both count). The writer also drops the
snapshots. A reader reads the generation and the snapshot of that generation in one statement;
if there is none it computes, stores it under the generation it read and returns it. A write
that commits meanwhile raises the generation, so the snapshot a slow reader stores under the
older number is never read. Hosts
share the table; nothing lives in process memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import delete, event, func, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import (
    Assessment,
    ControlScore,
    Evidence,
    Finding,
    ObjectiveScore,
    PortfolioGeneration,
    PortfolioSnapshot,
    Vendor,
)
from ..models._base import utcnow

WATCHED = (Vendor, Finding, Evidence, ControlScore, ObjectiveScore)
WATCHED_TABLES = frozenset(m.__tablename__ for m in (*WATCHED, Assessment))
# An answer autosave touches the assessment row (lock_version, updated_at): not a portfolio change.
ASSESSMENT_FIELDS = frozenset(
    c.key for c in Assessment.__table__.columns if c.key not in ("lock_version", "updated_at")
)
FLAG = "portfolio_changed"


def _changes_portfolio(obj) -> bool:
    if isinstance(obj, WATCHED):
        return True
    if isinstance(obj, Assessment):
        state = inspect(obj)
        return any(state.attrs[k].history.has_changes() for k in ASSESSMENT_FIELDS)
    return False


@event.listens_for(Session, "before_flush")
def _seen_in_flush(session, _context, _instances) -> None:
    if session.info.get(FLAG):
        return
    if any(isinstance(o, (*WATCHED, Assessment)) for o in (*session.new, *session.deleted)) or any(
        _changes_portfolio(o) for o in session.dirty
    ):
        session.info[FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _seen_in_statement(state) -> None:
    if state.session.info.get(FLAG) or not (state.is_update or state.is_delete or state.is_insert):
        return
    if state.execution_options.get("portfolio_neutral"):  # e.g. SQLite's lock-taking no-op
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED_TABLES:
        state.session.info[FLAG] = True


@event.listens_for(Session, "before_commit")
def _raise_generation(session) -> None:
    session.flush()
    if session.info.pop(FLAG, False):
        bump(session)


@event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop(FLAG, None)


def bump(session=None) -> None:
    """Raise the portfolio generation (the row is created on first use) and drop the snapshots
    it makes stale, in the writer's transaction."""
    session = session or db.session
    table = PortfolioGeneration.__table__
    conn = session.connection()
    result = conn.execute(
        update(table).where(table.c.id == 1).values(generation=table.c.generation + 1)
    )
    if result.rowcount == 0:
        conn.execute(table.insert().values(id=1, generation=1))
    conn.execute(delete(PortfolioSnapshot))


def generation() -> int:
    return db.session.scalar(select(PortfolioGeneration.generation).filter_by(id=1)) or 0


# Settings that change figures, and the templates a stored fragment was rendered from: a new
# setting or release makes its own snapshots instead of serving the old ones.
FIGURE_SETTINGS = (
    "REASSESSMENT_MONTHS",
    "REASSESSMENT_NOTICE_DAYS",
    "EXPIRY_WINDOWS",
    "FINDING_CONTROL_THRESHOLD",
)


def _release(app) -> str:
    """A fingerprint of the templates (once per process) and of the figure settings."""
    from ..settings_defaults import DEFAULTS

    templates = app.extensions.get("vendorassure_snapshot_templates")
    if templates is None:
        h = hashlib.sha256()
        for folder in getattr(app.jinja_loader, "searchpath", []):
            for path in sorted(Path(folder).rglob("*.html")):
                st = path.stat()
                h.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns}".encode())
        templates = app.extensions["vendorassure_snapshot_templates"] = h.hexdigest()[:12]
    settings = {k: app.config.get(k, DEFAULTS.get(k)) for k in FIGURE_SETTINGS}
    return templates + json.dumps(settings, sort_keys=True, default=str)


def snapshot_key(name: str, today: date, params: dict) -> str:
    from flask import current_app

    from ..services.library import scoring_model

    extra = {"release": _release(current_app), "model": scoring_model().version}
    payload = json.dumps({**params, "@": extra}, sort_keys=True, default=str)
    digest = hashlib.sha256(payload.encode()).hexdigest()
    return f"{name}:{today.isoformat()}:{digest[:40]}"


def cached(name: str, today: date, params: dict, compute: Callable[[], dict]) -> dict:
    """The snapshot of `name` for today and these parameters, computed when missing or stale."""
    key = snapshot_key(name, today, params)
    table = PortfolioSnapshot.__table__
    # one statement: the current generation and the snapshot of this key made at it, if any
    gen, data = db.session.execute(
        select(func.coalesce(PortfolioGeneration.generation, 0), table.c.data)
        .select_from(PortfolioGeneration)
        .outerjoin(
            table,
            (table.c.key == key) & (table.c.generation == PortfolioGeneration.generation),
        )
        .where(PortfolioGeneration.id == 1)
    ).first() or (0, None)  # no row yet: generation 0
    if data is not None:
        return data
    data = compute()
    session = db.session()
    if session.info.get(FLAG) or session.new or session.dirty or session.deleted:
        return data  # this request is changing the portfolio itself: nothing to keep yet
    values = {"key": key, "generation": gen, "data": data, "computed_at": utcnow()}
    insert = (pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert)(
        table
    ).values(**values)
    # stored in a transaction of its own: the request's session (and its signed-in user) stays
    # as it was, and a failure to store only costs the next reader a recompute
    try:
        with db.engine.begin() as conn:
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[table.c.key],
                    set_={"generation": gen, "data": data, "computed_at": values["computed_at"]},
                )
            )
    except DBAPIError:  # pragma: no cover - e.g. a lock timeout under a concurrent writer
        pass
    return data
