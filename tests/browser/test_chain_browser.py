"""The supply chain, change events, webhooks, answer packages and the regulator's records in
Chromium, photographed for docs/ (tests/browser/artifacts/)."""

from __future__ import annotations

import subprocess

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in, sign_out
from tests.chain.test_webhooks import Receiver
from tests.conftest import PASSWORD, intake_at
from tests.helpers import answer_all

pytestmark = pytest.mark.browser


def _portfolio(make):
    from vendorassure.services import assessments, supply_chain
    from vendorassure.services.vendors import create_vendor

    buyer = make.user("procurement", email="paula@example.com")
    omega, _ = make.submitted(level="high", best=False)
    omega.vendor.name = "Omega Models"
    cloudy = make.vendor("Cloudy Hosting", level="low")
    intake = intake_at("high") | {"eu_ai_act_class": "high_risk", "audience": "customer_assisted"}
    alpha = create_vendor(buyer, "Alpha Recruiting AI", "https://alpha.example",
                          "CV screening and interview notes", intake)  # fmt: skip
    a = make.assessment(alpha, "iso42001-ai-vendor")
    contact = make.user("vendor", vendor=alpha, email="vera@alpha.example")
    answer_all(contact, a, best=True, skip={"foundation_model_providers", "event_logging"})
    assessments.save_answer(contact, a, "foundation_model_providers",
                            "Omega Models; omega-large 2026-05; closed weights via API (EU)")  # fmt: skip
    assessments.save_answer(contact, a, "event_logging", "none")
    assessments.submit_assessment(contact, a)
    assessments.review_assessment(make.user("risk"), a, "complete", "ok")
    for name, level in (("Beta Analytics", "high"), ("Gamma Tools", "low"), ("Delta Docs", "low")):
        v = make.vendor(name, level=level)
        supply_chain.add_link(buyer, v, omega.vendor_id, "foundation_model")
        supply_chain.add_link(buyer, v, cloudy.id, "hosting")
    supply_chain.add_link(buyer, alpha, cloudy.id, "hosting")
    return {"buyer": buyer, "alpha": alpha, "contact": contact, "omega": omega.vendor,
            "assessment": a}  # fmt: skip


def test_supply_chain_and_change_events_in_the_browser(app, make, page, shot):
    p = _portfolio(make)
    sign_in(page, "paula@example.com", PASSWORD)
    page.goto(f"/chain/vendors/{p['alpha'].id}")
    expect(page.get_by_text("Suggested from the vendor's answers")).to_be_visible()
    page.get_by_role("button", name="Confirm link").click()
    expect(page.get_by_text("Omega Models linked as Foundation model")).to_be_visible()
    expect(page.get_by_text("Weak provider: a driver of this vendor's rating")).to_be_visible()
    shot("supply-chain")
    page.goto("/chain/concentration")
    page.get_by_role("row", name="Omega Models").get_by_role(
        "link", name="Who depends on it"
    ).click()
    expect(page.get_by_text("Which of our vendors depend on Omega Models?")).to_be_visible()
    shot("concentration")
    sign_out(page)

    # the vendor reports a model change from the portal
    sign_in(page, "vera@alpha.example", PASSWORD)
    page.goto("/chain/portal/changes?kind=model_changed")
    page.fill("textarea[name=description]",
              "From 1 June the product uses omega-large-2 instead of omega-large; prompts unchanged.")  # fmt: skip
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("Change recorded: Model changed.")).to_be_visible()
    shot("change-report-portal")
    sign_out(page)

    sign_in(page, "paula@example.com", PASSWORD)
    page.goto(f"/chain/vendors/{p['alpha'].id}/changes")
    page.get_by_role("button", name="Issue scoped reassessment").click()
    expect(page.get_by_text("questions re-open, the other answers stand")).to_be_visible()
    shot("change-events")
    page.goto(f"/chain/vendors/{p['alpha'].id}/ai-act-record")
    expect(page.get_by_text("Human oversight assigned")).to_be_visible()
    shot("ai-act-record")
    page.goto("/chain/dora")
    expect(page.get_by_role("heading", name="DORA register of information")).to_be_visible()
    shot("dora-register")
    page.goto(f"/chain/vendors/{p['alpha'].id}/ai-act-record")
    with page.expect_download() as dl:
        page.get_by_role("link", name="PDF", exact=True).click()
    pdf = ARTIFACTS / "ai-act-record.pdf"
    dl.value.save_as(str(pdf))
    subprocess.run(  # noqa: S603  (fixed arguments, Debian's poppler-utils)
        ["/usr/bin/pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf),
         str(ARTIFACTS / "ai-act-record-pdf")],
        check=True,
    )  # fmt: skip


def test_webhooks_and_answer_packages_in_the_browser(app, make, page, shot):
    from vendorassure.services import webhooks

    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    receiver = Receiver()
    try:
        make.user("admin", email="ada@example.com")
        sign_in(page, "ada@example.com", PASSWORD)
        page.goto("/chain/webhooks")
        page.fill("input[name=url]", receiver.url)
        page.fill("input[name=description]", "Our SIEM")
        page.select_option("select[name=events]", ["assessment.submitted", "rating.changed",
                                                    "change_event.reported"])  # fmt: skip
        page.get_by_role("button", name="Register endpoint").click()
        expect(page.locator("#webhook-secret")).to_contain_text("whsec_")
        shot("webhooks-secret")
        receiver.plan = [503]
        p = _portfolio(make)
        webhooks.dispatch_due()
        page.get_by_role("link", name="Deliveries").click()
        expect(page.get_by_text("Retrying")).to_be_visible()
        page.get_by_role("button", name="Replay").first.click()
        expect(page.get_by_text("replay of #")).to_be_visible()
        shot("webhooks")
        sign_out(page)
    finally:
        receiver.close()

    sign_in(page, "vera@alpha.example", PASSWORD)
    page.goto("/chain/portal/packages")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download signed package").click()
    package = ARTIFACTS / "answers.vapkg.json"
    dl.value.save_as(str(package))
    expect(page.get_by_text("Share your answers")).to_be_visible()
    page.reload()
    shot("packages-vendor")
    sign_out(page)

    target = make.vendor("Alpha Recruiting AI (group entity)", level="high")
    sign_in(page, "paula@example.com", PASSWORD)
    page.goto("/chain/packages")
    page.select_option("select[name=vendor_id]", str(target.id))
    page.set_input_files("input[name=package]", str(package))
    page.get_by_role("button", name="Check and import").click()
    expect(page.locator("#fingerprint")).to_be_visible()
    shot("packages-confirm")
    page.select_option("select[name=vendor_id]", str(target.id))
    page.set_input_files("input[name=package]", str(package))
    page.get_by_role("button", name="Confirm key and import").click()
    expect(page.get_by_text("counts once a reviewer accepts it")).to_be_visible()
    sign_out(page)
    make.user("risk", email="rita@example.com")
    sign_in(page, "rita@example.com", PASSWORD)
    page.goto("/chain/packages")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Import accepted")).to_be_visible()
    shot("packages")
    _ = p
