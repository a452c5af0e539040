"""Time sign-in attempts for a known and an unknown email with the configured (real) hash method.

Prints the median of N attempts each and their ratio; a ratio near 1 means the answer time does
not tell whether an email has an account. Uses a throwaway SQLite database.
    .venv/bin/python bench/login_timing.py [N]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._app import bench_app  # noqa: E402


def main(n: int = 50) -> None:
    # Failures would start the per-account backoff; this measures the hash, not the wait.
    with bench_app(LOGIN_BACKOFF_FREE_ATTEMPTS=10**6) as app:
        _measure(app, n)


def _measure(app, n: int) -> None:
    from vendorassure.services.auth import create_user

    with app.app_context():
        create_user("known@example.com", "procurement", "a long benchmark passphrase")
    client = app.test_client()
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for i in range(n):
        for label in ("known", "unknown") if i % 2 else ("unknown", "known"):
            email = f"{label}@example.com"
            start = time.perf_counter()
            client.post("/login", data={"email": email, "password": "wrong password here"})
            timings[label].append((time.perf_counter() - start) * 1000)
    known, unknown = (statistics.median(timings[k]) for k in ("known", "unknown"))
    print(f"hash method: {app.config['PASSWORD_HASH_METHOD']}, {n} attempts each")
    print(f"known email:   median {known:.1f} ms")
    print(f"unknown email: median {unknown:.1f} ms")
    print(f"ratio known/unknown: {known / unknown:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
