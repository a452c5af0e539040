"""A throwaway app for the in-process benchmarks: its own SQLite database and instance folder
under /tmp, removed afterwards."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bench_app(**config) -> Iterator:
    """Yield an app on a fresh SQLite database (tables created), CSRF, rate limits and MFA off;
    CONFIG adds to or overrides that. The folder is deleted on exit."""
    folder = tempfile.mkdtemp(prefix="va-bench-")
    os.environ["INSTANCE_PATH"] = folder
    try:
        from vendorassure import create_app
        from vendorassure.extensions import db

        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                "MFA_REQUIRED_ROLES": (),
                "MAIL_OUTBOX_DIR": f"{folder}/outbox",
                **config,
            }
        )
        with app.app_context():
            db.create_all()
        yield app
    finally:
        shutil.rmtree(folder, ignore_errors=True)
