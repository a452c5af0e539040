"""Start the app and Redis as separate processes for tests that need real workers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A child that serves create_app() on a free port and prints the port once it listens.
SERVE = """
from werkzeug.serving import make_server
from vendorassure import create_app
server = make_server("127.0.0.1", 0, create_app(), threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_process(env: dict, timeout: float = 30):
    """Run one app instance (its own process, like one gunicorn worker); yield its base URL."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    proc = subprocess.Popen(  # noqa: S603  (our own interpreter and code)
        [sys.executable, "-c", SERVE],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        if not line.strip().isdigit():
            proc.kill()
            raise RuntimeError(f"app process did not start: {line!r} {proc.stderr.read()[-2000:]}")
        yield f"http://127.0.0.1:{int(line)}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
        proc.stdout.close()
        proc.stderr.close()


@contextmanager
def redis_server():
    """A throw-away redis-server on a free port (nothing kept on disk); yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not installed: `apt-get install redis-server` (.ci/run does it), "
            "or point VA_TEST_REDIS_URL at a Redis the tests may use."
        )
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def moto_s3_server(host: str = "127.0.0.1"):
    """A standalone S3-compatible server (moto's server mode) on a free loopback port; yield its
    endpoint URL. Credentials are any pair; the environment of the caller is left alone."""
    binary = Path(sys.executable).parent / "moto_server"
    if not binary.exists():
        raise RuntimeError('moto_server is not installed: pip install "moto[server]"')
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        [str(binary), "-H", host, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("moto_server did not start")
            time.sleep(0.1)
        yield f"http://{host}:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
