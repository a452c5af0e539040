"""Fuzz the whole JSON API with schemathesis, once per role, against a live app on SQLite with
seeded demo data; exit 1 on any server error. `make fuzz` runs it (and .ci/run calls that).

    .venv/bin/python tests/fuzz/run.py [--max-examples N] [--roles admin,risk] [--seed S]

The app runs in this process on a free port (werkzeug, threaded), with a fresh database and
instance folder under a temporary directory. Each role gets a bearer token; schemathesis reads
/api/v1/openapi.json and runs its examples, coverage and fuzzing phases with the checks
not_a_server_error, status_code_conformance and content_type_conformance. Server errors are
counted twice: by schemathesis and by the app itself (any 5xx it answers)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ROLES = ("admin", "procurement", "risk", "vendor")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance"
PHASES = "examples,coverage,fuzzing"


def _prepare(folder: Path, database_url: str | None = None):
    """A fresh app (SQLite unless told) with the library, the demo portfolio and one token per
    role."""
    os.environ["INSTANCE_PATH"] = str(folder / "instance")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{folder / 'fuzz.db'}"
    os.environ.setdefault("PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")
    from sqlalchemy import select

    from vendorassure import create_app, demo
    from vendorassure.extensions import db
    from vendorassure.models import ApiToken, User
    from vendorassure.models._base import utcnow
    from vendorassure.services.auth import hash_token
    from vendorassure.services.library import load_library

    app = create_app({"MAIL_SERVER": None})
    errors: list[str] = []

    class Conflicts(logging.Handler):
        """Requests run one at a time here, so a "concurrent change" is a bug in disguise."""

        def emit(self, record):
            if record.getMessage().startswith("Concurrent change"):
                errors.append("409 from a database error: " + record.getMessage()[:300])

    app.logger.addHandler(Conflicts(logging.WARNING))

    @app.after_request
    def count_server_errors(response):
        from flask import request

        if response.status_code >= 500:
            errors.append(f"{response.status_code} {request.method} {request.full_path}")
        return response

    tokens = {}
    with app.app_context():
        db.create_all()
        load_library()
        demo.seed()
        emails = {
            "admin": demo.MARKER,
            "procurement": "procurement@vendorassure.demo",
            "risk": "risk@vendorassure.demo",
            "vendor": "vendor1@vendorassure.demo",
        }
        for role, email in emails.items():
            user = db.session.scalar(select(User).filter_by(email=email))
            token = secrets.token_urlsafe(32)
            db.session.add(
                ApiToken(
                    user_id=user.id,
                    name="fuzz",
                    token_hash=hash_token(token),
                    expires_at=utcnow() + timedelta(days=1),
                )
            )
            tokens[role] = token
        db.session.commit()
    return app, tokens, errors


def _serve(app):
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _figures(report: Path) -> dict:
    """Operations, test cases and failures per check from schemathesis' ndjson events."""
    operations, cases, failures = set(), 0, {}
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder") or {}
        if recorder.get("label"):
            operations.add(recorder["label"])
        cases += len(recorder.get("cases") or {})
        for check_list in (recorder.get("checks") or {}).values():
            for check in check_list:
                if str(check.get("status", "")).lower() == "failure":
                    failures[check["name"]] = failures.get(check["name"], 0) + 1
    return {"operations": len(operations), "cases": cases, "failures": failures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=15)
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--keep", action="store_true", help="keep the reports folder")
    parser.add_argument(
        "--postgresql", action="store_true", help="on a PostgreSQL database of its own (dropped)"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="va-fuzz-"))
    pg_name = None
    if args.postgresql:
        from tests.conftest import _create_pg_database

        pg_name, database_url = _create_pg_database()
    try:
        return _run(args, folder, database_url if pg_name else None)
    finally:
        if pg_name:
            from tests.conftest import _drop_pg_database

            _drop_pg_database(pg_name)  # WITH (FORCE): the app's pooled connections go too


def _run(args, folder: Path, database_url: str | None) -> int:
    app, tokens, app_errors = _prepare(folder, database_url)
    server = _serve(app)
    base = f"http://127.0.0.1:{server.server_port}"
    st = Path(sys.executable).with_name("st")
    rows, failed = [], False
    for role in args.roles.split(","):
        report = folder / f"{role}.ndjson"
        before = len(app_errors)
        command = [
            str(st),
            "run",
            f"{base}/api/v1/openapi.json",
            "--url",
            f"{base}/api/v1",
            "--header",
            f"Authorization: Bearer {tokens[role]}",
            "--checks",
            CHECKS,
            "--phases",
            PHASES,
            "--max-examples",
            str(args.max_examples),
            "--seed",
            str(args.seed),
            "--workers",
            "1",
            "--no-shrink",
            "--suppress-health-check",
            "all",
            "--request-timeout",
            "30",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
            "--output-truncate",
            "true",
        ]
        started = time.monotonic()
        result = subprocess.run(  # noqa: S603
            command,
            capture_output=True,
            text=True,
            cwd=folder,  # its .schemathesis cache too
        )
        seconds = time.monotonic() - started
        (folder / f"{role}.log").write_text(result.stdout + result.stderr)
        figures = (
            _figures(report) if report.exists() else {"operations": 0, "cases": 0, "failures": {}}
        )
        server_errors = figures["failures"].get("not_a_server_error", 0)
        app_5xx = len(app_errors) - before
        rows.append((role, figures, server_errors, app_5xx, seconds))
        if server_errors or app_5xx or not figures["operations"]:
            failed = True
            print(result.stdout[-6000:])
    print(f"\nschemathesis {CHECKS} (phases {PHASES}, max {args.max_examples} examples)")
    print(
        f"{'role':12} {'operations':>10} {'cases':>7} {'server errors':>14} {'app 5xx':>8} "
        f"{'seconds':>8}  other failures"
    )
    for role, figures, server_errors, app_5xx, seconds in rows:
        other = {k: v for k, v in figures["failures"].items() if k != "not_a_server_error"}
        print(
            f"{role:12} {figures['operations']:>10} {figures['cases']:>7} {server_errors:>14} "
            f"{app_5xx:>8} {seconds:>8.0f}  {other or '-'}"
        )
    if app_errors:
        print("\nServer errors seen by the app:", *app_errors[:40], sep="\n  ")
    server.shutdown()
    print(f"\nreports in {folder}" if args.keep or failed else "")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
