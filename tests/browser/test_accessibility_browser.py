"""axe-core (vendored from the npm registry, served by the app itself) on every page of every
role in the demo data: no serious or critical violation. Also: after a refused form, focus is on
the summary of what to fix."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_review, sign_in
from tests.browser.sweep import sweep_all
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

AXE = "/static/vendor/axe-core/axe.min.js"
RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""


def _axe(page) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE)
    return page.evaluate(RUN)


def test_no_serious_or_critical_accessibility_violation_on_any_page(app, page):
    problems = []

    def check(email, path):
        found = _axe(page)
        if found:
            problems.append((email, path, found))

    seen = sweep_all(app, page, check)
    print(f"pages checked per user: {seen} ({sum(seen.values())} in all)")
    assert sum(seen.values()) > 100, seen
    assert problems == [], "\n".join(map(str, problems))


def test_focus_moves_to_the_error_summary(app, make, page, tmp_path):
    vendor = make.vendor()
    a = make.assessment(vendor, "iso42001-ai-vendor-lite")
    user = make.user("vendor", vendor=vendor)
    sign_in(page, user.email, PASSWORD)
    page.goto(f"/portal/assessments/{a.id}/workbook")
    bad = tmp_path / "answers.xlsx"
    bad.write_bytes(b"not a workbook")
    page.set_input_files("input[name=wb-file]", str(bad))
    page.click("#workbook-form button[type=submit]")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#wb-file-err")).to_contain_text("not an Excel workbook")
    # The certificate library without its script: the page comes back, focus on the summary.
    page.goto("/portal/library")
    page.evaluate("document.querySelector('#library-form').removeAttribute('data-upload-prefix')")
    page.locator("#library-form button[type=submit]").evaluate("b => b.form.submit()")
    expect(page.locator("#error-summary")).to_be_focused()
    assert _axe(page) == []
    page.goto(f"/portal/assessments/{a.id}")
    open_review(page)
    assert _axe(page) == []
