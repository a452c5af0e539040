"""Rate-limit storage in the application's own database, for installs without Redis.

Flask-Limiter keeps its counters in a `limits` storage. The default `memory://` storage is per
process, so with N gunicorn workers a "10 per minute" limit lets about 10*N tries through. This
storage (`RATELIMIT_STORAGE_URI=database://`) keeps fixed-window counters in the table
rate_limit_counters instead: one atomic INSERT ... ON CONFLICT DO UPDATE ... RETURNING per hit,
which SQLite (3.35+) and PostgreSQL both run as a single statement, so concurrent workers never
lose a count. It runs on its own pooled connection and commits at once, independent of the
request's transaction (a rolled-back request still counts; a counted hit never commits the
request's half-done work). The engine is the current app's, so several apps in one process (the
test suite) each count in their own database.
"""

from __future__ import annotations

import hashlib
import itertools
import time

from limits.errors import ConfigurationError
from limits.storage import Storage
from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import RateLimitCounter

TABLE = RateLimitCounter.__table__
INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
PRUNE_EVERY = 500  # hits between deletions of expired windows


def _column_key(key: str) -> str:
    # Keys hold the client address and the route; a very long one is stored by its digest.
    return key if len(key) <= 255 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """A `limits` storage over the app's database (fixed-window strategy only)."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions, **options)
        self._hits = itertools.count(1)

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    @staticmethod
    def _engine():
        engine = db.engine
        if engine.dialect.name not in INSERTS:
            raise ConfigurationError(
                f"database:// rate limits need SQLite or PostgreSQL, not {engine.dialect.name}; "
                "set RATELIMIT_STORAGE_URI (e.g. to a redis:// URL)."
            )
        return engine

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count a hit in the key's window (a new window when the old one has ended)."""
        key = _column_key(key)
        engine = self._engine()
        now = time.time()
        insert = INSERTS[engine.dialect.name]
        expired = TABLE.c.expires <= now
        stmt = (
            insert(TABLE)
            .values(key=key, count=amount, expires=now + expiry)
            .on_conflict_do_update(
                index_elements=[TABLE.c.key],
                # Both right-hand sides see the row as it was before this statement.
                set_={
                    "count": case((expired, amount), else_=TABLE.c.count + amount),
                    "expires": case((expired, now + expiry), else_=TABLE.c.expires),
                },
            )
            .returning(TABLE.c.count)
        )
        with engine.begin() as conn:
            count = conn.execute(stmt).scalar_one()
            if next(self._hits) % PRUNE_EVERY == 0:
                conn.execute(delete(TABLE).where(TABLE.c.expires < now))
        return count

    def get(self, key: str) -> int:
        key = _column_key(key)
        with self._engine().connect() as conn:
            count = conn.execute(
                select(TABLE.c.count).where(TABLE.c.key == key, TABLE.c.expires > time.time())
            ).scalar()
        return count or 0

    def get_expiry(self, key: str) -> float:
        key = _column_key(key)
        with self._engine().connect() as conn:
            expires = conn.execute(select(TABLE.c.expires).where(TABLE.c.key == key)).scalar()
        return expires if expires is not None else time.time()

    def check(self) -> bool:
        try:
            with self._engine().connect() as conn:
                conn.execute(select(func.count()).select_from(TABLE))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self._engine().begin() as conn:
            return conn.execute(delete(TABLE)).rowcount

    def clear(self, key: str) -> None:
        key = _column_key(key)
        with self._engine().begin() as conn:
            conn.execute(delete(TABLE).where(TABLE.c.key == key))


def storage_uri(config: dict) -> str:
    """The storage Flask-Limiter uses: RATELIMIT_STORAGE_URI, else REDIS_URL, else the database."""
    return config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "database://"


def check_storage(app) -> None:
    """Refuse to start a production app whose limits each worker would count on its own."""
    uri = app.config["RATELIMIT_STORAGE_URI"]
    workers = int(app.config.get("WORKERS") or 1)
    if uri.startswith("memory://") and workers > 1 and not (app.testing or app.debug):
        raise RuntimeError(
            f"RATELIMIT_STORAGE_URI=memory:// keeps a separate count in each of the {workers} "
            "workers, so every rate limit would allow about "
            f"{workers} times as many tries. Use database:// (the default) or a redis:// URL "
            "(REDIS_URL), or run a single worker."
        )
    if uri.startswith("database://") and app.config.get("RATELIMIT_STRATEGY", "fixed-window") != (
        "fixed-window"
    ):
        raise RuntimeError("database:// rate limits support RATELIMIT_STRATEGY=fixed-window only.")
    if uri.startswith("memory://") and workers > 1:
        app.logger.warning("Rate limits are counted per worker (memory://).")
    app.logger.info("Rate limits stored in %s", uri.split("@")[-1].split("://")[0] + "://")
