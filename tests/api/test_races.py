"""Parallel requests on one assessment: only 200 or 409 (never 500) and exactly one transition.

Each request runs in its own thread with its own test client, so each gets its own app context,
database session and connection, as under a threaded server or several workers."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.helpers import PDF, answers_payloads
from vendorassure.models import Assessment, AuditEvent, Evidence
from vendorassure.services import audit
from vendorassure.services.auth import issue_api_token


def _parallel(app, calls, bodies: list | None = None) -> list[int]:
    """Run (method, path, token, json) calls at the same moment; return the statuses (and put
    the response bodies into `bodies` when given)."""
    barrier = threading.Barrier(len(calls))
    statuses: list[int | None] = [None] * len(calls)
    answers: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i, method, path, token, body):
        client = app.test_client()
        try:
            barrier.wait(timeout=10)
            response = client.open(
                f"/api/v1{path}",
                method=method,
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses[i] = response.status_code
            answers[i] = response.get_json()
        except BaseException as exc:  # reported below, never swallowed
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, *c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    if bodies is not None:
        bodies.extend(answers)
    return statuses


def _token(user) -> str:
    return issue_api_token(user.email, PASSWORD)[0]


def _events(db, action: str, assessment_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.assessment_id == assessment_id)
    )


def _answered(make, api):
    vendor = make.vendor()
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    client = api(contact)
    for key, value in answers_payloads(a):
        assert client.put(f"/assessments/{a.id}/answers/{key}", {"value": value}).status_code == 200
    return a, contact


def _status(db, assessment_id) -> str:
    db.session.rollback()
    return db.session.get(Assessment, assessment_id).status


def test_parallel_submits_one_wins_the_rest_409(app, make, api, db):
    a, contact = _answered(make, api)
    tokens = [_token(contact) for _ in range(4)]
    bodies: list = []
    calls = [("POST", f"/assessments/{a.id}/submit", t, None) for t in tokens]
    statuses = _parallel(app, calls, bodies)
    print("submit statuses", sorted(statuses))
    assert sorted(statuses) == [200, 409, 409, 409], statuses
    # The losers are told the current state, as for any illegal transition.
    for status, body in zip(statuses, bodies, strict=True):
        if status == 409:
            assert body["error"]["code"] == "illegal_transition", body
            assert body["error"]["fields"] == {"status": "submitted"}
    assert _events(db, "assessment.submitted", a.id) == 1
    assert _status(db, a.id) == "submitted"
    assert audit.verify_chain() == (True, None)


def test_parallel_completes_one_wins_the_rest_409(app, make, db):
    a, _ = make.submitted()
    tokens = [_token(make.user("risk")) for _ in range(3)]
    body = {"decision": "complete", "note": "ok"}
    bodies: list = []
    calls = [("POST", f"/assessments/{a.id}/review", t, body) for t in tokens]
    statuses = _parallel(app, calls, bodies)
    print("complete statuses", sorted(statuses))
    assert sorted(statuses) == [200, 409, 409], statuses
    losers = [b for s, b in zip(statuses, bodies, strict=True) if s == 409]
    assert all(b["error"]["fields"] == {"status": "completed"} for b in losers), losers
    assert _events(db, "assessment.completed", a.id) == 1
    assert _events(db, "assessment.review_started", a.id) == 1
    assert _status(db, a.id) == "completed"
    assert audit.verify_chain() == (True, None)


def test_parallel_complete_and_request_changes_exactly_one_decision(app, make, db):
    a, _ = make.submitted()
    risk = [_token(make.user("risk")) for _ in range(4)]
    calls = [
        ("POST", f"/assessments/{a.id}/review", risk[0], {"decision": "complete"}),
        (
            "POST",
            f"/assessments/{a.id}/review",
            risk[1],
            {"decision": "request_changes", "note": "x"},
        ),
        ("POST", f"/assessments/{a.id}/review", risk[2], {"decision": "start"}),
        ("POST", f"/assessments/{a.id}/review", risk[3], {"decision": "complete"}),
    ]
    statuses = _parallel(app, calls)
    print("decision statuses", statuses)
    assert set(statuses) <= {200, 409}, statuses
    decided = _events(db, "assessment.completed", a.id) + _events(
        db, "assessment.changes_requested", a.id
    )
    assert decided == 1
    assert _events(db, "assessment.review_started", a.id) == 1
    assert audit.verify_chain() == (True, None)


def test_parallel_first_saves_move_sent_to_in_progress_once(app, make, db):
    vendor = make.vendor()
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    keys = [key for key, _ in answers_payloads(a)][:4]
    values = dict(answers_payloads(a))
    calls = [
        ("PUT", f"/assessments/{a.id}/answers/{k}", _token(contact), {"value": values[k]})
        for k in keys
    ]
    statuses = _parallel(app, calls)
    print("first save statuses", statuses)
    assert set(statuses) <= {200, 409}, statuses
    assert statuses.count(200) >= 1
    assert _events(db, "assessment.started", a.id) == 1
    assert _status(db, a.id) == "in_progress"
    assert audit.verify_chain() == (True, None)


def test_parallel_submit_and_upload_never_500(app, make, api, db):
    a, contact = _answered(make, api)
    tokens = [_token(contact) for _ in range(3)]
    statuses = _parallel(
        app,
        [
            ("POST", f"/assessments/{a.id}/submit", tokens[0], None),
            ("POST", f"/assessments/{a.id}/submit", tokens[1], None),
            ("POST", f"/assessments/{a.id}/answers/confirm", tokens[2], {}),
        ],
    )
    assert set(statuses) <= {200, 409}, statuses
    assert _events(db, "assessment.submitted", a.id) == 1


def test_parallel_verifications_and_finding_changes_never_500(app, make, api, db):
    from vendorassure.services import evidence as evidence_service

    vendor = make.vendor()
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    evidence_service.upload_evidence(contact, a, "policy.pdf", PDF, "policy")
    client = api(contact)
    for key, value in answers_payloads(a):
        client.put(f"/assessments/{a.id}/answers/{key}", {"value": value})
    assert client.post(f"/assessments/{a.id}/submit").status_code == 200
    ev = db.session.scalar(select(Evidence).filter_by(assessment_id=a.id))
    risk = api(make.user("risk"))
    finding = risk.post("/findings", {"assessment_id": a.id, "title": "Gap"}).get_json()
    tokens = [_token(make.user("risk")) for _ in range(6)]
    calls = [
        ("POST", f"/evidence/{ev.id}/verification", tokens[0], {"decision": "accepted"}),
        (
            "POST",
            f"/evidence/{ev.id}/verification",
            tokens[1],
            {"decision": "rejected", "note": "x"},
        ),
        ("PATCH", f"/findings/{finding['id']}", tokens[2], {"status": "remediating"}),
        ("PATCH", f"/findings/{finding['id']}", tokens[3], {"status": "closed"}),
        ("POST", f"/assessments/{a.id}/review", tokens[4], {"decision": "start"}),
        ("POST", f"/assessments/{a.id}/findings/propose", tokens[5], None),
    ]
    statuses = _parallel(app, calls)
    print("verification/findings statuses", statuses)
    assert set(statuses) <= {200, 201, 409}, statuses
    assert _events(db, "assessment.review_started", a.id) == 1
    assert audit.verify_chain() == (True, None)


def test_a_busy_database_answers_503_and_saves_nothing(app, make, api, db, database_url):
    """A writer that holds the assessment longer than DATABASE_LOCK_TIMEOUT_MS gets a 503 with
    Retry-After (never a 500, never an endless wait)."""
    from vendorassure import create_app

    a, contact = _answered(make, api)
    token = _token(contact)
    busy = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "DATABASE_LOCK_TIMEOUT_MS": 300}
    )
    if database_url.startswith("sqlite"):
        import sqlite3

        holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # the database's one write lock
    else:
        import psycopg

        holder = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"))
        holder.execute("SELECT id FROM assessments WHERE id = %s FOR UPDATE", (a.id,))
    try:
        r = busy.test_client().post(
            f"/api/v1/assessments/{a.id}/submit", headers={"Authorization": f"Bearer {token}"}
        )
    finally:
        holder.rollback() if hasattr(holder, "rollback") else None
        holder.close()
        with busy.app_context():
            db.session.remove()
            db.engine.dispose()
    assert r.status_code == 503, r.get_json()
    assert r.headers["Retry-After"] == "1" and r.get_json()["error"]["code"] == "busy"
    assert _status(db, a.id) == "in_progress"
    assert _events(db, "assessment.submitted", a.id) == 0


def test_parallel_web_submits_submit_once_and_never_500(app, make, api, db):
    from tests.conftest import login

    a, contact = _answered(make, api)
    clients = []
    for _ in range(3):
        client = app.test_client()
        login(client, contact)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    statuses = []
    url = f"/portal/assessments/{a.id}/submit"

    def submit(client):
        barrier.wait(timeout=10)
        statuses.append(client.post(url).status_code)

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # The winner goes to the portal; the others are sent back to the form with the reason.
    assert sorted(statuses) == [302, 302, 302], statuses
    assert _events(db, "assessment.submitted", a.id) == 1
    assert _status(db, a.id) == "submitted"
