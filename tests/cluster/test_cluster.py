"""Shown across hosts: two app hosts (gunicorn + worker), a data host (PostgreSQL, Redis), an
S3-compatible host (moto) and an nginx balancer, each in its own network namespace. Vendors
save answers and upload evidence through the balancer while one app host is killed mid-load;
afterwards every acknowledged answer and file is there exactly once, the job queue has drained
and the audit chain verifies. `make test-cluster` runs it (as root); figures go to the log."""

from __future__ import annotations

import glob
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cluster.load import summarise
from tests.cluster.netns import Cluster, run, wait_port

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
VENDORS = int(os.environ.get("VA_CLUSTER_VENDORS", "8"))
LOAD_SECONDS = 150  # the upper bound; the plan usually finishes far sooner
KILL_AT = 0.45  # share of the planned requests done when app1 loses power
FIGURES = Path(os.environ.get("VA_CLUSTER_FIGURES", "/tmp/va-cluster-figures.json"))

pytestmark = pytest.mark.cluster


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        pytest.fail("PostgreSQL server binaries are missing (apt-get install postgresql)")
    return Path(found[-1]).parent


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0:
        pytest.fail("the cluster test builds network namespaces and must run as root")
    for tool in ("nginx", "redis-server"):
        if subprocess.run(["which", tool], capture_output=True).returncode:  # noqa: S603,S607
            pytest.fail(f"{tool} is missing; .ci/run installs it from Debian's packages")
    c = Cluster()
    try:
        yield c
    finally:
        c.close()


def _app_env(c: Cluster, name: str, hosts: dict, secret: str) -> dict:
    data, s3, lb = hosts["data"].address, hosts["s3"].address, hosts["lb"].address
    prom = c.root / f"prom-{name}"
    prom.mkdir(exist_ok=True)
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "HOME")}
    return {
        **keep,
        "PYTHONPATH": str(ROOT),
        "VA_ENV": "production",
        "SECRET_KEY": secret,
        "DATABASE_URL": f"postgresql+psycopg://postgres@{data}:5432/vendorassure",
        "REDIS_URL": f"redis://{data}:6379/0",
        "JOBS_BACKEND": "rq",
        "JOBS_TIMEOUT_SECONDS": "15",
        "EVIDENCE_STORE": "s3://va-evidence/evidence",
        "EVIDENCE_S3_ENDPOINT_URL": f"http://{s3}:9000",
        "AWS_ACCESS_KEY_ID": "cluster",
        "AWS_SECRET_ACCESS_KEY": "cluster-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "BASE_URL": f"http://{lb}",
        "PROXY_HOPS": "1",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "METRICS_ENABLED": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(prom),
        # Each host has its own instance folder and outbox: nothing on local disk is shared.
        "INSTANCE_PATH": str(c.root / f"instance-{name}"),
        "MAIL_OUTBOX_DIR": str(c.root / f"outbox-{name}"),
        "HOST_NAME": name,
        "MFA_REQUIRED_ROLES": "",
        "WEB_CONCURRENCY": "2",
        "CLUSTER_PASSWORD": "cluster horse battery staple 7",
        "NO_PROXY": "*",
    }


NGINX = """
worker_processes 1;
daemon off;
user root;
pid {root}/nginx.pid;
error_log {root}/lb-nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format upstreams '$remote_addr "$request" $status up=$upstream_addr $request_time';
  access_log {root}/lb-access.log upstreams;
  client_body_temp_path {root}/nginx-body;
  proxy_temp_path {root}/nginx-proxy;
  fastcgi_temp_path {root}/nginx-fastcgi;
  uwsgi_temp_path {root}/nginx-uwsgi;
  scgi_temp_path {root}/nginx-scgi;
  client_max_body_size 30m;
  upstream vendorassure {{
    server {app1}:8000 max_fails=1 fail_timeout=30s;
    server {app2}:8000 max_fails=1 fail_timeout=30s;
    keepalive 16;
  }}
  server {{
    listen {lb}:80;
    location = /metrics {{ return 404; }}
    location / {{
      proxy_pass http://vendorassure;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Request-ID $request_id;
      proxy_connect_timeout 2s;
      proxy_read_timeout 60s;
      proxy_next_upstream error timeout;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
"""


def _start_data_host(c: Cluster, data) -> None:
    pg_bin = _pg_bin()
    pgdata, sockets = c.root / "pgdata", c.root / "pgsock"
    for folder in (pgdata, sockets):
        folder.mkdir()
        run("chown", "postgres:postgres", str(folder))
    run("runuser", "-u", "postgres", "--", str(pg_bin / "initdb"), "-D", str(pgdata),
        "-U", "postgres", "-A", "trust", "-E", "UTF8")  # fmt: skip
    with open(pgdata / "pg_hba.conf", "a") as hba:
        hba.write(f"host all all {data.address.rsplit('.', 1)[0]}.0/24 trust\n")
    c.start(data, "postgres", [
        "runuser", "-u", "postgres", "--", str(pg_bin / "postgres"), "-D", str(pgdata),
        "-c", f"listen_addresses={data.address}", "-c", "port=5432",
        "-c", f"unix_socket_directories={sockets}", "-c", "fsync=off",
        "-c", "synchronous_commit=off", "-c", "max_connections=120",
    ])  # fmt: skip
    c.start(data, "redis", ["redis-server", "--bind", data.address, "--port", "6379",
                            "--save", "", "--appendonly", "no", "--protected-mode", "no"])  # fmt: skip
    wait_port(data, 5432)
    wait_port(data, 6379)
    created = run(*data.cmd(str(pg_bin / "psql"), "-h", data.address, "-U", "postgres", "-c",
                            "CREATE DATABASE vendorassure"), check=False)  # fmt: skip
    assert created.returncode == 0, created.stderr


def _flask(c: Cluster, host, env: dict, *args: str) -> subprocess.CompletedProcess:
    result = run(*host.cmd(str(VENV_BIN / "flask"), "--app", "app", *args), env=env, cwd=ROOT,
                 check=False)  # fmt: skip
    assert result.returncode == 0, f"flask {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result


def _client(c: Cluster, client, *args: str, timeout: float = 300) -> None:
    result = run(*client.cmd(sys.executable, "-m", "tests.cluster.load", *args),
                 cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": os.environ["PATH"]},
                 check=False, timeout=timeout)  # fmt: skip
    assert result.returncode == 0, f"client {args[0]}: {result.stdout}\n{result.stderr}"


def test_two_app_hosts_behind_a_balancer_survive_losing_one(cluster):
    c = cluster
    started = time.monotonic()
    hosts = {
        "lb": c.add_host("lb", 10),
        "app1": c.add_host("app1", 11),
        "app2": c.add_host("app2", 12),
        "data": c.add_host("data", 2),
        "s3": c.add_host("s3", 3),
        "client": c.add_host("client", 20),
    }
    _start_data_host(c, hosts["data"])
    c.start(hosts["s3"], "moto", [str(VENV_BIN / "moto_server"), "-H", hosts["s3"].address,
                                  "-p", "9000"])  # fmt: skip
    wait_port(hosts["s3"], 9000)
    secret = secrets.token_hex(32)
    envs = {n: _app_env(c, n, hosts, secret) for n in ("app1", "app2")}

    # Schema and data once, from one host; both hosts serve the same database and bucket.
    _flask(c, hosts["app1"], envs["app1"], "db", "upgrade")
    seeded = run(*hosts["app1"].cmd(sys.executable, "-m", "tests.cluster.seed", str(VENDORS)),
                 env=envs["app1"], cwd=ROOT, check=False)  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    plan = json.loads(seeded.stdout.strip().splitlines()[-1])
    plan["base"] = f"http://{hosts['lb'].address}"
    plan_path = c.root / "plan.json"
    plan_path.write_text(json.dumps(plan))

    for name in ("app1", "app2"):
        host, env = hosts[name], envs[name]
        c.start(host, "gunicorn", [
            str(VENV_BIN / "gunicorn"), "-c", "python:vendorassure.gunicorn_conf",
            "--bind", f"{host.address}:8000", "--workers", "2", "--timeout", "60", "app:app",
        ], env=env, cwd=ROOT)  # fmt: skip
        c.start(host, "worker", [str(VENV_BIN / "flask"), "--app", "app", "worker"],
                env=env, cwd=ROOT)  # fmt: skip
    for name in ("app1", "app2"):
        wait_port(hosts[name], 8000, timeout=90)
    conf = c.root / "nginx.conf"
    conf.write_text(
        NGINX.format(
            root=c.root,
            lb=hosts["lb"].address,
            app1=hosts["app1"].address,
            app2=hosts["app2"].address,
        )
    )
    c.start(hosts["lb"], "nginx", ["nginx", "-c", str(conf), "-p", str(c.root),
                                   "-e", str(c.root / "lb-nginx-start.log")])  # fmt: skip
    wait_port(hosts["lb"], 80)
    ready_s = time.monotonic() - started

    # The load, and app1 losing power once almost half of it is done.
    planned = sum(len(v["answers"]) + len(v["answers"]) // 3 for v in plan["vendors"])
    progress, load_out = c.root / "progress", c.root / "load.json"
    loader = subprocess.Popen(  # noqa: S603
        hosts["client"].cmd(sys.executable, "-m", "tests.cluster.load", "load", str(plan_path),
                            str(load_out), str(progress), str(LOAD_SECONDS)),
        cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": os.environ["PATH"]},
    )  # fmt: skip
    killed_at = None
    deadline = time.monotonic() + LOAD_SECONDS + 120
    while loader.poll() is None and time.monotonic() < deadline:
        done = int(progress.read_text() or 0) if progress.exists() else 0
        if killed_at is None and done >= planned * KILL_AT:
            killed_at = time.time()
            killed = c.kill_host(hosts["app1"])
        time.sleep(0.1)
    assert loader.wait(timeout=60) == 0, "the load client failed"
    assert killed_at is not None, "app1 was never killed: the load ended too early"

    verify_out, drain_out = c.root / "verify.json", c.root / "drain.json"
    _client(c, hosts["client"], "drain", str(plan_path), str(drain_out),
            f"http://{hosts['app2'].address}:8000/metrics", "120")  # fmt: skip
    _client(c, hosts["client"], "verify", str(plan_path), str(load_out), str(verify_out))
    audit = _flask(c, hosts["app2"], envs["app2"], "audit", "verify")
    evidence = _flask(c, hosts["app2"], envs["app2"], "evidence", "verify")

    figures = summarise(load_out)
    log = json.loads(load_out.read_text())["log"]
    before = [e for e in log if e["t"] < killed_at]
    after = [e for e in log if e["t"] >= killed_at]
    app1, app2 = (f"{hosts[n].address}:8000" for n in ("app1", "app2"))
    verified = json.loads(verify_out.read_text())
    drained = json.loads(drain_out.read_text())
    outboxes = [p for n in ("app1", "app2") for p in (c.root / f"outbox-{n}").glob("*.eml")]
    message_ids = [
        line for p in outboxes for line in p.read_text().splitlines()
        if line.lower().startswith("message-id:")
    ]  # fmt: skip
    figures.update(
        vendors=VENDORS,
        cluster_ready_s=round(ready_s, 1),
        before_kill={
            "app1": sum(app1 in e["upstream"] for e in before),
            "app2": sum(app2 in e["upstream"] for e in before),
        },  # fmt: skip
        # Answered (not failed) by each host once app1 was killed: app2 alone.
        after_kill={
            n: sum(e["upstream"].endswith(a) and 0 < e["status"] < 500 for e in after)
            for n, a in (("app1", app1), ("app2", app2))
        },
        processes_killed=killed,
        # In flight on app1 when it died and passed on to app2 by the balancer (not failed).
        retried_by_balancer=sum(
            1
            for line in (c.root / "lb-access.log").read_text().splitlines()
            if f"up={app1}, {app2}" in line
        ),
        failed_at_kill=[
            {k: e.get(k) for k in ("kind", "status", "error", "upstream")}
            for e in log
            if e["status"] == 0 or e["status"] >= 500
        ],  # fmt: skip
        answers_found=verified["answers_found"],
        files_found=verified["files_found"],
        problems=verified["problems"],
        queue=drained,
        mails_delivered=len(message_ids),
        mails_distinct=len(set(message_ids)),
        audit=audit.stdout.strip(),
        evidence=evidence.stdout.strip(),
        total_s=round(time.monotonic() - started, 1),
    )
    FIGURES.write_text(json.dumps(figures, indent=2))
    print("\ncluster figures:", json.dumps(figures, indent=2))

    assert figures["before_kill"]["app1"] > 0 and figures["before_kill"]["app2"] > 0
    assert figures["after_kill"]["app1"] == 0 and figures["after_kill"]["app2"] > 0
    assert verified["problems"] == []
    assert figures["answers_found"] == figures["answers_acked"] > 0
    assert figures["files_found"] == figures["files_acked"] > 0
    # Every answer of the plan was acknowledged in the end (clients retry what failed).
    assert figures["answers_acked"] == sum(len(v["answers"]) for v in plan["vendors"])
    assert drained.get("drained"), drained
    assert drained["ledger"]["failed"] == 0
    assert figures["exports"] and all(e["ok"] for e in figures["exports"])
    assert figures["mails_delivered"] == figures["mails_distinct"] >= VENDORS
    assert "Audit chain intact" in figures["audit"]
