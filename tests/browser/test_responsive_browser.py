"""Every page of every role in the demo data fits a phone: at 390 px wide nothing is wider than
the screen (tables scroll inside their own box, the navigation collapses)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.sweep import sweep_all

pytestmark = pytest.mark.browser

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return Array.from(document.querySelectorAll('body *'))
    .filter(el => el.getBoundingClientRect().right > width + 1 && !el.closest('.table-wrap, .scroll-x'))
    .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
      ' right=' + Math.round(el.getBoundingClientRect().right));
}"""


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}}


def test_no_page_of_any_role_is_wider_than_a_phone(app, page):
    problems = []

    def check(email, path):
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            problems.append((email, path, width, page.evaluate(OVERFLOW)))

    seen = sweep_all(app, page, check)
    assert all(n >= 3 for n in seen.values()), seen
    print(f"pages checked per user: {seen} ({sum(seen.values())} in all)")
    assert sum(seen.values()) > 100, seen
    assert problems == [], "\n".join(map(str, problems))


def test_phone_screenshots(app, make, page):
    """The portal on a phone: the section drawer closed and open."""
    from tests.browser.conftest import sign_in
    from tests.conftest import PASSWORD

    vendor = make.vendor(name="Helix Hiring AI")
    a = make.assessment(vendor, "iso42001-ai-vendor")
    user = make.user("vendor", vendor=vendor)
    sign_in(page, user.email, PASSWORD)
    page.goto(f"/portal/assessments/{a.id}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "m01-portal-phone.png"))
    page.click(".toc-drawer summary")
    page.screenshot(path=str(ARTIFACTS / "m02-portal-phone-sections.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
