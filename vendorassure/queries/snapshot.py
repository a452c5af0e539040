"""Snapshots: computed figures and rendered pages kept in the database while the tables they
were read from are unchanged.

Writes: every statement that inserts, updates, deletes or copies rows of a table is noted on
its connection (an engine event sees ORM flushes, Core and driver-level SQL alike), and the
transaction's commit raises ``table_generations.generation`` of each table it wrote, in the
same transaction. An update that only moves an assessment's ``lock_version``/``updated_at`` (an
answer autosave taking its lock) changes no figure and raises nothing.

Reads: :func:`cached` computes a value while noting every table its statements name, and keeps
it under its key with the generations those tables had *before* it computed. A later reader
uses it only while every one of those generations is unchanged; a write that commits while a
reader computes makes what that reader stores unreachable, so stale figures are never served.
Nested snapshots pass their tables to the one around them. Hosts share the tables; nothing
lives in process memory.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import BigInteger, delete, event, literal, null, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from ..extensions import db
from ..models import Snapshot, TableGeneration
from ..models._base import utcnow

CHANGED = "va_changed_tables"  # on a connection's info: the tables its transaction wrote
# never tracked: the snapshot machinery's own tables
UNTRACKED = frozenset({Snapshot.__tablename__, TableGeneration.__tablename__})
# updates that change no figure: an assessment's lock taken or moved by an answer autosave
NEUTRAL_COLUMNS = {"assessments": frozenset({"lock_version", "updated_at"})}
KEEP_DAYS = 2  # snapshots older than this are removed by the hourly upkeep

_DML = re.compile(
    r'^\s*(INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|COPY)\s+"?(\w+)"?', re.IGNORECASE
)
_SET = re.compile(r"\bSET\s+(.*?)(?:\bWHERE\b|\bFROM\b|\bRETURNING\b|$)", re.IGNORECASE | re.S)
_SET_COLUMN = re.compile(r'(?:^|,)\s*"?(\w+)"?\s*=')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# the stack of table sets the computations running in this context read
_READING: contextvars.ContextVar[tuple[set[str], ...]] = contextvars.ContextVar(
    "va_snapshot_reading", default=()
)


_known: list[frozenset[str]] = [frozenset()]


def _tables() -> frozenset[str]:
    """The application's tables (recomputed only when the metadata grew)."""
    if len(_known[0]) + len(UNTRACKED) != len(db.metadata.tables):
        _known[0] = frozenset(db.metadata.tables) - UNTRACKED
    return _known[0]


def _note(conn, _cursor, statement, _parameters, context, _executemany) -> None:
    if conn.info.get("va_migrating"):
        return
    match = _DML.match(statement)
    if match is None:
        reading = _READING.get()
        if reading:
            tables = _tables()
            reading[-1].update(w for w in set(_WORD.findall(statement)) if w in tables)
        return
    table = match.group(2).lower()
    if table not in _tables():
        return  # the snapshot tables themselves, temporary tables
    if context is not None and context.execution_options.get("portfolio_neutral"):
        return
    neutral = NEUTRAL_COLUMNS.get(table)
    if neutral and match.group(1).upper() == "UPDATE":
        sets = _SET.search(statement)
        if sets and set(_SET_COLUMN.findall(sets.group(1))) <= neutral:
            return
    conn.info.setdefault(CHANGED, set()).add(table)


def _raise_generations(conn) -> None:
    """Raise the generation of every table this transaction wrote, just before it commits
    (one statement per table, in name order so concurrent writers lock rows alike)."""
    changed = conn.info.pop(CHANGED, None)
    if not changed or conn.info.get("va_migrating"):
        return
    table = TableGeneration.__table__
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(table)
        .values(generation=1)
        .on_conflict_do_update(
            index_elements=[table.c.name], set_={"generation": table.c.generation + 1}
        )
    )
    for name in sorted(changed):
        conn.execute(stmt, {"name": name})


def _forget(conn) -> None:
    conn.info.pop(CHANGED, None)


def _forget_on_checkin(_dbapi_connection, record) -> None:
    if record is not None:  # a connection handed back without commit or rollback
        record.info.pop(CHANGED, None)


def wrote(conn, *tables: str) -> None:
    """Note writes the engine cannot see (a driver's COPY through the raw cursor): their
    tables' generations rise when the transaction commits."""
    conn.info.setdefault(CHANGED, set()).update(t for t in tables if t in _tables())


def install(engine: Engine) -> None:
    """Track the writes and reads of the app's engine (once per engine)."""
    if event.contains(engine, "before_cursor_execute", _note):
        return
    event.listen(engine, "before_cursor_execute", _note)
    event.listen(engine, "commit", _raise_generations)
    event.listen(engine, "rollback", _forget)
    event.listen(engine.pool, "checkin", _forget_on_checkin)


def generations() -> dict[str, int]:
    """Every table's current generation (a table never written has none: 0)."""
    return dict(db.session.execute(select(TableGeneration.name, TableGeneration.generation)).all())


def writing() -> bool:
    """Whether this request's transaction has written something not yet committed."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        return True
    return session.in_transaction() and bool(session.connection().info.get(CHANGED))


def drop_all(session=None) -> None:
    """Drop every snapshot (after a manual data fix outside the app: all are recomputed)."""
    (session or db.session).execute(delete(Snapshot))


# Settings that change figures, and the templates a stored fragment was rendered from: a new
# setting or release makes its own snapshots instead of serving the old ones.
FIGURE_SETTINGS = (
    "REASSESSMENT_MONTHS",
    "REASSESSMENT_NOTICE_DAYS",
    "EXPIRY_WINDOWS",
    "FINDING_CONTROL_THRESHOLD",
)


def _release(app) -> str:
    """A fingerprint of the templates and the configuration (once per process) and of the
    figure settings (each time: they may be changed while running)."""
    from ..settings_defaults import DEFAULTS

    templates = app.extensions.get("vendorassure_snapshot_templates")
    if templates is None:
        h = hashlib.sha256()
        for folder in getattr(app.jinja_loader, "searchpath", []):
            for path in sorted(Path(folder).rglob("*.html")):
                st = path.stat()
                h.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns}".encode())
        templates = app.extensions["vendorassure_snapshot_templates"] = h.hexdigest()[:12]
    configured = app.extensions.get("vendorassure_snapshot_config")
    if configured is None:  # hosts configured apart keep apart snapshots
        plain = {
            k: v
            for k, v in app.config.items()
            if isinstance(v, (str, int, float, bool, list, tuple, dict, type(None)))
        }
        configured = hashlib.sha256(
            json.dumps(plain, sort_keys=True, default=str).encode()
        ).hexdigest()[:12]
        app.extensions["vendorassure_snapshot_config"] = configured
    settings = {k: app.config.get(k, DEFAULTS.get(k)) for k in FIGURE_SETTINGS}
    return templates + configured + json.dumps(settings, sort_keys=True, default=str)


def snapshot_key(name: str, today: date, params: dict) -> str:
    from flask import current_app

    from ..services.library import scoring_model

    extra = {"release": _release(current_app), "model": scoring_model().version}
    payload = json.dumps({**params, "@": extra}, sort_keys=True, default=str)
    digest = hashlib.sha256(payload.encode()).hexdigest()
    return f"{name[:200]}:{today.isoformat()}:{digest[:40]}"


def cached(name: str, today: date, params: dict, compute: Callable[[], dict]) -> dict:
    """The snapshot of `name` for today and these parameters, computed when missing or stale.

    `compute` returns something JSON can keep; every table its statements name becomes one
    the snapshot depends on."""
    key = snapshot_key(name, today, params)
    row, current = _lookup(key)
    outer = _READING.get()
    if row is not None and all(current.get(t, 0) == g for t, g in row[1].items()):
        if outer:
            outer[-1].update(row[1])
        return row[0]
    if writing():  # this request is changing the data itself: nothing to keep yet
        return compute()
    reads: set[str] = set()
    token = _READING.set((*outer, reads))
    try:
        data = compute()
    finally:
        _READING.reset(token)
    if outer:
        outer[-1].update(reads)
    if writing():  # the computation wrote: what it read may not be committed
        return data
    _store(key, {t: current.get(t, 0) for t in sorted(reads)}, data)
    return data


def _lookup(key: str) -> tuple[tuple[dict, dict] | None, dict[str, int]]:
    """The snapshot under `key` (data, deps) if any, and every table's generation: one
    statement."""
    snap, gens = Snapshot.__table__, TableGeneration.__table__
    stmt = union_all(
        select(snap.c.key, literal(0, BigInteger), snap.c.data, snap.c.deps).where(
            snap.c.key == key
        ),
        select(gens.c.name, gens.c.generation, null(), null()),
    )
    row, current = None, {}
    for name, generation, data, deps in db.session.execute(stmt):
        if deps is not None and name == key:
            row = (data, deps)
        else:
            current[name] = generation
    return row, current


def _store(key: str, deps: dict, data: dict) -> None:
    table = Snapshot.__table__
    now = utcnow()
    values = {"key": key, "deps": deps, "data": data, "computed_at": now}
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
                    set_={"deps": deps, "data": data, "computed_at": now},
                )
            )
    except DBAPIError:  # pragma: no cover - e.g. a lock timeout under a concurrent writer
        pass


def prune(older_than: timedelta = timedelta(days=KEEP_DAYS)) -> int:
    """Remove snapshots computed before `older_than` ago (the hourly upkeep job); return how
    many. Old ones are never served (their day is in their key) but would pile up."""
    table = Snapshot.__table__
    result = db.session.execute(delete(table).where(table.c.computed_at < utcnow() - older_than))
    db.session.commit()
    return result.rowcount
