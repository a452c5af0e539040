"""An admin uploads a foreign questionnaire, reviews the suggested Annex A controls, publishes."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "foreign"


def test_mapping_review_in_the_browser(app, make, page, shot):
    app.config["MFA_REQUIRED_ROLES"] = ()  # two-step sign-in has its own browser test
    make.user("admin", email="ada@example.com")
    sign_in(page, "ada@example.com", PASSWORD)
    page.goto("/admin/library/upload")
    page.set_input_files("input[name=file]", str(FIXTURE / "ai-security-questionnaire.csv"))
    page.fill("input[name=key]", "ai-security")
    page.select_option("select[name=map]", "suggest")
    page.click("main button[type=submit]")
    shot("import-after-upload")
    expect(page.locator("#import-summary")).to_contain_text("322 questions")
    row = page.locator("#q-aig_01_1")
    expect(row.locator("input[value='A.2.2']")).to_be_checked()
    shot("import-review")
    page.set_viewport_size({"width": 1360, "height": 1000})
    page.screenshot(path=str(shot("import-review").parent / "import-review-top.png"))
    page.click("#import-summary a:has-text('No suggestion')")
    expect(page.locator("#q-hrs_01_1")).to_contain_text("No suggestion")
    shot("import-review-unmapped")
    page.goto(page.url.split("?")[0])
    page.fill("input[name=threshold]", "0.6")
    page.click("button:has-text('Accept all to review at or above')")
    expect(page.locator(".flash-success")).to_contain_text("Accepted the suggestions")
    page.check("input[name=leave_rest_unmapped]")
    page.click("#publish")
    expect(page.locator("#coverage-summary")).to_be_visible()
    expect(page.locator("#unmapped-scored")).to_contain_text("scored questions map to no control")
    shot("import-coverage")
