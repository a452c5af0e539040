"""The vendor portal in headless Chromium, as a new vendor user meets it: the invitation link,
autosave, conditional questions, N/A, evidence with certificate details, the missing list,
an expired session, a conflict between two colleagues, and carried-forward answers."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS, open_review, show_question, sign_in
from tests.conftest import PASSWORD
from tests.helpers import PDF, answer_all
from vendorassure.extensions import db
from vendorassure.models import Answer, Evidence
from vendorassure.services import assessments
from vendorassure.services import evidence as evidence_service
from vendorassure.services import vendors as vendor_service

pytestmark = pytest.mark.browser
LITE = "iso42001-ai-vendor-lite"
FULL = "iso42001-ai-vendor"


def _invite_link(app, email: str) -> str:
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    mails = [p for p in outbox.glob("*.eml") if f"To: {email}" in p.read_text()]
    text = max(mails, key=lambda p: p.stat().st_mtime_ns).read_text()
    return "/invite/" + text.split("/invite/")[1].split()[0]


def _stored(assessment_id: int, key: str) -> Answer | None:
    """The answer as the live server committed it."""
    from vendorassure.models import Assessment

    db.session.rollback()
    return assessments.answer_map(db.session.get(Assessment, assessment_id)).get(key)


def _view(page, name: str) -> None:
    """Save what the vendor sees on screen (the long form makes full-page shots unreadable)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def _saved(page, key: str):
    expect(page.locator(f"#q-{key} .save-state")).to_contain_text("Saved", timeout=10000)


def test_invited_vendor_answers_uploads_and_sees_what_is_missing(app, make, page, shot, tmp_path):
    buyer = make.user("procurement")
    vendor = make.vendor(name="Brightline AI", actor=buyer)
    a = make.assessment(vendor, FULL, actor=buyer)
    vendor_service.add_contact(buyer, vendor, "dana@brightline.example", "Dana")

    # The invitation link leads to a password form and straight into the questionnaire.
    page.goto(_invite_link(app, "dana@brightline.example"))
    expect(page.locator("h1")).to_contain_text("Welcome")
    shot("p01-invitation-set-password")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("button:has-text('Set password and continue')")
    expect(page.locator("h1")).to_contain_text("ISO/IEC 42001")
    expect(page.locator(".toc")).to_be_visible()
    expect(page.locator("text=days left").first).to_be_visible()
    _view(page, "p02-form-first-visit")

    # Autosave: a choice is saved without pressing anything and survives a reload.
    first = a.questionnaire.questions[0]
    page.check(f"#q-{first.key} input[value=certified_accredited]")
    _saved(page, first.key)
    page.reload()
    expect(page.locator(f"#q-{first.key} input[value=certified_accredited]")).to_be_checked()
    expect(page.locator("#progress-text")).to_contain_text("1 of")

    # Conditional questions appear and disappear as the answer changes.
    dependent = page.locator("#q-iso42001_certificate_details")
    expect(dependent).to_be_visible()
    page.check(f"#q-{first.key} input[value=no]")
    expect(dependent).to_be_hidden()
    _saved(page, first.key)
    page.check(f"#q-{first.key} input[value=certified_accredited]")
    expect(dependent).to_be_visible()
    _saved(page, first.key)
    page.fill("#q-iso42001_certificate_details input[type=text]", "BSI, certificate AIMS 700123")
    _saved(page, "iso42001_certificate_details")

    # N/A needs a reason before it saves.
    show_question(page, "privacy_impact_assessment")
    na = page.locator("#q-privacy_impact_assessment")
    na.locator("input.na-toggle").check()
    expect(na.locator(".na-reason")).to_be_visible()
    expect(na.locator(".save-state")).to_contain_text("Say why")
    na.locator("input[name=na_reason__privacy_impact_assessment]").fill(
        "The product processes no personal data."
    )
    _saved(page, "privacy_impact_assessment")
    na.evaluate("el => el.scrollIntoView({block: 'center'})")
    _view(page, "p03b-na-with-reason")
    stored = _stored(a.id, "privacy_impact_assessment")
    assert stored.na and stored.na_reason == "The product processes no personal data."

    # Evidence with full certificate details, attached to the question.
    open_review(page)
    cert = tmp_path / "iso42001-certificate.pdf"
    cert.write_bytes(PDF)
    page.set_input_files("input[name=ev-file]", str(cert))
    page.select_option("select[name=ev-kind]", "iso42001_certificate")
    page.select_option("select[name=ev-question_key]", first.key)
    page.fill("input[name=ev-standard]", "ISO/IEC 42001")
    page.fill("input[name=ev-edition]", "2023")
    page.fill("input[name=ev-certification_body]", "BSI")
    page.fill("input[name=ev-accreditation_body]", "UKAS")
    page.fill("input[name=ev-certificate_number]", "AIMS 700123")
    page.fill("input[name=ev-issued_on]", "2025-03-01")
    page.fill("input[name=ev-expires_on]", (date.today() + timedelta(days=40)).isoformat())
    page.fill("textarea[name=ev-scope]", "Design and operation of the Brightline support chatbot")
    page.click("#evidence-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Uploaded iso42001-certificate.pdf")
    expect(page.locator(".flash-warning").first).to_contain_text("expires in 40 days")
    expect(page.locator("#evidence-table")).to_contain_text("ISO/IEC 42001:2023")
    expect(page.locator("#evidence-table")).to_contain_text("accredited by UKAS")
    page.locator("#evidence").evaluate("el => el.scrollIntoView()")
    _view(page, "p04-evidence-uploaded")
    db.session.rollback()
    ev = db.session.scalar(select(Evidence).filter_by(assessment_id=a.id))
    assert (ev.edition, ev.accreditation_body, ev.question.key) == ("2023", "UKAS", first.key)

    # Before submitting, the missing list links to each question.
    missing = page.locator("#missing-list a")
    expect(missing.first).to_be_visible()
    target = missing.first.get_attribute("href")
    missing.first.click()
    assert page.url.endswith(target)
    expect(page.locator("#missing-here")).to_be_visible()
    open_review(page)
    page.click("#submit-btn")
    expect(page.locator(".flash-error")).to_contain_text("still need your answer or confirmation")
    expect(page.locator("#missing-list")).to_be_visible()
    _view(page, "p05a-submit-refused-top")
    page.locator("#submit").evaluate("el => el.scrollIntoView()")
    _view(page, "p05b-missing-list-before-submit")


def test_expired_session_keeps_the_typed_answer(app, make, page, base_url):
    vendor = make.vendor()
    a = make.assessment(vendor, LITE)
    user = make.user("vendor", vendor=vendor)
    sign_in(page, user.email, PASSWORD)
    page.goto(f"/portal/assessments/{a.id}")
    show_question(page, "uses_third_party_models")
    page.check("#q-uses_third_party_models input[value=yes]")
    _saved(page, "uses_third_party_models")
    box = page.locator("#q-foundation_model_providers")
    expect(box).to_be_visible()

    page.context.clear_cookies()  # the session expires while the vendor types
    box.locator("[name=q__foundation_model_providers]").fill("OpenAI GPT-4o via Azure, EU region")
    expect(box.locator(".save-state")).to_contain_text("session has expired", timeout=10000)
    expect(page.locator("#session-banner")).to_be_visible()
    box.evaluate("el => el.scrollIntoView({block: 'center'})")
    _view(page, "p06-session-expired-answer-kept")
    assert _stored(a.id, "foundation_model_providers") is None

    page.click("#session-banner a")  # back to the same page after signing in
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(rf"{base_url}/portal/assessments/{a.id}\?s=\w+$"))
    expect(box.locator("[name=q__foundation_model_providers]")).to_have_value(
        "OpenAI GPT-4o via Azure, EU region"
    )
    _saved(page, "foundation_model_providers")
    assert _stored(a.id, "foundation_model_providers").value == "OpenAI GPT-4o via Azure, EU region"


def test_two_colleagues_get_a_conflict_with_both_versions(app, make, browser, base_url):
    vendor = make.vendor()
    a = make.assessment(vendor, LITE)
    dana = make.user("vendor", vendor=vendor, email="dana@v.example")
    lee = make.user("vendor", vendor=vendor, email="lee@v.example")
    key = a.questionnaire.questions[0].key
    pages = []
    for user in (dana, lee):
        context = browser.new_context(base_url=base_url, viewport={"width": 1360, "height": 900})
        p = context.new_page()
        sign_in(p, user.email, PASSWORD)
        p.goto(f"/portal/assessments/{a.id}")
        pages.append(p)
    first, second = pages
    first.check(f"#q-{key} input[value=certified_accredited]")
    _saved(first, key)
    second.check(f"#q-{key} input[value=planned]")
    conflict = second.locator(f"#q-{key} .conflict")
    expect(conflict).to_contain_text("dana@v.example changed this answer")
    expect(conflict.locator(".theirs")).to_contain_text("accredited certification body")
    expect(conflict.locator(".mine")).to_contain_text("Planned")
    assert _stored(a.id, key).value == "certified_accredited"  # nothing silently overwritten
    conflict.scroll_into_view_if_needed()
    _view(second, "p07-conflict-both-versions")
    conflict.locator("button:has-text('Keep my version')").click()
    _saved(second, key)
    assert _stored(a.id, key).value == "planned"
    for p in pages:
        p.context.close()


def test_carried_forward_answers_are_marked_and_confirmed(app, make, page, shot):
    vendor = make.vendor()
    user = make.user("vendor", vendor=vendor)
    first = make.assessment(vendor, LITE)
    answer_all(user, first)
    assessments.submit_assessment(user, first)
    assessments.review_assessment(make.user("risk"), first, "complete")
    second = make.assessment(vendor, LITE)
    keys = [q.key for q in second.questionnaire.questions]
    evidence_service.upload_library_evidence(
        user,
        vendor,
        "iso27001-certificate.pdf",
        PDF,
        "iso27001_certificate",
        edition="2022",
        certification_body="Cert Co",
        not_accredited=True,
        issued_on="2024-05-01",
        expires_on="2027-04-30",
    )

    sign_in(page, user.email, PASSWORD)
    expect(page.locator("text=carried-forward answers to confirm").first).to_be_visible()
    page.goto(f"/portal/assessments/{second.id}")
    expect(page.locator("#carried-forward-box")).to_be_visible()
    expect(page.locator(f"#q-{keys[0]} .cf-chip")).to_have_text("carried forward — please confirm")
    expect(page.locator("#progress-text")).to_contain_text("0 of")
    _view(page, "p08-carried-forward")

    page.click(f"#q-{keys[0]} button.cf-confirm")
    expect(page.locator(f"#q-{keys[0]} .cf-chip")).to_have_count(0)
    expect(page.locator(f"#q-{keys[0]} .save-state")).to_contain_text("Confirmed")
    assert not _stored(second.id, keys[0]).carried_forward
    page.click("#confirm-all")
    expect(page.locator(".flash-success")).to_contain_text("Confirmed")
    expect(page.locator(".cf-chip")).to_have_count(0)
    expect(page.locator("#missing-count")).to_have_text("Nothing missing")
    open_review(page)
    expect(page.locator("#missing-none")).to_be_visible()
    # A certificate kept in the library is attached in one click.
    page.select_option("select[name=lib-question_key]", "iso27001_certified")
    page.click("#library-attach-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("from your library")
    expect(page.locator("#evidence-table")).to_contain_text("not accredited")
    page.click("#submit-btn")
    expect(page.locator(".flash-success")).to_contain_text("submitted")
    shot("p09-submitted-after-confirming")
    page.click("text=Certificate library")
    expect(page.locator("#library-table")).to_contain_text("iso27001-certificate.pdf")
    shot("p10-certificate-library")


def test_the_form_works_without_javascript(app, make, browser, base_url):
    vendor = make.vendor()
    a = make.assessment(vendor, LITE)
    user = make.user("vendor", vendor=vendor)
    context = browser.new_context(
        base_url=base_url, java_script_enabled=False, viewport={"width": 1360, "height": 900}
    )
    page = context.new_page()
    sign_in(page, user.email, PASSWORD)
    page.goto(f"/portal/assessments/{a.id}")
    show_question(page, "uses_third_party_models")  # "Next" posts the page without the script
    page.check("#q-uses_third_party_models input[value=yes]")
    expect(page.locator("#q-foundation_model_providers")).to_be_hidden()  # shown after saving
    page.click("#save-all")
    expect(page.locator(".flash-success")).to_contain_text("Saved 1 answer(s).")
    expect(page.locator("#q-foundation_model_providers")).to_be_visible()
    page.fill("[name=q__foundation_model_providers]", "Own models only on EU servers")
    page.click("#save-all")
    expect(page.locator(".flash-success")).to_contain_text("Saved 1 answer(s).")
    _view(page, "p11-without-javascript")
    assert _stored(a.id, "foundation_model_providers").value == "Own models only on EU servers"
    context.close()


def test_answers_from_the_short_questionnaire_are_suggested_in_the_full_one(app, make, page):
    vendor = make.vendor()
    user = make.user("vendor", vendor=vendor)
    lite = make.assessment(vendor, LITE)
    answer_all(user, lite)
    assessments.submit_assessment(user, lite)
    full = make.assessment(vendor, FULL)

    sign_in(page, user.email, PASSWORD)
    page.goto(f"/portal/assessments/{full.id}")
    show_question(page, "ai_policy")
    card = page.locator("#q-ai_policy")
    expect(card.locator(".cf-chip")).to_have_text(
        "suggested from another questionnaire — please confirm"
    )
    expect(card.locator(".cf-note")).to_contain_text(lite.questionnaire.title)
    card.scroll_into_view_if_needed()
    _view(page, "p11-suggested-from-another-questionnaire")
    card.locator("button.cf-confirm").click()
    expect(card.locator(".cf-chip")).to_have_count(0)
    confirmed = _stored(full.id, "ai_policy")
    assert not confirmed.carried_forward and confirmed.reused_from["question"] == "ai_policy"


def test_na_clears_the_option_and_a_refused_upload_keeps_the_chosen_file(app, make, page, tmp_path):
    vendor = make.vendor()
    a = make.assessment(vendor, FULL)
    user = make.user("vendor", vendor=vendor)
    sign_in(page, user.email, PASSWORD)
    page.goto(f"/portal/assessments/{a.id}")
    q = next(q for q in a.questionnaire.questions if q.allows_na and q.options and not q.show_if)
    show_question(page, q.key)
    box = page.locator(f"#q-{q.key}")
    option = box.locator(f"input[name=q__{q.key}]").first
    option.check()
    _saved(page, q.key)
    box.locator("input.na-toggle").check()
    expect(option).not_to_be_checked()  # N/A and an answer exclude each other
    expect(box.locator(".na-reason")).to_be_visible()
    box.locator(f"input[name=na_reason__{q.key}]").fill("Not part of our service.")
    _saved(page, q.key)
    stored = _stored(a.id, q.key)
    assert stored.na and stored.value is None
    option.check()
    expect(box.locator("input.na-toggle")).not_to_be_checked()
    expect(box.locator(".na-reason")).to_be_hidden()

    # A policy needs no certificate details: they are hidden for it.
    open_review(page)
    cert = tmp_path / "certificate.pdf"
    cert.write_bytes(PDF)
    form = page.locator("#evidence-form")
    expect(form.locator(".cert-details")).to_be_visible()
    page.select_option("select[name=ev-kind]", "policy")
    expect(form.locator(".cert-details")).to_be_hidden()
    # A refused certificate upload keeps the chosen file and says what to fix beside the field.
    page.select_option("select[name=ev-kind]", "iso42001_certificate")
    page.set_input_files("input[name=ev-file]", str(cert))
    page.fill("input[name=ev-edition]", "2023")
    page.fill("input[name=ev-accreditation_body]", "UKAS")
    page.fill("input[name=ev-issued_on]", "2025-03-01")
    page.fill("input[name=ev-expires_on]", "2024-01-01")
    page.click("#evidence-form button[type=submit]")
    expect(page.locator("#ev-expires_on-err")).to_have_text("Must be after the issue date.")
    expect(page.locator("#ev-error-summary")).to_be_focused()
    assert page.locator("input[name=ev-file]").evaluate("el => el.files.length") == 1
    expect(page.locator("input[name=ev-edition]")).to_have_value("2023")
    page.locator("#ev-expires_on").scroll_into_view_if_needed()
    _view(page, "p12-upload-error-beside-field")
    page.fill("input[name=ev-expires_on]", (date.today() + timedelta(days=400)).isoformat())
    page.click("#evidence-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Uploaded certificate.pdf")
    expect(page.locator("#evidence-table")).to_contain_text("certificate.pdf")
