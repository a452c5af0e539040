"""The cluster's client host: vendors save answers and upload evidence through the balancer
(`load`), then everything acknowledged is read back (`verify`) and the job queue is watched
until it drains (`drain`). Every loop is bounded in requests and time; results go to JSON."""

from __future__ import annotations

import hashlib
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import requests

from tests.helpers import PDF

RETRIES = 6
TIMEOUT = 30


def _read(path):
    return json.loads(Path(path).read_text())


def _write(path, data) -> None:
    Path(path).write_text(json.dumps(data))


class Client:
    """One session with a bearer token; each call records what happened to it."""

    def __init__(self, base: str, token: str, log: list, lock: threading.Lock):
        self.base = base
        self.session = requests.Session()
        self.session.trust_env = False  # never a proxy: only the cluster's own addresses
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.log = log
        self.lock = lock

    def call(self, kind: str, method: str, path: str, **kw):
        started = time.time()
        entry = {"kind": kind, "t": started}
        try:
            r = self.session.request(method, self.base + path, timeout=TIMEOUT, **kw)
            entry.update(status=r.status_code, upstream=r.headers.get("X-Upstream", ""))
        except requests.RequestException as exc:
            r = None
            entry.update(status=0, error=type(exc).__name__, upstream="")
        entry["ms"] = round((time.time() - started) * 1000, 1)
        with self.lock:
            self.log.append(entry)
        return r


def _failed(r) -> bool:
    return r is None or r.status_code >= 500


def vendor_run(base, vendor, log, lock, acked, stop_at):
    """Answer every question in order; upload a distinct file after every third answer."""
    client = Client(base, vendor["token"], log, lock)
    aid = vendor["assessment_id"]
    for i, (key, value) in enumerate(vendor["answers"]):
        if time.time() > stop_at:
            return
        for _ in range(RETRIES):
            r = client.call("answer", "PUT", f"/api/v1/assessments/{aid}/answers/{key}",
                            json={"value": value})  # fmt: skip
            if not _failed(r):
                break
            time.sleep(0.3)
        if r is not None and r.status_code == 200:
            with lock:
                acked["answers"].append([aid, key, value])
        if i % 3 == 2:
            data = PDF + f"\n% cluster {aid} {i} {time.time_ns()}\n".encode()
            digest = hashlib.sha256(data).hexdigest()
            for _ in range(RETRIES):
                r = client.call(
                    "upload", "POST", f"/api/v1/assessments/{aid}/evidence",
                    files={"file": (f"policy-{i}.pdf", data, "application/pdf")},
                    data={"kind": "policy"},
                )  # fmt: skip
                if not _failed(r):
                    break
                time.sleep(0.3)
            stored = r is not None and r.status_code == 201
            # A retry after a lost answer finds the first attempt's file: stored once, 409.
            again = r is not None and r.status_code == 409 and "existing_id" in r.json()["error"]
            if stored or again:
                with lock:
                    acked["files"].append([aid, digest])


def export_run(base, token, log, lock, exports, stop_at, vendors_done):
    """A risk officer asks for portfolio workbooks in the background and fetches each link,
    for as long as the vendors are at work."""
    client = Client(base, token, log, lock)
    while time.time() < stop_at and not vendors_done.is_set():
        r = client.call("export", "POST", "/api/v1/exports", json={"kind": "portfolio"})
        if r is None or r.status_code != 202:
            time.sleep(1)
            continue
        job_id, asked = r.json()["id"], time.time()
        while time.time() < stop_at + 60:
            got = client.call("export-poll", "GET", f"/api/v1/exports/{job_id}")
            if got is not None and got.status_code == 200 and got.json()["download_url"]:
                book = client.call("export-download", "GET", got.json()["download_url"])
                ok = book is not None and book.status_code == 200 and book.content[:2] == b"PK"
                with lock:
                    exports.append({"id": job_id, "ready_s": round(time.time() - asked, 2),
                                    "ok": ok})  # fmt: skip
                break
            time.sleep(0.5)
        vendors_done.wait(2)


def load(plan_path, out_path, progress_path, seconds):
    plan = _read(plan_path)
    base = plan["base"]
    log, lock = [], threading.Lock()
    acked = {"answers": [], "files": []}
    exports = []
    stop_at = time.time() + seconds
    threads = [
        threading.Thread(target=vendor_run, args=(base, v, log, lock, acked, stop_at))
        for v in plan["vendors"]
    ]
    vendors_done = threading.Event()
    threads.append(
        threading.Thread(
            target=export_run,
            args=(base, plan["risk_token"], log, lock, exports, stop_at, vendors_done),
        )  # fmt: skip
    )
    started = time.time()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads[:-1]):
        with open(progress_path, "w") as f:
            f.write(str(len(log)))
        time.sleep(0.2)
    elapsed = time.time() - started
    vendors_done.set()
    threads[-1].join(timeout=90)
    with open(progress_path, "w") as f:
        f.write(str(len(log)))
    _write(out_path, {"log": log, "acked": acked, "exports": exports, "elapsed": elapsed})


def verify(plan_path, load_path, out_path):
    """Read back every acknowledged answer and file through the balancer."""
    plan = _read(plan_path)
    done = _read(load_path)
    base = plan["base"]
    log, lock = [], threading.Lock()
    problems = []
    answers_found = files_found = 0
    for vendor in plan["vendors"]:
        client = Client(base, vendor["token"], log, lock)
        aid = vendor["assessment_id"]
        stored = {
            a["question_key"]: a["value"]
            for a in client.call("verify", "GET", f"/api/v1/assessments/{aid}/answers").json()[
                "items"
            ]
        }
        for a_id, key, value in done["acked"]["answers"]:
            if a_id != aid:
                continue
            if stored.get(key) == value:
                answers_found += 1
            else:
                problems.append(f"assessment {aid}: answer {key} is {stored.get(key)!r}")
        items = client.call("verify", "GET", f"/api/v1/assessments/{aid}/evidence").json()["items"]
        mine = [d for a_id, d in done["acked"]["files"] if a_id == aid]
        if len(items) != len(mine):
            problems.append(f"assessment {aid}: {len(items)} files stored, {len(mine)} acked")
        for digest in mine:
            matches = [e for e in items if e["sha256"] == digest]
            if len(matches) != 1:
                problems.append(f"assessment {aid}: file {digest[:12]} stored {len(matches)}x")
                continue
            body = client.call("verify", "GET", f"/api/v1/evidence/{matches[0]['id']}/download")
            if body is None or hashlib.sha256(body.content).hexdigest() != digest:
                problems.append(f"assessment {aid}: file {digest[:12]} bytes differ")
                continue
            files_found += 1
    _write(
        out_path, {"answers_found": answers_found, "files_found": files_found, "problems": problems}
    )


def drain(plan_path, out_path, metrics_url, seconds):
    """Wait until the ledger has nothing queued or running and Redis holds no job."""
    plan = _read(plan_path)
    log, lock = [], threading.Lock()
    admin = Client(plan["base"], plan["admin_token"], log, lock)
    plain = requests.Session()
    plain.trust_env = False
    deadline = time.time() + seconds
    state = {}
    while time.time() < deadline:
        counts = {}
        for status in ("queued", "running", "done", "failed"):
            r = admin.call("drain", "GET", f"/api/v1/jobs?status={status}&per_page=1")
            counts[status] = r.json()["total"] if r is not None and r.status_code == 200 else -1
        text = plain.get(metrics_url, timeout=10).text
        depth = {
            line.split('"')[1]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("va_queue_depth{")
        }
        state = {"ledger": counts, "redis": depth}
        if counts["queued"] == 0 and counts["running"] == 0 and depth.get("queued") == 0 \
                and depth.get("started") == 0:  # fmt: skip
            state["drained"] = True
            state["drained_after_s"] = round(seconds - (deadline - time.time()), 1)
            state["retried_jobs"] = _retried(admin)
            break
        time.sleep(1)
    _write(out_path, state)


def _retried(admin) -> list[dict]:
    """Jobs that took more than one attempt (a worker lost mid-run, a failure retried)."""
    out, page = [], 1
    while page <= 50:
        body = admin.call("drain", "GET", f"/api/v1/jobs?per_page=200&page={page}").json()
        out += [{k: j[k] for k in ("id", "name", "status", "attempts")}
                for j in body["items"] if j["attempts"] > 1]  # fmt: skip
        if page * 200 >= body["total"]:
            return out
        page += 1
    return out


def summarise(load_path: str) -> dict:
    """The figures: requests, per-host split before the kill, failures, latency."""
    done = _read(load_path)
    log = done["log"]
    ms = sorted(e["ms"] for e in log if e["status"] and e["status"] < 500)
    return {
        "requests": len(log),
        "elapsed_s": round(done["elapsed"], 1),
        "per_second": round(len(log) / done["elapsed"], 1) if done["elapsed"] else 0,
        "p50_ms": statistics.median(ms) if ms else None,
        "p95_ms": ms[int(len(ms) * 0.95) - 1] if ms else None,
        "failed": sum(1 for e in log if e["status"] == 0 or e["status"] >= 500),
        "answers_acked": len(done["acked"]["answers"]),
        "files_acked": len(done["acked"]["files"]),
        "exports": done["exports"],
    }


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "load":
        load(args[0], args[1], args[2], float(args[3]))
    elif mode == "verify":
        verify(*args)
    elif mode == "drain":
        drain(args[0], args[1], args[2], float(args[3]))
