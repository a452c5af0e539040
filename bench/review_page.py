"""Time the review page and a per-answer action on the full questionnaire (about 160 questions).

Prints SQL statements per view, the median time of a view, of a flag saved by a full post and
reload (what the page did before), and of the same flag saved in place (what its script does
now), with their ratio. Uses a throwaway SQLite database.
    .venv/bin/python bench/review_page.py [N]
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._app import bench_app  # noqa: E402


def _median_ms(fn, n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def main(n: int = 15) -> None:
    with bench_app() as app:
        _measure(app, n)


def _measure(app, n: int) -> None:
    from sqlalchemy import event

    from tests.helpers import answer_all
    from vendorassure.extensions import db
    from vendorassure.services import assessments, review, vendors
    from vendorassure.services.auth import create_user
    from vendorassure.services.library import intake_definition, load_library

    with app.app_context():
        load_library()
        buyer = create_user("buyer@example.com", "procurement", "a long benchmark passphrase")
        risk = create_user("risk@example.com", "risk", "a long benchmark passphrase")
        intake = {q["key"]: q["options"][-1]["value"] for q in intake_definition()["questions"]}
        vendor = vendors.create_vendor(buyer, "Bench AI", "https://bench.example", "AI", intake)
        a = assessments.issue_assessment(
            buyer, vendor, "iso42001-ai-vendor", date.today() + timedelta(days=30)
        )
        contact = create_user("v@bench.example", "vendor", "a long benchmark passphrase",
                              vendor_id=vendor.id)  # fmt: skip
        answer_all(contact, a, best=False)
        assessments.submit_assessment(contact, a)
        review.start_review(risk, a)
        aid, key, risk_id = a.id, a.questionnaire.questions[3].key, risk.get_id()
        questions = len(a.questionnaire.questions)
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = risk_id, True
        session["_va_auth"] = session["_va_seen"] = int(time.time())
        session["_va_method"] = "password"
    url = f"/review/assessments/{aid}"
    client.get(url)
    seen = []

    def count(*args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    size = len(client.get(url).data)
    event.remove(engine, "before_cursor_execute", count)
    data = {f"fl-{key}-state": "flagged", f"fl-{key}-note": "Check"}
    view = _median_ms(lambda: client.get(url), n)
    full = _median_ms(
        lambda: client.post(f"{url}/answers/{key}/flag", data=data, follow_redirects=True), n
    )
    in_place = _median_ms(
        lambda: client.post(
            f"{url}/answers/{key}/flag", data=data, headers={"X-Requested-With": "fetch"}
        ),  # fmt: skip
        n,
    )
    print(f"questions: {questions}; statements per view: {len(seen)}; page {size / 1024:.0f} KB")
    print(f"view: {view:.0f} ms; flag by full post + reload: {full:.0f} ms; "
          f"flag in place: {in_place:.0f} ms; ratio {full / in_place:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
