"""The review record an auditor accepts: one evidence record per vendor and file, findings that
follow the score, bulk decisions, and findings counts that agree everywhere."""

from __future__ import annotations

import importlib.util
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from tests.helpers import PDF, answer_all
from vendorassure.extensions import db
from vendorassure.models import ControlScore, Evidence, EvidenceLink, Finding
from vendorassure.queries import portfolio
from vendorassure.queries.evidence import assessment_evidence
from vendorassure.queries.findings import finding_counts
from vendorassure.reports import loader
from vendorassure.services import assessments, evidence, findings, review
from vendorassure.services.errors import IllegalTransition, InvalidValues

CERT = dict(
    certification_body="BSI",
    certificate_number="AI 1234",
    scope="The assessed AI service and its operations",
    issued_on=(date.today() - timedelta(days=30)).isoformat(),
    expires_on=(date.today() + timedelta(days=700)).isoformat(),
    standard="ISO/IEC 42001",
    edition="2023",
    accreditation_body="UKAS",
)


@pytest.fixture
def library_walk(make):
    """A vendor answered well, attached its ISO/IEC 42001 certificate 'also in our library'."""
    vendor = make.vendor("Kilo Cognition", level="high")
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=True)
    evidence.upload_evidence(
        contact, a, "iso42001.pdf", PDF, "iso42001_certificate", to_library=True, **CERT
    )
    assessments.submit_assessment(contact, a)
    return a, contact


def test_a_library_certificate_is_one_record_shown_and_counted_once(
    client, make, login_as, library_walk
):
    a, contact = library_walk
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 1
    [(cert, _)] = assessment_evidence(a)
    assert cert.in_library
    login_as("risk")
    page = client.get(f"/review/assessments/{a.id}").get_data(as_text=True)
    assert page.count('id="ev-') == 1
    r = client.post(
        f"/review/evidence/{cert.id}/verify?assessment_id={a.id}",
        data={f"v{cert.id}-decision": "accepted", f"v{cert.id}-scope_covers_service": "y",
              f"v{cert.id}-accredited": "y"},
    )  # fmt: skip
    assert r.status_code == 302 and f"/review/assessments/{a.id}" in r.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Evidence, cert.id).verification == "accepted"
    # The same file in the next assessment is the same record: verified there too.
    second = make.assessment(a.vendor, "iso42001-ai-vendor")
    used = evidence.upload_evidence(
        contact, second, "again.pdf", PDF, "iso42001_certificate", **CERT
    )
    assert used.id == cert.id and used.verification == "accepted"
    assert [e.id for e, _ in assessment_evidence(second, include_library=False)] == [cert.id]
    overview = client.get(f"/vendors/{a.vendor_id}/overview").get_data(as_text=True)
    assert overview.count("iso42001.pdf") == 1
    assert len(loader.load_evidence_pack().certificates) == 1
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 1


def test_migration_merges_duplicates_and_keeps_the_latest_verification(tmp_path):
    path = next(Path("migrations/versions").glob("a11e0c1d5e7f_*.py"))
    spec = importlib.util.spec_from_file_location("mig", path)
    mig = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mig)
    engine = sa.create_engine(f"sqlite:///{tmp_path}/old.db")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE evidence (id INTEGER PRIMARY KEY, vendor_id INT, sha256 TEXT, "
            "assessment_id INT, question_id INT, uploaded_by_id INT, created_at TIMESTAMP, "
            "verification TEXT, verification_note TEXT, scope_covers_service BOOL, "
            "accredited BOOL, suspended_on DATE, verified_by_id INT, verified_at TIMESTAMP)"
        )
        conn.exec_driver_sql(
            "CREATE TABLE evidence_links (id INTEGER PRIMARY KEY, evidence_id INT, "
            "assessment_id INT, question_id INT, linked_by_id INT, created_at TIMESTAMP)"
        )
        rows = [
            # vendor 1: library copy pending, assessment copies: one verified, one pending
            (1, 1, "aa", None, None, "pending", None),
            (2, 1, "aa", 10, 7, "accepted", "2026-11-20 10:00:00"),
            (3, 1, "aa", 11, 8, "pending", None),
            # vendor 2: the same bytes are another vendor's record, untouched
            (4, 2, "aa", 12, None, "rejected", "2026-11-21 10:00:00"),
            # vendor 1: two assessment copies, no library copy; the later verdict wins
            (5, 1, "bb", 10, None, "rejected", "2026-11-01 09:00:00"),
            (6, 1, "bb", 11, None, "accepted", "2026-11-02 09:00:00"),
        ]
        for id_, vendor, sha, aid, qid, verification, at in rows:
            conn.execute(
                mig.evidence_t.insert().values(
                    id=id_, vendor_id=vendor, sha256=sha, assessment_id=aid, question_id=qid,
                    uploaded_by_id=3, created_at="2026-11-01 08:00:00", verification=verification,
                    verification_note="checked" if at else "", verified_by_id=9 if at else None,
                    verified_at=at,
                )
            )  # fmt: skip
        conn.execute(sa.text("UPDATE evidence SET verified_at = NULL WHERE verified_at = 'None'"))
        mig.merge_duplicate_evidence(conn)
        kept = conn.execute(
            sa.text(
                "SELECT id, assessment_id, verification, verified_by_id FROM evidence ORDER BY id"
            )
        ).all()
        links = conn.execute(
            sa.text(
                "SELECT evidence_id, assessment_id, question_id FROM evidence_links ORDER BY 2, 1"
            )
        ).all()
    assert [tuple(r) for r in kept] == [
        (1, None, "accepted", 9),  # the library row, carrying the assessment copy's verdict
        (4, 12, "rejected", 9),
        (5, 10, "accepted", 9),  # the oldest kept, with the later verdict
    ]
    assert [tuple(r) for r in links] == [(1, 10, 7), (1, 11, 8), (5, 11, None)]


def _proposed(a):
    return {
        f.origin: f
        for f in db.session.scalars(
            select(Finding).where(Finding.assessment_id == a.id, Finding.status == "proposed")
        )
    }


def test_findings_follow_the_score_and_decided_ones_stay(make, library_walk):
    a, _ = library_walk
    risk = make.user("risk")
    review.start_review(risk, a)
    scores = {
        cs.control.ref: cs
        for cs in db.session.scalars(select(ControlScore).where(ControlScore.assessment_id == a.id))
    }
    assessed = [r for r, cs in scores.items() if cs.coverage > 0 and cs.score >= 0.5]
    for ref in assessed[:3]:
        scores[ref].score = 0.3  # three weak controls: three proposals
    db.session.commit()
    created = findings.reconcile(risk, a)["proposed"]
    db.session.commit()
    assert sorted(f.origin for f in created) == sorted(f"control:{r}" for r in assessed[:3])
    kept_open, gone, changed = sorted(created, key=lambda f: assessed.index(f.origin[8:]))
    findings.update_finding(risk, kept_open, {"status": "open"})
    for f, value in ((kept_open, 0.95), (gone, 0.95), (changed, 0.01)):
        scores[f.origin.split(":", 1)[1]].score = value
    strong = assessed[3]
    scores[strong].score = 0.1
    db.session.commit()
    out = findings.reconcile(risk, a)
    db.session.commit()
    assert [f.id for f in out["withdrawn"]] == [gone.id]
    assert [f.id for f in out["updated"]] == [changed.id] and "scores 1%" in changed.title
    assert [f.origin for f in out["proposed"]] == [f"control:{strong}"]
    db.session.refresh(kept_open)
    assert kept_open.status == "open"  # decided by the reviewer: never touched
    db.session.refresh(gone)
    assert gone.status == "withdrawn" and gone.closing_reason
    # Back below the threshold: the withdrawn proposal is proposed again, not duplicated.
    scores[gone.origin.split(":", 1)[1]].score = 0.2
    db.session.commit()
    assert [f.id for f in findings.reconcile(risk, a)["proposed"]] == [gone.id]


@pytest.fixture
def strict(app, monkeypatch):
    """A reviewer's threshold of 80 %: unverified evidence (70 %) is proposed as findings."""
    monkeypatch.setitem(app.config, "FINDING_CONTROL_THRESHOLD", 0.8)


def test_verifying_evidence_reconciles_the_proposals(make, library_walk, strict):
    a, _ = library_walk
    risk = make.user("risk")
    review.start_review(risk, a)
    before = set(_proposed(a))
    [(cert, _)] = assessment_evidence(a)
    evidence.verify_evidence(risk, cert, "accepted", "", True, True)
    db.session.expire_all()
    after = set(_proposed(a))
    wanted = {p["origin"] for p in findings.proposals(a)}
    assert after == wanted
    assert before != after  # the verified certificate lifted controls: proposals withdrawn
    withdrawn = db.session.scalars(
        select(Finding.origin).where(Finding.assessment_id == a.id, Finding.status == "withdrawn")
    ).all()
    assert set(withdrawn) == before - after


def test_complete_asks_for_a_decision_on_proposals_and_bulk_decides(
    make, api, library_walk, strict
):
    a, _ = library_walk
    risk = make.user("risk")
    proposed = review.start_review(risk, a)
    assert proposed
    client = api(risk)
    r = client.post(f"/assessments/{a.id}/review", {"decision": "complete"})
    assert r.status_code == 409 and r.get_json()["error"]["fields"]["proposed"]
    ids = [f.id for f in proposed]
    r = client.post(f"/assessments/{a.id}/findings/bulk", {"ids": ids[:2], "action": "dismiss"})
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    assert {f.status for f in db.session.scalars(select(Finding))} == {"proposed"}
    r = client.post(
        f"/assessments/{a.id}/findings/bulk",
        {"ids": ids[:2], "action": "dismiss", "reason": "Compensated by the contract."},
    )
    assert r.status_code == 200 and {f["status"] for f in r.get_json()["items"]} == {"closed"}
    owner = make.user("risk")
    r = client.post(
        f"/assessments/{a.id}/findings/bulk",
        {"ids": ids[2:3], "action": "assign", "owner_id": owner.id},
    )
    assert r.status_code == 200 and r.get_json()["items"][0]["owner_id"] == owner.id
    r = client.post(f"/assessments/{a.id}/findings/bulk", {"ids": [2**31 - 1], "action": "open"})
    assert r.status_code == 404
    r = client.post(f"/assessments/{a.id}/findings/bulk", {"ids": [2**31], "action": "open"})
    assert r.status_code == 400
    r = client.post(f"/assessments/{a.id}/review", {"decision": "complete", "proposed": "open"})
    assert r.status_code == 200 and r.get_json()["status"] == "completed"
    statuses = [f.status for f in db.session.scalars(select(Finding).order_by(Finding.id))]
    assert "proposed" not in statuses and statuses.count("closed") == 2


def test_bulk_dismiss_on_the_review_page_needs_a_reason(client, make, login_as, library_walk):
    a, _ = library_walk
    proposed = review.start_review(make.user("risk"), a)
    login_as("risk")
    data = {"fb-action": "dismiss", "ids": [str(f.id) for f in proposed[:2]]}
    r = client.post(f"/review/assessments/{a.id}/findings/bulk", data=data, follow_redirects=True)
    assert "Say why the findings are dismissed" in r.get_data(as_text=True)
    data["fb-reason"] = "Covered elsewhere."
    client.post(f"/review/assessments/{a.id}/findings/bulk", data=data)
    db.session.expire_all()
    assert [db.session.get(Finding, f.id).status for f in proposed[:2]] == ["closed", "closed"]
    assert db.session.get(Finding, proposed[0].id).closing_reason == "Covered elsewhere."


def test_findings_counts_agree_on_dashboard_register_overview_and_api(
    client, make, api, login_as, library_walk, strict
):
    a, _ = library_walk
    risk = make.user("risk")
    proposed = review.start_review(risk, a)
    findings.bulk_update(risk, a, [f.id for f in proposed[:3]], "open")
    counts = finding_counts(vendor_id=a.vendor_id)
    assert counts["open"] == 3 and counts["proposed"] == len(proposed) - 3
    assert portfolio.summary(date.today())["findings"]["open"] == 3
    [row] = [r for r in portfolio.vendor_register() if r["vendor_id"] == a.vendor_id]
    assert row["open_findings"] == 3
    login_as("risk")
    page = client.get(f"/vendors/{a.vendor_id}/overview").get_data(as_text=True)
    assert '<div class="n" id="open-findings-count">3</div>' in page
    assert api(risk).get("/portfolio/summary").get_json()["findings"]["open"] == 3
    with pytest.raises(IllegalTransition):
        review.complete_review(risk, a)
    with pytest.raises(InvalidValues):
        review.complete_review(risk, a, proposed="dismiss")
    assert db.session.scalar(select(func.count()).select_from(EvidenceLink)) == 1
