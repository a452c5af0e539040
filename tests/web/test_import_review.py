"""Foreign questionnaire import: the admin mapping review, publishing, and issuing refused."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from vendorassure.models import ImportQuestion, Questionnaire, QuestionnaireImport
from vendorassure.services import imports

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "foreign"
CSV = (FIXTURE / "ai-security-questionnaire.csv").read_bytes()


def _upload(client, **form):
    data = {"file": (io.BytesIO(CSV), "ai-security.csv"), "key": "ai-security", **form}
    return client.post("/admin/library/upload", data=data, content_type="multipart/form-data")


def _draft(db) -> QuestionnaireImport:
    return db.session.scalar(select(QuestionnaireImport).order_by(QuestionnaireImport.id.desc()))


def test_upload_suggests_controls_and_publishes_only_after_review(client, login_as, db):
    login_as("admin")
    r = _upload(client, map="suggest")
    assert r.status_code == 302 and "/admin/imports/" in r.headers["Location"]
    draft = _draft(db)
    assert draft.status == "review" and len(draft.questions) == 322
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Questionnaire)
            .where(Questionnaire.key == "ai-security")
        )
        == 0
    )

    page = client.get(f"/admin/imports/{draft.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "322 questions" in html and 'id="q-aig_01_1"' in html
    assert re.search(r'value="A\.2\.2" checked', html)  # the suggestion is pre-selected

    # publishing is refused while suggestions wait for a decision
    client.post(f"/admin/imports/{draft.id}/publish", data={})
    assert _draft(db).status == "review"

    # change one, drop one, accept the rest above 0.6
    r = client.post(
        f"/admin/imports/{draft.id}/questions/aig_01_1",
        data={"controls": ["A.2.2"], "other": "A.2.4", "save": "1"},
    )
    assert r.status_code == 302
    client.post(f"/admin/imports/{draft.id}/questions/aig_01_2", data={"drop": "1"})
    bad = client.post(
        f"/admin/imports/{draft.id}/questions/aig_01_3", data={"other": "A.99.9", "save": "1"}
    )
    assert bad.status_code == 302
    q3 = db.session.scalar(select(ImportQuestion).filter_by(import_id=draft.id, key="aig_01_3"))
    assert q3.decision == "pending"  # an unknown ref changes nothing
    client.post(f"/admin/imports/{draft.id}/accept", data={"threshold": "0.6"})
    counts = imports.decision_counts(_draft(db))
    assert counts["changed"] == 1 and counts["dropped"] == 1 and counts["accepted"] > 150

    r = client.post(f"/admin/imports/{draft.id}/publish", data={"leave_rest_unmapped": "y"})
    assert r.status_code == 302 and "/coverage" in r.headers["Location"]
    qn = db.session.scalar(select(Questionnaire).filter_by(key="ai-security"))
    by_key = {q.key: q for q in qn.questions}
    assert len(by_key) == 322
    assert [(c.control.ref, c.weight) for c in by_key["aig_01_1"].control_links] == [
        ("A.2.2", 1.0),
        ("A.2.4", 0.5),
    ]
    assert by_key["aig_01_2"].control_links == []
    assert by_key["aig_01_1"].allows_na and by_key["aig_01_1"].help.startswith("Provide the policy")
    assert _draft(db).status == "published"

    coverage = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'id="unmapped-scored"' in coverage and "aig_01_2" in coverage


def test_issuing_a_questionnaire_with_unmapped_scored_questions_is_refused_unless_forced(
    client, login_as, make, db
):
    admin = make.user("admin")
    outcome = imports.import_file(admin, CSV, "ai.csv", key="ai-security", map_mode="accept-above")
    assert outcome.questionnaire is not None
    vendor = make.vendor()
    login_as("procurement")
    due = (date.today() + timedelta(days=20)).isoformat()
    form = {"issue-questionnaire": "ai-security", "issue-due_date": due}
    r = client.post(
        f"/procurement/vendors/{vendor.id}/assessments", data=form, follow_redirects=True
    )
    html = r.get_data(as_text=True)
    assert "are not mapped to any Annex A control" in html
    assert _assessments(db, vendor) == 0
    r = client.post(
        f"/procurement/vendors/{vendor.id}/assessments",
        data={**form, "issue-force": "y"},
        follow_redirects=True,
    )
    assert "issued" in r.get_data(as_text=True)
    assert _assessments(db, vendor) == 1


def _assessments(db, vendor) -> int:
    from vendorassure.models import Assessment

    return db.session.scalar(
        select(func.count()).select_from(Assessment).where(Assessment.vendor_id == vendor.id)
    )


def test_shipped_questionnaires_have_no_unmapped_scored_question(db):
    from vendorassure.services.library import latest_questionnaire, unmapped_scored_questions

    for key in ("iso42001-ai-vendor", "iso42001-ai-vendor-lite"):
        assert unmapped_scored_questions(latest_questionnaire(key)) == []


def test_an_imported_questionnaire_is_prefilled_from_the_vendors_answers_to_ours(client, make, db):
    from tests.conftest import login
    from tests.helpers import answer_all, portal_pages
    from vendorassure.services import assessments

    admin = make.user("admin")
    imports.import_file(admin, CSV, "ai.csv", key="ai-security", map_mode="accept-above")
    vendor = make.vendor()
    contact = make.user("vendor", vendor=vendor)
    ours = make.assessment(vendor, "iso42001-ai-vendor")
    answer_all(contact, ours)
    assessments.submit_assessment(contact, ours)

    theirs = assessments.issue_assessment(
        make.user("procurement"), vendor, "ai-security", date.today() + timedelta(days=20),
        force=True,
    )  # fmt: skip
    suggested = assessments.answer_map(theirs)
    assert len(suggested) >= 8
    assert suggested["sta_04_2"].reused_from["question"] == "ip_indemnity"
    # our best option ("outputs and training data") is the top of their Yes / Partial / No scale
    assert assessments.answer_map(ours)["ip_indemnity"].value == "outputs_and_training"
    assert suggested["sta_04_2"].value == "yes"
    assert all(a.carried_forward for a in suggested.values())
    assert assessments.progress(theirs)["unconfirmed"] == len(suggested)

    login(client, contact)
    page = portal_pages(client, theirs)
    assert page.count("suggested from another questionnaire — please confirm") == len(suggested)
    # their wording differs from ours, so the page quotes the question the answer came from
    assert "suggested from your answer to “Do you indemnify customers" in page
    r = client.post(f"/portal/assessments/{theirs.id}/confirm")
    assert r.status_code == 302
    assert assessments.progress(theirs)["unconfirmed"] == 0
