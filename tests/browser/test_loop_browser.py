"""The whole loop in headless Chromium: procurement, the vendor (via the emailed link) and risk."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import open_review, show_question, sign_in, sign_out
from tests.conftest import PASSWORD
from tests.helpers import PDF, choose

pytestmark = pytest.mark.browser


def _latest_invite_link(app) -> str:
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    newest = max(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    text = newest.read_text()
    return "/invite/" + text.split("/invite/")[1].split()[0]


def test_whole_loop_in_the_browser(app, make, page, shot, tmp_path):
    from vendorassure.extensions import db
    from vendorassure.models import Assessment
    from vendorassure.scoring import AnswerIn, visible_questions
    from vendorassure.services.scoring import question_defs

    buyer = make.user("procurement", email="buyer@example.com")
    risk = make.user("risk", email="risk@example.com")

    # Procurement registers the vendor with its intake, issues the lite questionnaire, adds a contact.
    sign_in(page, buyer.email, PASSWORD)
    expect(page.locator("h1")).to_contain_text("Portfolio dashboard")
    page.click("text=Register a vendor")
    page.fill("input[name=name]", "Brightline AI")
    page.fill("input[name=website]", "https://brightline.example")
    page.fill("textarea[name=services]", "Customer-support chatbot")
    for select_el in page.locator("select[name^=intake__]").all():
        select_el.select_option(index=1)
    shot("01-procurement-register-vendor")
    page.click("button:has-text('Register vendor')")
    expect(page.locator(".flash-success")).to_contain_text("Brightline AI registered")
    page.select_option("select[name=issue-questionnaire]", "iso42001-ai-vendor-lite")
    page.click("button:has-text('Issue assessment')")
    expect(page.locator(".flash-success")).to_contain_text("issued")
    page.fill("input[name=contact-email]", "dana@brightline.example")
    page.fill("input[name=contact-name]", "Dana")
    page.click("button:has-text('Add contact and send invitation')")
    expect(page.locator(".flash-success")).to_contain_text("Invitation sent")
    shot("02-procurement-vendor-page")
    sign_out(page)

    # The vendor opens the emailed link, sets a password and answers.
    page.goto(_latest_invite_link(app))
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("button:has-text('Set password and continue')")
    expect(page.locator("h1")).to_contain_text("ISO/IEC 42001")
    shot("03-vendor-questionnaire-empty")

    assessment = db.session.scalar(select(Assessment).order_by(Assessment.id.desc()))
    defs = question_defs(assessment.questionnaire)
    given: dict = {}
    first_key = None
    for q in defs:
        if q.key not in visible_questions(defs, given):
            continue
        value = choose(q, best=True)
        show_question(page, q.key)
        box = page.locator(f"#q-{q.key}")
        if q.options:
            for v in value if isinstance(value, list) else [value]:
                box.locator(f"input[value='{v}']").check()
        else:
            box.locator(f"[name=q__{q.key}]").fill(str(value))
        expect(box.locator(".save-state")).to_contain_text("Saved", timeout=10000)
        given[q.key] = AnswerIn(question=q.key, value=value)
        first_key = first_key or q.key
    page.goto(f"/portal/assessments/{assessment.id}")  # nothing missing: the first section
    first = choose(defs[0], True)
    expect(page.locator(f"#q-{first_key} input[value='{first}']")).to_be_checked()
    expect(page.locator("#missing-count")).to_have_text("Nothing missing")
    open_review(page)
    expect(page.locator("#missing-none")).to_be_visible()

    cert = tmp_path / "iso42001-certificate.pdf"
    cert.write_bytes(PDF)
    page.set_input_files("input[name=ev-file]", str(cert))
    page.select_option("select[name=ev-kind]", "iso42001_certificate")
    page.fill("input[name=ev-certification_body]", "Example Certification Ltd")
    page.fill("input[name=ev-certificate_number]", "AIMS-2031")
    page.fill("input[name=ev-issued_on]", "2025-03-01")
    page.fill("input[name=ev-expires_on]", "2028-02-28")
    page.fill("textarea[name=ev-scope]", "Design and operation of the Brightline support chatbot")
    page.click("#evidence-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Uploaded iso42001-certificate.pdf")
    shot("04-vendor-questionnaire-answered")
    page.click("#submit-btn")
    expect(page.locator(".flash-success")).to_contain_text("submitted")
    shot("05-vendor-submitted")
    sign_out(page)

    # Risk finds it in the queue, verifies the certificate and completes the review.
    sign_in(page, risk.email, PASSWORD)
    expect(page.locator("h1")).to_contain_text("Review queue")
    page.click("text=Brightline AI")
    expect(page.locator("#control-table tbody tr")).to_have_count(38)
    page.click("#start-review")
    expect(page.locator(".flash-success")).to_contain_text("Review started")
    form = page.locator(".verify-form").first
    form.locator("input[value=accepted]").check()
    form.locator("input[name$=scope_covers_service]").check()
    form.locator("input[name$=accredited]").check()
    form.locator("button").click()  # recorded in place by the page's script
    expect(form.locator(".inplace-status")).to_contain_text("Recorded")
    page.reload()  # the verified certificate rescored the assessment and its proposals
    expect(page.locator(".ev-status").first).to_contain_text("Verified")
    shot("06-risk-review")
    page.locator("#decision input[value=complete]").check()
    if page.locator("select[name=d-proposed]").count():
        page.select_option("select[name=d-proposed]", "open")
    page.click("#decision button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Assessment completed")
    page.click("text=Dashboard")
    expect(page.locator("td[data-status=completed]")).to_have_text("1")
    shot("07-dashboard")
