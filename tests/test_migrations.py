"""Migrations build the schema from nothing and agree with the models."""

from __future__ import annotations

import os
import tempfile

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from vendorassure import create_app
from vendorassure.extensions import db


def _fresh_url():
    if os.environ.get("VA_TEST_DB", "sqlite") == "postgresql":
        from tests.conftest import _create_pg_database

        name, url = _create_pg_database()
        return url, name
    return f"sqlite:///{tempfile.mkdtemp(prefix='va-mig-')}/m.db", None


def test_upgrade_from_empty_matches_the_models_and_downgrades(tmp_path):
    url, pg_name = _fresh_url()
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with app.app_context():
            upgrade()
            engine = create_engine(url)
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations disagree: {diff}"
            tables = set(inspect(engine).get_table_names())
            assert {
                "users",
                "vendors",
                "assessments",
                "answers",
                "evidence",
                "audit_events",
                "api_tokens",
                "invitations",
                "questions",
                "controls",
            } <= tables
            downgrade(revision="base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            engine.dispose()
            db.session.remove()
            db.engine.dispose()
    finally:
        if pg_name:
            from tests.conftest import _drop_pg_database

            _drop_pg_database(pg_name)
