"""The vendor portal without JavaScript: saving, carried-forward answers, threads, conflicts,
invitations, evidence and the certificate library."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import func, select

from tests.conftest import PASSWORD, login
from tests.helpers import PDF, PNG, answer_all, docx_bytes
from vendorassure.extensions import db
from vendorassure.models import Answer, Comment, Evidence, Invitation
from vendorassure.models._base import utcnow
from vendorassure.queries.evidence import assessment_evidence
from vendorassure.services import assessments, comments, evidence
from vendorassure.services import vendors as vendor_service

LITE = "iso42001-ai-vendor-lite"


def _cert_meta(**over):
    meta = {
        "ev-kind": "iso42001_certificate",
        "ev-standard": "ISO/IEC 42001",
        "ev-edition": "2023",
        "ev-certification_body": "Example Cert Ltd",
        "ev-accreditation_body": "UKAS",
        "ev-certificate_number": "AIMS-1",
        "ev-scope": "Support chatbot",
        "ev-issued_on": "2025-03-01",
        "ev-expires_on": (date.today() + timedelta(days=700)).isoformat(),
    }
    meta.update(over)
    return meta


@pytest.fixture(autouse=True)
def _own_evidence_dir(app, tmp_path):
    """A fresh evidence folder per test, so 'nothing stored on disk' can be checked exactly."""
    before = app.config["EVIDENCE_DIR"]
    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    yield
    app.config["EVIDENCE_DIR"] = before


def _files(app) -> list[Path]:
    root = Path(app.config["EVIDENCE_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _evidence_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Evidence))


def _completed(make, vendor, contact):
    """A completed assessment of the vendor, as a base for carrying answers forward."""
    first = make.assessment(vendor, LITE)
    answer_all(contact, first)
    assessments.submit_assessment(contact, first)
    assessments.review_assessment(make.user("risk"), first, "complete")
    return first


# --- the form without JavaScript -------------------------------------------------------------


def test_save_button_saves_answers_without_javascript(app, make, client):
    vendor = make.vendor()
    a = make.assessment(vendor, LITE)
    user = make.user("vendor", vendor=vendor)
    login(client, user)
    q = a.questionnaire.questions[0]
    r = client.post(
        f"/portal/assessments/{a.id}",
        data={
            f"present__{q.key}": "1",
            f"q__{q.key}": q.options[0]["value"],
            f"lock__{q.key}": "0",
        },
    )
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Saved 1 answer(s)." in page
    assert assessments.answer_map(a)[q.key].value == q.options[0]["value"]


def test_form_shows_due_date_days_left_sections_help_and_missing_links(app, make, client):
    vendor = make.vendor()
    a = make.assessment(vendor, LITE)
    login(client, make.user("vendor", vendor=vendor))
    page = client.get(f"/portal/assessments/{a.id}").get_data(as_text=True)
    assert "days left" in page and 'role="progressbar"' in page
    assert 'class="toc card"' in page and 'data-section="certifications"' in page
    first = a.questionnaire.questions[0]
    assert first.help[:40] in page
    url = f"/portal/assessments/{a.id}?s={first.section}#q-{first.key}"
    assert f'id="next-missing" href="{url}"' in page  # the sticky summary links on
    review = client.get(f"/portal/assessments/{a.id}?s=review").get_data(as_text=True)
    assert f'href="{url}" data-key="{first.key}"' in review  # the missing list links


def _first_section_with_follow_up(questionnaire):
    keys = {q.key: q for q in questionnaire.questions}
    child = next(
        q
        for q in questionnaire.questions
        if q.show_if and keys[q.show_if[0]["question"]].section == q.section
    )
    return keys[child.show_if[0]["question"]], child


def test_one_page_per_section_with_stable_numbers_and_the_required_range(app, make, client):
    from vendorassure.catalog.numbering import display_numbers, required_range

    vendor = make.vendor()
    a = make.assessment(vendor, "iso42001-ai-vendor")
    login(client, make.user("vendor", vendor=vendor))
    qs = a.questionnaire.questions
    sections = list(dict.fromkeys(q.section for q in qs))
    low, high = required_range(qs)
    first = client.get(f"/portal/assessments/{a.id}").get_data(as_text=True)
    assert f"at least {low}, up to {high} depending on your answers" in first
    assert "Section 1 of" in first and 'id="prev-section"' not in first
    assert f'name="goto" value="{sections[1]}"' in first
    on_page = [q.key for q in qs if q.section == sections[0]]
    assert all(f'id="q-{k}"' in first for k in on_page)
    assert not any(f'id="q-{q.key}"' in first for q in qs if q.section != sections[0])
    assert len(first) < 120_000  # the whole questionnaire was 270 KB on one page
    parent, child = _first_section_with_follow_up(a.questionnaire)
    numbers = display_numbers(qs)
    assert numbers[child.key].startswith(numbers[parent.key] + ".")
    page = client.get(f"/portal/assessments/{a.id}?s={child.section}").get_data(as_text=True)
    assert f'<span class="q-number">{numbers[child.key]}.</span>' in page
    last = client.get(f"/portal/assessments/{a.id}?s={sections[-1]}").get_data(as_text=True)
    assert 'name="goto" value="review"' in last and 'id="prev-section"' in last
    assert client.get(f"/portal/assessments/{a.id}?s=nope").status_code == 404


def test_next_saves_the_page_and_opens_the_next_section_without_javascript(app, make, client):
    vendor = make.vendor()
    a = make.assessment(vendor, LITE)
    login(client, make.user("vendor", vendor=vendor))
    q = a.questionnaire.questions[0]
    nxt = next(x.section for x in a.questionnaire.questions if x.section != q.section)
    r = client.post(
        f"/portal/assessments/{a.id}?s={q.section}",
        data={
            f"present__{q.key}": "1",
            f"q__{q.key}": q.options[0]["value"],
            f"lock__{q.key}": "0",
            "goto": nxt,
        },
    )
    assert r.status_code == 302 and r.headers["Location"].endswith(f"?s={nxt}")
    assert assessments.answer_map(a)[q.key].value == q.options[0]["value"]
    r = client.post(f"/portal/assessments/{a.id}?s={nxt}", data={"goto": q.section})
    assert r.headers["Location"].endswith(f"?s={q.section}")
    assert "Nothing changed" not in client.get(r.headers["Location"]).get_data(as_text=True)


def test_na_needs_a_reason_and_wrong_types_store_nothing(app, make, client):
    vendor = make.vendor()
    a = make.assessment(vendor, "iso42001-ai-vendor")
    login(client, make.user("vendor", vendor=vendor))
    na_q = next(q for q in a.questionnaire.questions if q.allows_na)
    num_q = next((q for q in a.questionnaire.questions if q.type == "number"), None)
    r = client.post(
        f"/portal/assessments/{a.id}/answers/{na_q.key}", json={"na": True, "na_reason": " "}
    )
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["message"]
    opt_q = next(q for q in a.questionnaire.questions if q.type == "single_choice")
    for payload in ({"value": "not-an-option"}, {"value": 12}, {"value": ["a"]}):
        r = client.post(f"/portal/assessments/{a.id}/answers/{opt_q.key}", json=payload)
        assert r.status_code == 422, payload
    if num_q is not None:
        r = client.post(
            f"/portal/assessments/{a.id}",
            data={f"present__{num_q.key}": "1", f"q__{num_q.key}": "twelve"},
        )
        assert r.status_code == 422 and "Enter a number" in r.get_data(as_text=True)
    r = client.post(f"/portal/assessments/{a.id}/answers/{opt_q.key}", data="nonsense")
    assert r.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
    r = client.post(
        f"/portal/assessments/{a.id}",
        data={f"present__{na_q.key}": "1", f"na__{na_q.key}": "1", f"na_reason__{na_q.key}": ""},
    )
    assert r.status_code == 422 and "N/A needs a reason" in r.get_data(as_text=True)
    assert 'id="error-summary"' in r.get_data(as_text=True)
    r = client.post(
        f"/portal/assessments/{a.id}",
        data={
            f"present__{na_q.key}": "1",
            f"na__{na_q.key}": "1",
            f"na_reason__{na_q.key}": "We do not train models.",
        },
    )
    assert r.status_code == 302
    assert assessments.answer_map(a)[na_q.key].na_reason == "We do not train models."


def test_stale_save_without_javascript_shows_both_versions(app, make, client):
    vendor = make.vendor()
    a = make.assessment(vendor, LITE)
    dana, lee = make.user("vendor", vendor=vendor), make.user("vendor", vendor=vendor)
    q = a.questionnaire.questions[0]
    first, second = q.options[0]["value"], q.options[-1]["value"]
    assessments.save_answer(lee, a, q.key, second)
    login(client, dana)
    r = client.post(
        f"/portal/assessments/{a.id}",
        data={f"present__{q.key}": "1", f"q__{q.key}": first, f"lock__{q.key}": "0"},
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 422
    assert assessments.answer_map(a)[q.key].value == second  # nothing silently overwritten
    labels = {o["value"]: o["label"] for o in q.options}
    assert f"{lee.email} changed this answer after you opened the page" in page
    assert f'<code class="theirs">{labels[second]}</code>' in page
    assert f'<code class="mine">{labels[first]}</code>' in page
    assert f'name="lock__{q.key}" value="1"' in page
    # Saving again (the form now carries the stored lock_version) keeps the vendor's version.
    r = client.post(
        f"/portal/assessments/{a.id}",
        data={f"present__{q.key}": "1", f"q__{q.key}": first, f"lock__{q.key}": "1"},
    )
    assert r.status_code == 302
    assert assessments.answer_map(a)[q.key].value == first


# --- carry forward ---------------------------------------------------------------------------


def test_carry_forward_prefills_and_blocks_submit_until_confirmed(app, make, client):
    vendor = make.vendor()
    contact = make.user("vendor", vendor=vendor)
    first = _completed(make, vendor, contact)
    old = assessments.answer_map(first)
    second = make.assessment(vendor, LITE)
    carried = assessments.answer_map(second)
    assert carried and set(carried) == set(old)
    assert all(a.carried_forward for a in carried.values())
    assert assessments.progress(second)["answered_required"] == 0
    assert assessments.progress(second)["unconfirmed"] == len(carried)
    login(client, contact)
    page = client.get(f"/portal/assessments/{second.id}").get_data(as_text=True)
    assert "carried forward — please confirm" in page and 'id="confirm-all"' in page
    r = client.post(f"/portal/assessments/{second.id}/submit")
    assert r.status_code == 422 and "your answer or confirmation" in r.get_data(as_text=True)

    # Touching one (saving it) confirms it; a per-question button confirms another as it is.
    keys = list(carried)
    q0 = next(q for q in second.questionnaire.questions if q.key == keys[0])
    assessments.save_answer(contact, second, q0.key, carried[q0.key].value)
    r = client.post(
        f"/portal/assessments/{second.id}",
        data={"confirm_key": keys[1]},
    )
    assert r.status_code == 302
    now = assessments.answer_map(second)
    assert not now[keys[0]].carried_forward and not now[keys[1]].carried_forward
    assert now[keys[2]].carried_forward

    r = client.post(f"/portal/assessments/{second.id}/confirm")
    assert r.status_code == 302
    assert not any(a.carried_forward for a in assessments.answer_map(second).values())
    r = client.post(f"/portal/assessments/{second.id}/submit")
    assert r.status_code == 302
    db.session.refresh(second)
    assert second.status == "submitted"


def test_carry_forward_only_from_the_vendors_own_answers(app, make):
    vendor = make.vendor()
    contact = make.user("vendor", vendor=vendor)
    _completed(make, vendor, contact)
    other_vendor = make.vendor()
    assert assessments.answer_map(make.assessment(other_vendor, LITE)) == {}
    assert assessments.answer_map(make.assessment(other_vendor, "iso42001-ai-vendor")) == {}


# --- answers reused from another questionnaire -----------------------------------------------


def test_lite_answers_are_suggested_into_the_full_questionnaire_and_count_once_confirmed(
    app, make, client
):
    vendor = make.vendor()
    contact = make.user("vendor", vendor=vendor)
    lite = _completed(make, vendor, contact)
    old = assessments.answer_map(lite)
    full = make.assessment(vendor, "iso42001-ai-vendor")
    suggested = assessments.answer_map(full)
    assert set(suggested) == set(old)  # the 30 lite questions, each under its own key
    for key, answer in suggested.items():
        assert answer.carried_forward and answer.value == old[key].value
        assert answer.reused_from["assessment"] == lite.id
        assert answer.reused_from["question"] == key
        assert answer.reused_from["text"] == old[key].question.text
    progress = assessments.progress(full)
    assert progress["unconfirmed"] == len(suggested) and progress["answered_required"] == 0
    events = [e.action for e in audit_events(full)]
    assert "assessment.answers_reused" in events

    login(client, contact)
    page = client.get(f"/portal/assessments/{full.id}").get_data(as_text=True)
    assert "suggested from another questionnaire — please confirm" in page
    assert f"your answer to the same question in {lite.questionnaire.title}" in page

    # Confirming keeps where the answer came from; changing it makes it the vendor's own.
    assessments.confirm_carried_forward(contact, full, ["ai_accountable_owner"])
    assert suggested["ai_policy"].value == "yes"
    assessments.save_answer(contact, full, "ai_policy", "partial")
    now = assessments.answer_map(full)
    kept, changed = now["ai_accountable_owner"], now["ai_policy"]
    assert not kept.carried_forward and kept.reused_from["question"] == "ai_accountable_owner"
    assert not changed.carried_forward and changed.reused_from is None
    assert assessments.progress(full)["unconfirmed"] == len(suggested) - 2


def audit_events(assessment):
    from vendorassure.models import AuditEvent

    return db.session.scalars(
        select(AuditEvent).filter_by(assessment_id=assessment.id).order_by(AuditEvent.id)
    ).all()


def test_reuse_never_reads_another_vendors_answers_nor_an_unsubmitted_draft(app, make):
    vendor, rival = make.vendor(), make.vendor()
    rival_contact = make.user("vendor", vendor=rival)
    _completed(make, rival, rival_contact)
    assert assessments.answer_map(make.assessment(vendor, "iso42001-ai-vendor")) == {}

    contact = make.user("vendor", vendor=vendor)
    draft = make.assessment(vendor, LITE)
    answer_all(contact, draft)  # answered but never submitted
    assert assessments.answer_map(make.assessment(vendor, "iso42001-ai-vendor")) == {}


# --- clarification threads -------------------------------------------------------------------


def test_thread_per_question_hides_internal_notes_from_the_vendor(app, make, client):
    vendor = make.vendor()
    a = make.assessment(vendor, LITE)
    contact = make.user("vendor", vendor=vendor)
    risk = make.user("risk")
    q = a.questionnaire.questions[0]
    comments.add_comment(risk, a, q.key, "Which certification body issued it?")
    comments.add_comment(risk, a, q.key, "INTERNAL: vendor looked shaky", internal=True)
    login(client, contact)
    page = client.get(f"/portal/assessments/{a.id}").get_data(as_text=True)
    assert "Which certification body issued it?" in page
    assert "INTERNAL" not in page
    r = client.post(
        f"/portal/assessments/{a.id}",
        data={"post_comment": q.key, f"thread__{q.key}": "BSI, certificate attached."},
    )
    assert r.status_code == 302
    r = client.post(
        f"/portal/assessments/{a.id}/comments", json={"question_key": q.key, "body": "More."}
    )
    assert r.status_code == 201
    bodies = [c.body for c in comments.list_comments(contact, a, q.key)]
    assert bodies == ["Which certification body issued it?", "BSI, certificate attached.", "More."]
    # A message typed but saved with the main button is sent too (nothing typed is dropped).
    client.post(f"/portal/assessments/{a.id}", data={f"thread__{q.key}": "And the SoA."})
    assert comments.list_comments(contact, a, q.key)[-1].body == "And the SoA."
    with pytest.raises(Exception, match="internal"):
        comments.add_comment(contact, a, q.key, "x", internal=True)
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 5


# --- invitations -----------------------------------------------------------------------------


def _link(app, to: str | None = None) -> str:
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    mails = [p for p in outbox.glob("*.eml") if to is None or f"To: {to}" in p.read_text()]
    newest = max(mails, key=lambda p: p.stat().st_mtime_ns)
    return "/invite/" + newest.read_text().split("/invite/")[1].split()[0]


def test_invitation_is_single_use_resend_revokes_old_link_and_revoke_works(app, make, client):
    buyer = make.user("procurement")
    vendor = make.vendor(actor=buyer)
    make.assessment(vendor, LITE, actor=buyer)
    dana, _ = vendor_service.add_contact(buyer, vendor, "dana@vendor.example", "Dana")
    first_link = _link(app)
    vendor_service.add_contact(buyer, vendor, "lee@vendor.example", "Lee")  # several contacts
    assert {c.email for c in vendor.contacts} == {"dana@vendor.example", "lee@vendor.example"}

    login(client, buyer)
    page = client.get(f"/procurement/vendors/{vendor.id}").get_data(as_text=True)
    assert "Resend invitation" in page and "dana@vendor.example" in page
    r = client.post(f"/procurement/vendors/{vendor.id}/contacts/{dana.id}/resend")
    assert r.status_code == 302
    second_link = _link(app)
    assert second_link != first_link
    anon = app.test_client()
    r = anon.get(first_link)
    assert r.status_code == 410 and "withdrawn" in r.get_data(as_text=True)
    r = anon.post(second_link, data={"name": "Dana", "password": PASSWORD, "confirm": PASSWORD})
    assert r.status_code == 302
    r = app.test_client().get(second_link)
    assert r.status_code == 410 and "already been used" in r.get_data(as_text=True)

    lee = next(c for c in vendor.contacts if c.email == "lee@vendor.example")
    lee_link = _link(app, "lee@vendor.example")
    g.pop("_login_user", None)  # the test's app context (and g) is shared by both clients
    r = client.post(f"/procurement/vendors/{vendor.id}/contacts/{lee.id}/revoke")
    assert r.status_code == 302, r.get_data(as_text=True)
    r = app.test_client().get(lee_link)
    assert r.status_code == 410 and "withdrawn" in r.get_data(as_text=True)
    page = client.get(f"/procurement/vendors/{vendor.id}").get_data(as_text=True)
    assert "invitation revoked" in page


def test_invitation_expires_after_the_configured_days(app, make):
    buyer = make.user("procurement")
    vendor = make.vendor(actor=buyer)
    app.config["INVITATION_TTL_DAYS"] = 3
    try:
        user, _ = vendor_service.add_contact(buyer, vendor, "kim@vendor.example")
    finally:
        app.config["INVITATION_TTL_DAYS"] = 14
    inv = db.session.scalar(select(Invitation).filter_by(user_id=user.id))
    assert timedelta(days=2, hours=23) < inv.expires_at - utcnow() <= timedelta(days=3)
    link = _link(app)
    inv.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    r = app.test_client().get(link)
    assert r.status_code == 410 and "expired" in r.get_data(as_text=True)


# --- evidence --------------------------------------------------------------------------------


@pytest.fixture
def vendor_form(make, client):
    vendor = make.vendor()
    a = make.assessment(vendor, LITE)
    user = make.user("vendor", vendor=vendor)
    login(client, user)
    return a, user


def _upload(client, a, data, name, **meta):
    fields = _cert_meta(**meta)
    fields["ev-file"] = (io.BytesIO(data), name)
    return client.post(
        f"/portal/assessments/{a.id}/evidence", data=fields, content_type="multipart/form-data"
    )


BAD_UPLOADS = [
    (b"", "empty.pdf", "empty"),
    (b"MZ\x90\x00\x03" + b"\x00" * 60, "certificate.pdf", "none of those"),
    (b"#!/bin/sh\nrm -rf /\n", "cert.png", "none of those"),
    (PDF, "../../etc/passwd.pdf", "path separators"),
    (PDF, "cert\x07.pdf", "control characters"),
    (PDF, "ü" * 150 + ".pdf", "longer than 200"),
]


@pytest.mark.parametrize("data,name,message", BAD_UPLOADS)
def test_bad_files_get_a_clear_message_and_store_nothing(
    app, vendor_form, client, data, name, message
):
    a, _ = vendor_form
    r = _upload(client, a, data, name)
    assert r.status_code in (400, 413, 415, 422)
    assert message in r.get_data(as_text=True)
    assert _evidence_count() == 0 and _files(app) == []


@pytest.mark.parametrize(
    "meta,message",
    [
        ({"ev-expires_on": "2024-01-01"}, "Must be after the issue date"),
        ({"ev-issued_on": "2025-02-30"}, "Not a valid date"),
        (
            {"ev-issued_on": (date.today() + timedelta(days=5)).isoformat()},
            "Cannot be in the future",
        ),
        ({"ev-not_accredited": "y"}, "not both"),
        ({"ev-expires_on": ""}, "expiry date"),
    ],
)
def test_bad_certificate_details_store_nothing(app, vendor_form, client, meta, message):
    a, _ = vendor_form
    r = _upload(client, a, PDF, "cert.pdf", **meta)
    assert r.status_code in (400, 422)
    assert message in r.get_data(as_text=True)
    assert _evidence_count() == 0 and _files(app) == []


def test_oversize_upload_is_refused_and_stores_nothing(app, vendor_form, client):
    a, user = vendor_form
    app.config["MAX_UPLOAD_MB"] = 1
    try:
        r = _upload(client, a, PDF + b"0" * (1024 * 1024), "big.pdf")
        with pytest.raises(Exception, match="larger than 1 MB"):
            evidence.upload_evidence(user, a, "big.pdf", PDF + b"0" * (1024 * 1024), "policy")
    finally:
        app.config["MAX_UPLOAD_MB"] = 25
    assert r.status_code == 413 and "larger than 1 MB" in r.get_data(as_text=True)
    assert _evidence_count() == 0 and _files(app) == []


def test_upload_with_full_metadata_duplicate_replace_and_delete(app, vendor_form, client):
    a, user = vendor_form
    q = next(q for q in a.questionnaire.questions if q.evidence_kinds)
    r = _upload(client, a, PDF, "cert.pdf", **{"ev-question_key": q.key})
    assert r.status_code == 302
    ev = db.session.scalar(select(Evidence))
    assert (ev.standard, ev.edition, ev.accreditation_body, ev.not_accredited) == (
        "ISO/IEC 42001",
        "2023",
        "UKAS",
        False,
    )
    assert ev.question.key == q.key and ev.sha256 and ev.size == len(PDF)
    stored = _files(app)
    assert len(stored) == 1 and stored[0].name == ev.storage_key  # random name, not the upload's
    assert "static" not in str(stored[0])
    page = client.get(f"/portal/assessments/{a.id}?s=review").get_data(as_text=True)
    assert "ISO/IEC 42001:2023" in page and "accredited by UKAS" in page

    r = _upload(client, a, PDF, "again.pdf")
    assert r.status_code == 409 and "already attached" in r.get_data(as_text=True)

    r = client.post(
        f"/portal/evidence/{ev.id}/replace",
        data={"rep-file": (io.BytesIO(docx_bytes()), "cert-v2.docx")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    db.session.refresh(ev)
    assert ev.original_name == "cert-v2.docx" and ev.standard == "ISO/IEC 42001"
    assert [p.name for p in _files(app)] == [ev.storage_key]
    r = client.post(
        f"/portal/evidence/{ev.id}/replace",
        data={"rep-file": (io.BytesIO(b"MZ" + b"\x00" * 10), "x.pdf")},
        content_type="multipart/form-data",
    )
    db.session.refresh(ev)
    assert ev.original_name == "cert-v2.docx" and len(_files(app)) == 1

    download = client.get(f"/portal/evidence/{ev.id}/download")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment")

    r = client.post(f"/portal/evidence/{ev.id}/delete")
    assert r.status_code == 302 and _evidence_count() == 0 and _files(app) == []


def test_expired_and_soon_expiring_certificates_are_warned_about(app, vendor_form, client):
    a, _ = vendor_form
    r = _upload(
        client, a, PDF, "old.pdf", **{"ev-issued_on": "2020-01-01", "ev-expires_on": "2023-01-01"}
    )
    assert r.status_code == 302
    soon = (date.today() + timedelta(days=20)).isoformat()
    r = _upload(client, a, PNG, "soon.png", **{"ev-expires_on": soon})
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "expires in 20 days" in page
    page = client.get(f"/portal/assessments/{a.id}?s=review").get_data(as_text=True)
    assert "expired on 2023-01-01" in page


def test_certificate_library_is_reused_across_assessments(app, make, client):
    vendor = make.vendor()
    first = make.assessment(vendor, LITE)
    user = make.user("vendor", vendor=vendor)
    login(client, user)
    r = _upload(client, first, PDF, "cert.pdf", **{"ev-to_library": "y"})
    assert r.status_code == 302
    lib = evidence.library(vendor.id)
    assert len(lib) == 1 and lib[0].assessment_id is None
    page = client.get("/portal/library").get_data(as_text=True)
    assert "cert.pdf" in page

    # The library form asks ISO certificates for the edition and the accreditation.
    fields = {k.replace("ev-", "libup-"): v for k, v in _cert_meta().items()}
    fields.update({"libup-edition": "", "libup-accreditation_body": ""})
    fields["libup-file"] = (io.BytesIO(PNG), "scan.png")
    r = client.post("/portal/library", data=fields, content_type="multipart/form-data")
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert "edition" in body and "not accredited" in body
    assert len(evidence.library(vendor.id)) == 1

    second = make.assessment(vendor, "iso42001-ai-vendor")
    q = next(q for q in second.questionnaire.questions if q.evidence_kinds)
    r = client.post(
        f"/portal/assessments/{second.id}/evidence/from-library",
        data={"lib-evidence_id": str(lib[0].id), "lib-question_key": q.key},
    )
    assert r.status_code == 302
    # One record: the second assessment links to the library document, for that question.
    [(attached, question_id)] = assessment_evidence(second, include_library=False)
    assert attached.id == lib[0].id and question_id == q.id
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == 1
    page = client.get(f"/portal/assessments/{second.id}?s=review").get_data(as_text=True)
    assert "from your library" in page and "Remove from this assessment" in page
    # Removing it from the assessment keeps the library document.
    r = client.post(f"/portal/assessments/{second.id}/evidence/{attached.id}/detach")
    assert r.status_code == 302
    assert assessment_evidence(second, include_library=False) == []
    assert len(evidence.library(vendor.id)) == 1


def test_evidence_cannot_change_after_submit(app, make, client):
    vendor = make.vendor()
    a = make.assessment(vendor, LITE)
    user = make.user("vendor", vendor=vendor)
    ev = evidence.upload_evidence(user, a, "p.pdf", PDF, "policy")
    answer_all(user, a)
    assessments.submit_assessment(user, a)
    login(client, user)
    r = client.post(f"/portal/evidence/{ev.id}/delete")
    follow = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "only be removed while the assessment is open" in follow
    assert _evidence_count() == 1


def test_vendor_portal_links_library_from_index(app, make, client):
    vendor = make.vendor()
    make.assessment(vendor, LITE)
    login(client, make.user("vendor", vendor=vendor))
    page = client.get("/portal/").get_data(as_text=True)
    assert re.search(r'href="/portal/library"', page)


# --- form details ----------------------------------------------------------------------------


def test_evidence_kind_has_no_default_and_a_policy_needs_no_certificate_dates(
    app, vendor_form, client
):
    a, _ = vendor_form
    page = client.get(f"/portal/assessments/{a.id}?s=review").get_data(as_text=True)
    kind_select = page.split('id="ev-kind"')[1].split("</select>")[0]
    assert kind_select.split("<option")[1] == ' value="">Choose what the document is…</option>'
    assert "selected" not in kind_select
    r = client.post(
        f"/portal/assessments/{a.id}/evidence",
        data={"ev-file": (io.BytesIO(PDF), "policy.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert 'id="ev-kind-err">Say what the document is.' in r.get_data(as_text=True)
    r = client.post(
        f"/portal/assessments/{a.id}/evidence",
        data={"ev-kind": "policy", "ev-file": (io.BytesIO(PDF), "policy.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 302 and _evidence_count() == 1


def test_refused_upload_keeps_the_other_fields_and_puts_each_error_beside_its_field(
    app, vendor_form, client
):
    a, _ = vendor_form
    r = _upload(
        client, a, PDF, "cert.pdf", **{"ev-expires_on": "2024-01-01", "ev-not_accredited": "y"}
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and _evidence_count() == 0
    assert 'id="ev-expires_on-err">Must be after the issue date.' in page
    assert 'id="ev-accreditation_body-err">Name the accreditation body' in page
    assert 'id="ev-file-err">Choose the file again' in page
    assert 'value="AIMS-1"' in page and 'value="Example Cert Ltd"' in page  # kept
    assert 'aria-describedby="ev-expires_on-err"' in page
    assert 'id="evidence-error-summary"' in page and 'href="#ev-expires_on"' in page


def test_refused_upload_answers_the_forms_script_with_field_errors(app, vendor_form, client):
    a, _ = vendor_form

    def send(**meta):
        fields = _cert_meta(**meta)
        fields["ev-file"] = (io.BytesIO(PDF), "cert.pdf")
        return client.post(
            f"/portal/assessments/{a.id}/evidence",
            data=fields,
            content_type="multipart/form-data",
            headers={"Accept": "application/json"},
        )

    r = send(**{"ev-expires_on": "2024-01-01"})
    assert r.status_code == 422 and _evidence_count() == 0 and _files(app) == []
    assert r.get_json()["error"]["fields"] == {"expires_on": "Must be after the issue date."}
    r = send()
    assert r.status_code == 201 and r.get_json()["redirect"].endswith("#evidence")
    assert _evidence_count() == 1


def test_a_website_typed_without_a_scheme_gets_https(app, make, client):
    from vendorassure.models import Vendor
    from vendorassure.services import library

    login(client, make.user("procurement"))
    data = {"name": "Schemeless AI", "website": "schemeless.example", "services": ""}
    for q in library.intake_definition()["questions"]:
        data[f"intake__{q['key']}"] = q["options"][0]["value"]
    r = client.post("/procurement/vendors/new", data=data)
    assert r.status_code == 302
    vendor = db.session.scalar(select(Vendor).filter_by(name="Schemeless AI"))
    assert vendor.website == "https://schemeless.example"
