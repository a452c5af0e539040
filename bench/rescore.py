"""Batch rescore benchmark: the rescore of a whole portfolio against a bare read of its answers.

    .venv/bin/python bench/rescore.py --db sqlite [--vendors 5000] [--keep FILE] [--profile]
    .venv/bin/python bench/rescore.py --db postgresql [--vendors 5000]

Makes a fresh database (SQLite file, or a throwaway PostgreSQL database on VA_BENCH_PG), migrates
it, loads the library, seeds N vendors, then times what ``bench/web.py`` times at its largest
size (``web._heavy``'s rescore part): a bare ``pd.read_sql`` of all answers, and ``rescore_all``
under a changed scoring model (``web.changed_model``), so every assessment gets new figures.

``--keep FILE`` (SQLite) or ``--keep NAME`` (PostgreSQL, a database name starting va_rescore_)
keeps the seeded database and reuses it on the next run: a copy is rescored, so every trial
starts from the same scores. ``--profile`` writes a cProfile
of the rescore to bench/results/rescore.prof.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import web  # noqa: E402  (bench/web.py: the same environment, model change and timings)


def _app(url: str, instance: str):
    os.environ.update(web._env(url, instance))
    from vendorassure import create_app

    return create_app()


def seed(url: str, instance: str, vendors: int) -> None:
    from flask_migrate import upgrade

    from vendorassure.extensions import db
    from vendorassure.seeding import seed_portfolio
    from vendorassure.services.library import load_library

    app = _app(url, instance)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_library()
        t = time.perf_counter()
        report = seed_portfolio(vendors, password=web.PASSWORD)
        print(f"seeded {report.vendors} vendors, {report.assessments} assessments, "
              f"{report.answers} answers in {time.perf_counter() - t:.1f} s", flush=True)  # fmt: skip
        web.take_statistics(db)


def run(url: str, instance: str, profile: bool, change: str) -> dict:
    app = _app(url, instance)
    with app.app_context():
        if profile:
            import cProfile

            prof = cProfile.Profile()
            out = web._rescore_timings(before=prof.enable, after=prof.disable, change=change)
            (ROOT / "bench" / "results").mkdir(exist_ok=True)
            prof.dump_stats(str(ROOT / "bench" / "results" / "rescore.prof"))
        else:
            out = web._rescore_timings(change=change)
    ratio = out["rescore_s"] / out["bare_read_s"]
    print(f"model change {change!r}: score rows changed {out['score_rows_changed']} of "
          f"{out['score_rows']}")  # fmt: skip
    print(f"rescore {out['rescored']} assessments ({out['ratings_changed']} ratings changed): "
          f"{out['rescore_s']} s = {ratio:.2f}x a bare read of {out['answers_read']} answers "
          f"({out['bare_read_s']} s); target <= {web.RESCORE_RATIO}x: "
          f"{'PASS' if ratio <= web.RESCORE_RATIO else 'FAIL'}", flush=True)  # fmt: skip
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    ap.add_argument("--vendors", type=int, default=5000)
    ap.add_argument("--keep", help="keep (and reuse) the seeded database: SQLite, in this file; "
                    "PostgreSQL, as this database (drop it when done)")  # fmt: skip
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--change", default="weights", choices=web.MODEL_CHANGES,
                    help="what the rescore's model changes (bench/web.py MODEL_CHANGES)")  # fmt: skip
    ap.add_argument("--run", help=argparse.SUPPRESS)  # a URL to time, in a fresh process
    ap.add_argument("--seed", help=argparse.SUPPRESS)  # a URL to seed, in a fresh process
    ap.add_argument("--instance", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.seed:
        seed(args.seed, args.instance, args.vendors)
        return 0
    if args.run:
        run(args.run, args.instance, args.profile, args.change)
        return 0
    folder = tempfile.mkdtemp(prefix="va-rescore-")
    pg_name = None
    try:
        if args.db == "sqlite":
            trial = f"{folder}/rescore.db"
            kept = Path(args.keep) if args.keep else None
            if kept is None or not kept.exists():
                subprocess.run([sys.executable, __file__, "--seed", f"sqlite:///{trial}",
                                "--instance", folder, "--vendors", str(args.vendors)],
                               check=True)  # fmt: skip
                if kept is not None:
                    with sqlite3.connect(trial) as c:  # all of it in the file itself
                        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    shutil.copyfile(trial, kept)
            else:
                shutil.copyfile(kept, trial)
            url = f"sqlite:///{trial}"
        else:
            import psycopg

            server = web.PG_SERVER.replace("+psycopg", "")
            pg_name = f"va_rescore_{secrets.token_hex(5)}"
            with psycopg.connect(server, autocommit=True) as c:
                kept = (
                    args.keep
                    and c.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (args.keep,)
                    ).fetchone()
                )
                if kept:  # a copy of the kept seeded database
                    c.execute(f'CREATE DATABASE "{pg_name}" TEMPLATE "{args.keep}"')
                else:
                    c.execute(f'CREATE DATABASE "{args.keep or pg_name}"')
            if not kept:
                seeded = web.PG_SERVER.rsplit("/", 1)[0] + "/" + (args.keep or pg_name)
                subprocess.run([sys.executable, __file__, "--seed", seeded, "--instance", folder,
                                "--vendors", str(args.vendors)], check=True)  # fmt: skip
                if args.keep:
                    with psycopg.connect(server, autocommit=True) as c:
                        c.execute(f'CREATE DATABASE "{pg_name}" TEMPLATE "{args.keep}"')
            url = web.PG_SERVER.rsplit("/", 1)[0] + "/" + pg_name
        subprocess.run([sys.executable, __file__, "--run", url, "--instance", folder,
                        "--change", args.change, *(["--profile"] if args.profile else [])],
                       check=True)  # fmt: skip
    finally:
        web._drop_database(pg_name)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
