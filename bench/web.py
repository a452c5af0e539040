"""Web benchmark: seed a portfolio, serve it with gunicorn -w 2, load every page with wrk.

    .venv/bin/python bench/web.py [--db sqlite,postgresql] [--sizes 500,20000] [--duration 5]

For each database and each size it makes a fresh database, migrates it, seeds N vendors
(``flask demo seed --vendors N`` underneath: about four assessments per vendor), then

- counts the SQL statements of every page in-process (first request and a repeated one),
- at the largest size times the batch rescore (under a revised model, ``changed_model``: every
  assessment gets new figures) against a bare ``pd.read_sql`` of all answers, the portfolio
  workbook against a bare ``df.to_excel`` of its register frame, and a single
  scoring,
- serves the app with ``gunicorn -w 2`` and times one request alone per page (median of 7),
- at the largest size drives every page with ``wrk -t2 -c16`` and reports req/s and p50/p99 as a
  ratio to the baseline page (``/vendors/sample``: fifty rows, the same app, the same run).

It prints one table per database with PASS/FAIL per target and writes the figures as JSON
under bench/results/ (git-ignored). On 2 cores a run takes about 10 minutes on SQLite and 15 on
PostgreSQL at 500 + 20,000 vendors (the flat-cost check); ``--sizes 500,5000`` takes a third.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
PG_SERVER = os.environ.get("VA_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BASELINE = "baseline"
# targets (issue 13)
THROUGHPUT_RATIO = 0.8
FLAT_RATIO = 1.5
MAX_STATEMENTS = 15
RESCORE_RATIO = WORKBOOK_RATIO = 1.5
SINGLE_SCORE_MS = 2.0


def pages(ids: dict) -> list[tuple[str, str, str]]:
    """(name, path, auth) of every page driven: auth is 'web' (session cookie) or 'api'."""
    a, v, f = ids["assessment"], ids["vendor"], ids["finding"]
    return [
        (BASELINE, "/vendors/sample", "web"),
        ("dashboard", "/dashboard", "web"),
        ("dashboard filtered", "/dashboard?tier=critical&rating=high&due=90", "web"),
        ("vendor register", "/vendors/register", "web"),
        ("register page 40", "/vendors/register?page=40", "web"),
        ("register filtered", "/vendors/register?tier=high", "web"),
        ("vendor list", "/procurement/vendors", "web"),
        ("vendor detail", f"/procurement/vendors/{v}", "web"),
        ("vendor overview", f"/vendors/{v}/overview", "web"),
        ("review queue", "/review/", "web"),
        ("review queue, all by risk", "/review/?status=all&sort=risk", "web"),
        ("assessment review (issue 11)", f"/review/assessments/{a}", "web"),
        ("findings list (issue 11)", "/review/findings", "web"),
        ("finding detail", f"/review/findings/{f}", "web"),
        ("admin users", "/admin/", "admin"),
        ("admin controls (38 rows)", "/admin/controls", "web"),
        ("campaigns", "/procurement/campaigns", "web"),
        ("supply chain", "/chain/concentration", "web"),
        ("vendor supply chain", f"/chain/vendors/{v}", "web"),
        ("DORA register", "/chain/dora", "web"),
        ("inbox", "/inbox/", "web"),
        ("API vendors", "/api/v1/vendors", "api"),
        ("API vendor", f"/api/v1/vendors/{v}", "api"),
        ("API assessments", "/api/v1/assessments", "api"),
        ("API assessment", f"/api/v1/assessments/{a}", "api"),
        ("API score", f"/api/v1/assessments/{a}/score", "api"),
        ("API findings", "/api/v1/findings", "api"),
        ("API portfolio summary", "/api/v1/portfolio/summary", "api"),
        ("API campaigns", "/api/v1/campaigns", "api"),
        ("API notifications", "/api/v1/notifications", "api"),
        ("API concentration", "/api/v1/portfolio/concentration", "api"),
    ]


# --- the in-process part: migrate, seed, count statements, time rescore and workbook ----------


def prepare(url: str, instance: str, vendors: int, heavy: bool, out: str) -> None:
    """Build the database and write what the orchestrator needs (cookies, ids, counts)."""
    os.environ.update(_env(url, instance))
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade
    from sqlalchemy import event, func, select

    from vendorassure import create_app
    from vendorassure.extensions import db
    from vendorassure.models import Assessment, Finding, User, Vendor
    from vendorassure.seeding import DOMAIN, seed_portfolio
    from vendorassure.services.auth import issue_api_token
    from vendorassure.services.library import load_library

    app = create_app()
    result: dict = {"vendors": vendors}
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_library()
        started = time.perf_counter()
        report = seed_portfolio(vendors, password=PASSWORD)
        result["seed_seconds"] = round(time.perf_counter() - started, 1)
        result["counts"] = {
            "vendors": report.vendors, "assessments": report.assessments,
            "answers": report.answers, "findings": report.findings,
            "evidence": report.evidence, "users": report.users,
        }  # fmt: skip
        take_statistics(db)
        risk = db.session.scalars(select(User).filter_by(email=f"risk1@{DOMAIN}")).one()
        admin = db.session.scalars(select(User).filter_by(email=f"admin1@{DOMAIN}")).one()
        # a typical vendor: one with a reviewed latest assessment and findings
        aid = db.session.scalar(
            select(func.max(Assessment.id)).where(Assessment.status == "under_review")
        )
        a = db.session.get(Assessment, aid)
        result["ids"] = {
            "assessment": a.id,
            "vendor": a.vendor_id,
            "finding": db.session.scalar(select(func.min(Finding.id))),
        }
        result["cookies"] = {"web": _cookie(app, risk), "admin": _cookie(app, admin)}
        result["token"], _ = issue_api_token(risk.email, PASSWORD)
        client = app.test_client()
        statements: dict[str, list[int]] = {}
        for name, path, auth in pages(result["ids"]):
            counts = []
            for _ in range(2):
                seen: list[str] = []

                def on_execute(_c, _cur, statement, *_a, seen=seen):
                    seen.append(statement)

                headers = _headers(auth, result)
                if "Cookie" in headers:  # the test client keeps cookies in its own jar
                    cookie, _, value = headers.pop("Cookie").partition("=")
                    client.set_cookie(cookie, value)
                db.session.expire_all()
                event.listen(db.engine, "before_cursor_execute", on_execute)
                try:
                    r = client.get(path, headers=headers)
                finally:
                    event.remove(db.engine, "before_cursor_execute", on_execute)
                assert r.status_code == 200, (path, r.status_code, r.headers.get("Location"))
                counts.append(len(seen))
            statements[name] = counts
        result["statements"] = statements
        result["register_rows"] = db.session.scalar(select(func.count()).select_from(Vendor))
        if heavy:
            result.update(_heavy(app))
            # the rescore rewrote every score: take the statistics now, so the database's own
            # background vacuum of those rows does not run during the pages' measurements
            take_statistics(db)
    Path(out).write_text(json.dumps(result))


def take_statistics(db) -> None:
    """The planner's statistics of the whole database (VACUUM ANALYZE on PostgreSQL)."""
    if db.engine.dialect.name == "postgresql":
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()


def _heavy(app) -> dict:
    """Rescore vs bare read, workbook vs bare to_excel, one scoring (engine only)."""
    import io

    from sqlalchemy import select

    from vendorassure.extensions import db
    from vendorassure.models import Assessment
    from vendorassure.queries import portfolio
    from vendorassure.reports import build_portfolio_workbook, loader
    from vendorassure.scoring import score_assessment
    from vendorassure.services.library import scoring_model
    from vendorassure.services.scoring import build_input

    out = _rescore_timings()
    model = scoring_model()

    t = time.perf_counter()
    frame = loader.register_frame(portfolio.vendor_register())
    buf = io.BytesIO()
    frame.to_excel(buf, engine="xlsxwriter", index=False)
    out["bare_to_excel_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    data = build_portfolio_workbook(loader.load_portfolio())
    out["workbook_s"] = round(time.perf_counter() - t, 2)
    out["workbook_bytes"] = len(data)

    sample = db.session.scalars(
        select(Assessment).where(Assessment.scored_at.is_not(None)).limit(200)
    ).all()
    inputs = [build_input(a) for a in sample]
    times = []
    for inp in inputs:
        t = time.perf_counter()
        score_assessment(inp, model)
        times.append((time.perf_counter() - t) * 1000)
    out["single_score_ms"] = round(statistics.median(times), 3)
    return out


# What the benchmark's rescore changes in the model in force (besides its version):
# "weights" (the default) - control weights inside A.10 and A.6 and an objective weight, and the
#   "adequate" band's threshold: objective scores, effectiveness, bands and ratings move, control
#   scores stay (the usual kind of model revision);
# "evidence" - self-attested answers weigh less: the scores of most controls move as well (the
#   most rows the score writer can have to rewrite).
MODEL_CHANGES = ("weights", "evidence")


def changed_model(change: str = "weights"):
    """The model in force under another version, changed as ``change`` says (MODEL_CHANGES):
    every assessment gets new figures (a rescore under the same model would write nothing)."""
    import copy

    import yaml

    from vendorassure.scoring import load_model
    from vendorassure.services.library import library_root

    data = copy.deepcopy(yaml.safe_load((library_root() / "scoring" / "default.yaml").read_text()))
    data["version"] = f"{data['version']}-bench-{change}"
    if change == "weights":
        controls = data["weights"]["controls"]
        controls.update({"A.10.3": 2.5, "A.10.2": 0.5, "A.6.2.6": 2.5})
        data["weights"]["objectives"]["A.10"] = 1.5
        for band in data["bands"]:
            if band["name"] == "adequate":
                band["min"] = round(band["min"] + 0.05, 2)
    elif change == "evidence":
        data["evidence"]["factors"]["none"] = round(data["evidence"]["factors"]["none"] - 0.05, 2)
        data["matrix"]["low"]["adequate"] = "medium"
    else:
        raise ValueError(f"unknown model change {change!r}; expected one of {MODEL_CHANGES}")
    return load_model(data)


def _score_rows(table) -> dict:
    """(assessment, control or objective) -> its stored figures."""
    from vendorassure.extensions import db

    cols = [c for c in table.__table__.c if c.name != "id"]
    return {(a, k): tuple(v) for a, k, *v in db.session.execute(db.select(*cols))}


def _rescore_timings(before=lambda: None, after=lambda: None, change: str = "weights") -> dict:
    """A bare read of all answers into pandas, then the batch rescore under a changed model
    (``changed_model(change)``; ``before``/``after`` run around the rescore alone, e.g. a
    profiler's enable/disable)."""
    import pandas as pd
    from sqlalchemy import func, select

    from vendorassure.extensions import db
    from vendorassure.models import Answer, Assessment, ControlScore, ObjectiveScore
    from vendorassure.services.rescore import rescore_all

    out = {}
    model = changed_model(change)
    rows = (ControlScore, ObjectiveScore)
    stored = {t.__tablename__: _score_rows(t) for t in rows}
    db.session.rollback()
    t = time.perf_counter()
    bare = pd.read_sql(
        select(Answer.assessment_id, Answer.question_id, Answer.value, Answer.na),
        db.session.connection(),
    )
    out["bare_read_s"] = round(time.perf_counter() - t, 2)
    out["answers_read"] = len(bare)
    del bare
    db.session.rollback()
    before()
    t = time.perf_counter()
    rep = rescore_all(model)
    out["rescore_s"] = round(time.perf_counter() - t, 2)
    after()
    out["rescored"] = rep.assessments
    out["ratings_changed"] = rep.ratings_changed
    out["rescored_under"] = rep.model_version
    out["score_rows"] = {
        t.__tablename__: db.session.scalar(select(func.count()).select_from(t)) for t in rows
    }
    out["score_rows_changed"] = {
        t: sum(1 for k, v in now.items() if stored[t].get(k) != v)
        for t, now in ((t.__tablename__, _score_rows(t)) for t in rows)
    }
    stamped = db.session.scalar(
        select(func.count()).where(Assessment.scoring_model_version == model.version)
    )
    assert stamped == rep.assessments, (stamped, rep.assessments)
    db.session.remove()
    return out


PASSWORD = "bench-" + "portfolio-2026"


def _env(url: str, instance: str) -> dict:
    return {
        "DATABASE_URL": url,
        "INSTANCE_PATH": instance,
        "SECRET_KEY": os.environ.get("VA_BENCH_SECRET", "bench-secret-not-for-production"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "OPENBLAS_NUM_THREADS": "1",
        "VA_WORKERS": "2",
        "MFA_REQUIRED_ROLES": "",
        "SCHEDULER_ENABLED": "0",
    }


def _cookie(app, user) -> str:
    """A signed session cookie for the user, as the login form would set it."""
    now = int(time.time())
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps(
        {"_user_id": user.get_id(), "_fresh": True, "_va_auth": now, "_va_seen": now,
         "_va_method": "password"}
    )  # fmt: skip
    return f"{app.config.get('SESSION_COOKIE_NAME', 'session')}={value}"


def _headers(auth: str, prepared: dict) -> dict:
    if auth == "api":
        return {"Authorization": f"Bearer {prepared['token']}"}
    return {"Cookie": prepared["cookies"][auth]}


# --- the orchestrator ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _new_database(kind: str, folder: str) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{folder}/bench.db", None
    import psycopg

    name = f"va_bench_{secrets.token_hex(5)}"
    with psycopg.connect(PG_SERVER.replace("+psycopg", ""), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return PG_SERVER.rsplit("/", 1)[0] + "/" + name, name


def _drop_database(name: str | None) -> None:
    if name:
        import psycopg

        with psycopg.connect(PG_SERVER.replace("+psycopg", ""), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drop_snapshots(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM snapshots"))
    finally:
        engine.dispose()


def _get(url: str, headers: dict) -> float:
    request = urllib.request.Request(url, headers=headers)
    t = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as r:  # noqa: S310 (loopback)
        r.read()
        assert r.status == 200, (url, r.status)
    return (time.perf_counter() - t) * 1000


def _unit_ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _wrk(url: str, headers: dict, duration: int) -> dict:
    args = ["wrk", "-t2", "-c16", f"-d{duration}s", "--latency", "--timeout", "30s"]
    for k, v in headers.items():
        args += ["-H", f"{k}: {v}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _unit_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = _unit_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "non_2xx": int(bad.group(1)) if bad else 0}


def run_size(kind: str, vendors: int, heavy: bool, duration: int, log) -> dict:
    folder = tempfile.mkdtemp(prefix=f"va-bench-{kind}-")
    url, pg_name = _new_database(kind, folder)
    server = None
    try:
        out = Path(folder) / "prepared.json"
        log(f"[{kind} {vendors}] seeding and counting statements ...")
        subprocess.run(
            [PY, __file__, "--prepare", "--url", url, "--instance", folder, "--vendors",
             str(vendors), "--out", str(out), *(["--heavy"] if heavy else [])],
            check=True,
        )  # fmt: skip
        prepared = json.loads(out.read_text())
        log(f"[{kind} {vendors}] seeded in {prepared['seed_seconds']} s: {prepared['counts']}")
        port = _free_port()
        env = {**os.environ, **_env(url, folder), "BIND": f"127.0.0.1:{port}"}
        server = subprocess.Popen(
            [str(Path(PY).parent / "gunicorn"), "-c", "python:vendorassure.gunicorn_conf",
             "--workers", "2", "--log-level", "warning", "app:app"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        results = {}
        for name, path, auth in pages(prepared["ids"]):
            headers = _headers(auth, prepared)
            _drop_snapshots(url)  # the first request renders afresh: what a change costs
            cold = _get(base + path, headers)
            _get(base + path, headers)
            single = statistics.median(_get(base + path, headers) for _ in range(11))
            results[name] = {"path": path, "cold_ms": round(cold, 1), "single_ms": round(single, 2),
                             "statements": prepared["statements"][name]}  # fmt: skip
        if heavy:
            for name, path, auth in pages(prepared["ids"]):
                log(f"[{kind} {vendors}] wrk {path}")
                results[name]["wrk"] = _wrk(base + path, _headers(auth, prepared), duration)
        return {"prepared": prepared, "pages": results}
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        _drop_database(pg_name)
        shutil.rmtree(folder, ignore_errors=True)


def verdicts(small: dict, large: dict) -> tuple[list[list[str]], dict]:
    """The table rows and PASS/FAIL per target for one database."""
    rows, targets = [], {}
    base = large["pages"][BASELINE]["wrk"]
    for name, page in large["pages"].items():
        w = page["wrk"]
        ratio = w["rps"] / base["rps"]
        # one request at the large size over the same at the small size, each relative to the
        # baseline page of its own run: the shared machine's load moves both alike
        flat = (page["single_ms"] / large["pages"][BASELINE]["single_ms"]) / (
            small["pages"][name]["single_ms"] / small["pages"][BASELINE]["single_ms"]
        )
        first, again = page["statements"]
        ok_t = name == BASELINE or ratio >= THROUGHPUT_RATIO
        ok_f = flat <= FLAT_RATIO
        ok_s = max(first, again) <= MAX_STATEMENTS and w["non_2xx"] == 0
        targets[name] = {"throughput": ok_t, "flat": ok_f, "statements": ok_s}
        rows.append([
            name, f"{w['rps']:.0f}", f"{ratio:.2f}", f"{w['p50_ms'] / base['p50_ms']:.2f}",
            f"{w['p99_ms'] / base['p99_ms']:.2f}", f"{page['single_ms']:.1f}",
            f"{small['pages'][name]['single_ms']:.1f}", f"{flat:.2f}", f"{page['cold_ms']:.0f}",
            f"{first}/{again}",
            "PASS" if ok_t and ok_f and ok_s else "FAIL",
        ])  # fmt: skip
    p = large["prepared"]
    extra = {
        "rescore": (p["rescore_s"] / p["bare_read_s"], RESCORE_RATIO),
        "workbook": (p["workbook_s"] / p["bare_to_excel_s"], WORKBOOK_RATIO),
        "single_score_ms": (p["single_score_ms"], SINGLE_SCORE_MS),
    }
    for k, (value, limit) in extra.items():
        targets[k] = value <= limit
    return rows, {"pages": targets, **{k: targets[k] for k in extra}, "figures": extra}


COLUMNS = (
    "columns: req/s under wrk -t2 -c16; x base = req/s / the baseline's; p50 x, p99 x = latency / "
    "the baseline's; ms@L, ms@S = one request alone (median of 11) at the large and small size; "
    "L/S = (ms@L / baseline ms@L) / (ms@S / baseline ms@S), flat when <= 1.5; cold = ms of the "
    "first request at the large size with no snapshot kept (what the first view after a change "
    "costs; not a target); stmts = SQL "
    "statements of a first and a repeated request; target = PASS when >= 0.8x base, flat and "
    "<= 15 statements"
)
HEADER = ["page", "req/s", "x base", "p50 x", "p99 x", "ms@L", "ms@S", "L/S", "cold", "stmts",
          "target"]  # fmt: skip


def print_table(kind: str, small: dict, large: dict, rows, verdict, log) -> None:
    p = large["prepared"]
    log("")
    log(f"== {kind}: {p['counts']['vendors']} vendors, {p['counts']['assessments']} assessments, "
        f"{p['counts']['answers']} answers, {p['counts']['findings']} findings "
        f"(S = {small['prepared']['counts']['vendors']} vendors) ==")  # fmt: skip
    widths = [max(len(str(r[i])) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    for r in [HEADER, *rows]:
        log("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                      for i, (c, w) in enumerate(zip(r, widths, strict=True))))  # fmt: skip
    f = verdict["figures"]
    log(f"rescore {p['rescored']} assessments ({p.get('ratings_changed', '?')} ratings changed "
        f"under {p.get('rescored_under', '?')}): {p['rescore_s']} s = {f['rescore'][0]:.2f}x a bare "
        f"read of {p['answers_read']} answers ({p['bare_read_s']} s); target <= {RESCORE_RATIO}x: "
        f"{'PASS' if verdict['rescore'] else 'FAIL'}")  # fmt: skip
    log(f"portfolio workbook: {p['workbook_s']} s = {f['workbook'][0]:.2f}x a bare to_excel "
        f"({p['bare_to_excel_s']} s); target <= {WORKBOOK_RATIO}x: "
        f"{'PASS' if verdict['workbook'] else 'FAIL'}")  # fmt: skip
    log(
        f"single scoring: {p['single_score_ms']} ms (engine, median of 200); target < "
        f"{SINGLE_SCORE_MS} ms: {'PASS' if verdict['single_score_ms'] else 'FAIL'}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--sizes", default="500,20000")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--heavy", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--instance", help=argparse.SUPPRESS)
    ap.add_argument("--vendors", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--report", help="print the tables of a results JSON file again")
    args = ap.parse_args()
    if args.report:
        saved = json.loads(Path(args.report).read_text())
        for kind, d in saved["databases"].items():
            rows, verdict = verdicts(d["small"], d["large"])
            print_table(kind, d["small"], d["large"], rows, verdict, print)
        print()
        print(COLUMNS)
        return 0
    if args.prepare:
        prepare(args.url, args.instance, args.vendors, args.heavy, args.out)
        return 0
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    lines: list[str] = []

    def log(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    small_n, large_n = (int(x) for x in args.sizes.split(","))
    report = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "databases": {}}
    all_pass = True
    for kind in args.db.split(","):
        small = run_size(kind, small_n, False, args.duration, log)
        large = run_size(kind, large_n, True, args.duration, log)
        rows, verdict = verdicts(small, large)
        print_table(kind, small, large, rows, verdict, log)
        report["databases"][kind] = {"small": small, "large": large, "verdict": verdict}
        all_pass &= all(r[-1] == "PASS" for r in rows) and all(
            verdict[k] for k in ("rescore", "workbook", "single_score_ms")
        )
    log("")
    log(COLUMNS)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report["table"] = lines
    (out / f"web-{stamp}.json").write_text(json.dumps(report, indent=1, default=str))
    log(f"written: bench/results/web-{stamp}.json")
    return 0 if all_pass else 1


if __name__ == "__main__":
    sys.exit(main())
