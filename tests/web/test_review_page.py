"""The review page stays light: a bounded number of SQL statements per view whatever the
questionnaire size, answers grouped by objective with flagged items first, and per-answer
actions that answer in place (JSON for the page's script) or by a full post without it."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from tests.helpers import PDF, answer_all
from vendorassure.extensions import db
from vendorassure.models import Assessment
from vendorassure.queries import snapshot
from vendorassure.services import assessments, evidence, review

MAX_STATEMENTS = 15


@contextmanager
def counted():
    """Count the SQL statements run inside the block."""
    seen: list[str] = []

    def on_execute(conn, cursor, statement, *args):
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def _reviewed(make, key: str, n_comments: int = 3):
    vendor = make.vendor(f"Page {key}", level="high")
    a = make.assessment(vendor, key)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=False)
    for i in range(3):
        evidence.upload_evidence(contact, a, f"p{i}.pdf", PDF + bytes([i]), "policy")
    evidence.upload_evidence(
        contact, a, "cert.pdf", PDF + b"cert", "iso42001_certificate", to_library=True,
        certification_body="CB", certificate_number="1", scope="all",
        issued_on=date.today() - timedelta(days=10), expires_on=date.today() + timedelta(days=300),
    )  # fmt: skip
    assessments.submit_assessment(contact, a)
    risk = make.user("risk")
    review.start_review(risk, a)
    keys = [q.key for q in a.questionnaire.questions][:n_comments]
    for k in keys:
        review.flag_answer(risk, a, k, "flagged", "Check this")
        review.request_clarification(risk, a, "Please explain.", k)
    return a, risk


@pytest.mark.parametrize("key", ["iso42001-ai-vendor-lite", "iso42001-ai-vendor"])
def test_review_view_runs_a_bounded_number_of_statements(client, make, login_as, key, capsys):
    a, _ = _reviewed(make, key)
    login_as("risk")
    client.get(f"/review/assessments/{a.id}")  # warm the per-process caches (catalog, model)
    aid = a.id
    snapshot.drop_all()  # the page rendered afresh, not served from its snapshot
    db.session.commit()
    db.session.remove()  # nothing cached from the set-up: count what a fresh request runs
    with counted() as seen:
        r = client.get(f"/review/assessments/{aid}")
    assert r.status_code == 200
    with counted() as again:  # and now from the snapshot: the user, the lookup
        assert client.get(f"/review/assessments/{aid}").data == r.data
    assert len(again) <= 2, again
    started = time.perf_counter()
    key0 = db.session.get(Assessment, aid).questionnaire.questions[0].key
    r = client.post(
        f"/review/assessments/{aid}/answers/{key0}/flag",
        data={f"fl-{key0}-state": "accepted", f"fl-{key0}-note": ""},
        follow_redirects=True,
    )
    took = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n{key}: {len(seen)} statements per view, {len(r.data)} bytes, "
              f"flag + reload {took * 1000:.0f} ms")  # fmt: skip
    assert len(seen) <= MAX_STATEMENTS, "\n".join(s[:120] for s in seen)


def test_flag_and_verify_update_in_place_and_still_work_by_full_post(client, make, login_as):
    a, _ = _reviewed(make, "iso42001-ai-vendor-lite", n_comments=1)
    login_as("risk")
    q = a.questionnaire.questions[5]
    fetch = {"X-Requested-With": "fetch", "Accept": "application/json"}
    started = time.perf_counter()
    r = client.post(
        f"/review/assessments/{a.id}/answers/{q.key}/flag",
        data={f"fl-{q.key}-state": "flagged", f"fl-{q.key}-note": "Which regions?"},
        headers=fetch,
    )
    took = time.perf_counter() - started
    assert r.status_code == 200 and r.get_json() == {
        "state": "flagged", "note": "Which regions?", "message": "Saved."
    }  # fmt: skip
    r = client.post(
        f"/review/assessments/{a.id}/answers/{q.key}/flag",
        data={f"fl-{q.key}-state": "bogus"},
        headers=fetch,
    )
    assert r.status_code == 400 and "error" in r.get_json()
    # Without the script: a normal post, a redirect to the answer, and the flag shows.
    r = client.post(
        f"/review/assessments/{a.id}/answers/{q.key}/flag",
        data={f"fl-{q.key}-state": "flagged", f"fl-{q.key}-note": "Still unclear"},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith(f"#ans-{q.key}")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Still unclear" in page
    [(doc, _)] = [(e, q) for e, q in __import__("vendorassure.queries.evidence", fromlist=["x"])
                  .assessment_evidence(a) if e.kind == "policy"][:1]  # fmt: skip
    r = client.post(
        f"/review/evidence/{doc.id}/verify?assessment_id={a.id}",
        data={f"v{doc.id}-decision": "accepted"},
        headers=fetch,
    )
    assert r.status_code == 200 and r.get_json()["verification_label"] == "Verified"
    print(f"\nin-place flag: {took * 1000:.0f} ms")


def test_answers_are_grouped_collapsed_with_attention_first(client, make, login_as):
    a, _ = _reviewed(make, "iso42001-ai-vendor-lite", n_comments=0)
    risk = make.user("risk")
    questions = sorted(a.questionnaire.questions, key=lambda q: q.order)
    flagged = questions[-1]
    review.flag_answer(risk, a, flagged.key, "flagged", "Look")
    login_as("risk")
    html = client.get(f"/review/assessments/{a.id}").get_data(as_text=True)
    assert 'src="/static/js/review.js"' in html
    groups = html.split('<details class="objective-group"')[1:]
    assert groups, "answers are in collapsible objective groups"
    opened = [g for g in groups if g.split(">", 1)[0].endswith(" open")]
    closed = [g for g in groups if not g.split(">", 1)[0].endswith(" open")]
    assert closed, "groups without anything to look at start collapsed"
    mine = next(g for g in groups if f'id="ans-{flagged.key}"' in g)
    assert mine in opened
    rows = [
        (part.split('"', 1)[0], " attention" in part.split(">", 1)[0])
        for part in mine.split('<tr id="ans-')[1:]
    ]
    marks = [needs for _, needs in rows]
    assert marks == sorted(marks, reverse=True)  # everything needing attention comes first
    assert (flagged.key, True) in rows  # the last question of the questionnaire among them
    assert client.get("/static/js/review.js").status_code == 200


def test_trail_groups_answer_saves_names_people_and_filters_by_kind(client, make, login_as):
    a, _ = _reviewed(make, "iso42001-ai-vendor-lite", n_comments=1)
    contact = next(u for u in a.vendor.contacts)
    login_as("risk")
    html = client.get(f"/review/assessments/{a.id}").get_data(as_text=True)
    trail = html.split('id="timeline"', 1)[1]
    n = len(assessments.answer_map(a))
    assert f"<strong>{contact.display_name}</strong> answered {n} questions across " in trail
    assert "answer.saved" not in trail and "assessment.submitted" not in trail
    assert "submitted the answers" in trail and "reviewed an answer flagged: “" in trail
    only = client.get(f"/review/assessments/{a.id}?trail=evidence").get_data(as_text=True)
    lines = only.split('id="timeline"', 1)[1].split("</ul>", 1)[0].count("<li data-kind=")
    assert lines == only.split('id="timeline"', 1)[1].count('data-kind="evidence"') == 4
