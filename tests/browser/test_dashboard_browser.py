"""The risk committee's dashboard in a browser: a heatmap cell opens the register filtered to
it, the filters apply to the whole page and the data tables unfold behind "Show data"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD
from vendorassure.extensions import db
from vendorassure.models import User
from vendorassure.seeding import DOMAIN, seed_portfolio

pytestmark = pytest.mark.browser


def test_committee_reads_the_dashboard_and_opens_a_heatmap_cell(page, app, shot):
    seed_portfolio(120, seed=9, password=PASSWORD)
    risk = db.session.scalars(select(User).where(User.email == f"risk1@{DOMAIN}")).one()
    sign_in(page, risk.email, PASSWORD)
    page.goto("/dashboard")
    expect(page.locator("h1")).to_contain_text("Portfolio dashboard")
    cell = page.locator('td[data-cell="high:medium"] a')
    count = int(cell.inner_text())
    assert count > 0
    low_low = page.locator('td[data-cell="low:low"]')
    crit_crit = page.locator('td[data-cell="critical:critical"]')
    assert low_low.get_attribute("data-severity") == "low"
    assert low_low.evaluate("e => getComputedStyle(e).backgroundColor") != crit_crit.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    expect(page.locator("#table-by-rating")).not_to_be_visible()
    page.locator("#card-rating summary").click()
    expect(page.locator("#table-by-rating")).to_be_visible()
    shot("dashboard-committee")

    cell.click()
    expect(page.locator("h1")).to_contain_text("Vendor register")
    expect(page.locator("#register-total")).to_contain_text(f"{count} vendor")
    assert re.search(r"tier=high", page.url) and re.search(r"rating=medium", page.url)
    shot("register-from-heatmap")

    page.goto("/dashboard")
    page.select_option("#portfolio-filters select[name=tier]", "critical")
    page.click("#portfolio-filters button[type=submit]")
    expect(page.locator('td[data-cell="low:low"]')).to_have_text("0")
    shot("dashboard-filtered-critical")
