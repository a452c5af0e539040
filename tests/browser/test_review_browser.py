"""A risk reviewer takes an assessment from the queue to completion, with findings, in Chromium;
then the dashboard is photographed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from tests.helpers import PDF, answer_all

pytestmark = pytest.mark.browser


def test_review_flow_in_the_browser(app, make, page, shot):
    from vendorassure.extensions import db
    from vendorassure.models import Assessment, Finding
    from vendorassure.services import assessments, evidence

    risk = make.user("risk", email="rita@example.com")
    # A portfolio worth a dashboard: one good vendor completed, one weak vendor submitted.
    good = make.vendor("Quill Writing", level="low")
    a_good = make.assessment(good)
    good_user = make.user("vendor", vendor=good)
    answer_all(good_user, a_good, best=True)
    assessments.submit_assessment(good_user, a_good)
    assessments.review_assessment(risk, a_good, "complete", "Fine.")
    weak = make.vendor("Atlas Agents", level="high")
    a = make.assessment(weak)
    contact = make.user("vendor", vendor=weak)
    answer_all(contact, a, best=False)
    evidence.upload_evidence(
        contact,
        a,
        "iso42001.pdf",
        PDF,
        "iso42001_certificate",
        certification_body="Example CB",
        certificate_number="AIMS-9",
        scope="All services",
        issued_on=date.today() - timedelta(days=300),
        expires_on=date.today() + timedelta(days=40),
    )
    assessments.submit_assessment(contact, a)
    make.vendor("Lumen Translate")

    sign_in(page, risk.email, PASSWORD)
    expect(page.locator("h1")).to_contain_text("Review queue")
    row = page.locator(f"tr[data-assessment='{a.id}']")
    row.locator("select").select_option(label=risk.display_name)
    row.locator("button:has-text('Assign')").click()
    expect(page.locator(".flash-success")).to_contain_text("assigned")
    page.click("text=Atlas Agents")
    expect(page.locator("h1")).to_contain_text("Atlas Agents")
    page.click("#start-review")
    expect(page.locator(".flash-success")).to_contain_text("proposed from the score")

    # Verify the certificate with scope and accreditation.
    ev = page.locator("form.verify-form").first
    ev.locator("input[value=accepted]").check()
    ev.locator("input[name$=scope_covers_service]").check()
    ev.locator("input[name$=accredited]").check()
    ev.locator("button:has-text('Record')").click()  # saved in place by the page's script
    expect(ev.locator(".inplace-status")).to_contain_text("Recorded")
    expect(page.locator(".ev-status").first).to_contain_text("Verified")

    # Flag an answer with an internal note, ask the vendor a question.
    flag = page.locator("details[open] form.flag-form").first  # groups needing attention are open
    flag.locator("select").select_option("flagged")
    flag.locator("input[type=text]").fill("Policy date is missing.")
    flag.locator("button").click()
    expect(flag.locator(".inplace-status")).to_contain_text("Saved")
    expect(flag.locator("xpath=ancestor::tr")).to_contain_text("flagged")
    page.fill("textarea[name=c-body]", "Please send the supplier policy.")
    page.click("#send-clarification")
    expect(page.locator("#clarifications")).to_contain_text("Please send the supplier policy.")
    shot("10-risk-review-page")

    # Confirm the first proposed finding, set owner and due date, send it to the vendor.
    page.locator("#findings-table a").first.click()
    expect(page.locator("h1")).to_contain_text("Finding #")
    page.select_option("select[name=fe-status]", "open")
    page.select_option("select[name=fe-owner_id]", label=risk.display_name)
    page.fill("input[name=fe-due_date]", (date.today() + timedelta(days=30)).isoformat())
    page.fill("textarea[name=fe-remediation]", "Document the practice and share it.")
    page.check("input[name=fe-shared_with_vendor]")
    page.click("#finding-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("Finding saved")
    shot("11-risk-finding")
    page.click("text=assessment #")

    # Complete with an override, which needs a reason.
    page.check("input[name=d-decision][value=complete]")
    page.select_option("select[name=d-override_rating]", "high")
    page.click("#record-decision")
    expect(page.locator(".flash-error")).to_contain_text("An override needs a reason")
    page.check("input[name=d-decision][value=complete]")
    page.select_option("select[name=d-override_rating]", "high")
    page.fill("textarea[name=d-override_reason]", "Use limited to an internal pilot by contract.")
    page.click("#record-decision")
    # The proposals not yet decided need a decision first: dismiss the rest, with a reason.
    expect(page.locator(".flash-error")).to_contain_text("still need a decision")
    page.check("input[name=d-decision][value=complete]")
    page.select_option("select[name=d-override_rating]", "high")
    page.fill("textarea[name=d-override_reason]", "Use limited to an internal pilot by contract.")
    page.select_option("select[name=d-proposed]", "dismiss")
    page.fill("input[name=d-dismiss_reason]", "Covered by the contract's pilot limits.")
    page.click("#record-decision")
    expect(page.locator(".flash-success")).to_contain_text("Assessment completed")
    expect(page.locator("#timeline")).to_contain_text("overrode the rating")

    db.session.expire_all()
    done = db.session.get(Assessment, a.id)
    assert done.status == "completed" and done.final_rating == "high"
    shared = db.session.scalars(
        select(Finding).filter_by(assessment_id=a.id, shared_with_vendor=True)
    ).all()
    assert len(shared) == 1 and shared[0].status == "open" and shared[0].owner_id == risk.id

    page.click("nav >> text=Dashboard")
    expect(page.locator("h1")).to_contain_text("Portfolio dashboard")
    expect(page.locator("td[data-rating=high]")).to_have_text("1")
    expect(page.locator("td[data-rating=low]")).to_have_text("1")
    expect(page.locator("td[data-rating=unrated]")).to_have_text("1")
    expect(page.locator("td[data-days='60']")).to_have_text("1")
    shot("12-dashboard")
