"""The risk committee's dashboard: every figure opens the list behind it, and that list holds as
many rows as the figure says; filters narrow the whole page; the heatmap is coloured by rating."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD, login
from vendorassure.extensions import db
from vendorassure.models import User
from vendorassure.seeding import DOMAIN, seed_portfolio

TOTALS = {
    "/vendors/register": r'id="register-total">(\d+) vendor',
    "/review/": r"<h1>Review queue</h1><p>(\d+) assessment",
    "/review/findings": r"<h1>Findings</h1><p>(\d+) finding",
}


@pytest.fixture
def risk(client):
    seed_portfolio(50, seed=5, password=PASSWORD)
    user = db.session.scalars(select(User).where(User.email == f"risk1@{DOMAIN}")).one()
    login(client, user)
    return user


def _total(client, href: str) -> int:
    href = html_lib.unescape(href)
    page = client.get(href)
    assert page.status_code == 200, href
    path = href.split("?")[0]
    m = re.search(TOTALS[path], page.get_data(as_text=True))
    assert m, href
    return int(m.group(1))


def _linked_figures(html: str) -> list[tuple[str, int]]:
    """(link, figure) for every figure on the page that is a link to a list."""
    pairs = re.findall(r'<a (?:class="n" )?href="([^"]+)"[^>]*>\s*(\d+)\s*</a>', html)
    return [(h, int(n)) for h, n in pairs if h.split("?")[0] in TOTALS]


@pytest.mark.parametrize("query", ["", "?tier=high", "?rating=medium&due=90"])
def test_every_dashboard_figure_opens_a_list_of_that_many_rows(client, risk, query):
    html = client.get(f"/dashboard{query}").get_data(as_text=True)
    figures = _linked_figures(html)
    # KPIs, ratings, the heatmap's cells, tiers, statuses, severities (fewer where filtered)
    assert len(figures) >= (30 if not query else 15)
    for href, n in figures:
        assert _total(client, href) == n, (query, href)


def test_filters_narrow_every_figure(client, risk):
    everything = client.get("/dashboard").get_data(as_text=True)
    high = client.get("/dashboard?tier=high").get_data(as_text=True)

    def cell(page, tier, rating):
        m = re.search(rf'data-cell="{tier}:{rating}"[^>]*><(?:a|span)[^>]*>(\d+)<', page)
        return int(m.group(1))

    for rating in ("low", "medium", "high", "critical"):
        assert cell(high, "high", rating) == cell(everything, "high", rating)
        assert cell(high, "low", rating) == 0
    assert 'name="tier"' in high and '<option value="high" selected>' in high


def test_heatmap_cells_are_coloured_by_their_residual_rating(client, risk):
    html = client.get("/dashboard").get_data(as_text=True)
    cells = re.findall(
        r'data-cell="(\w+):(\w+)" data-severity="(\w+)" style="background: (#\w+)', html
    )
    assert len(cells) == 16
    colour_of = {}
    for _tier, rating, severity, colour in cells:
        assert severity == rating
        colour_of.setdefault(rating, set()).add(colour[:7])
    # one hue per rating whatever the tier: a low x low cell is never red
    assert all(len(c) == 1 for c in colour_of.values())
    assert colour_of["low"] != colour_of["critical"]


def test_data_tables_fold_behind_show_data(client, risk):
    html = client.get("/dashboard").get_data(as_text=True)
    assert html.count("<summary>Show data") >= 6
    assert re.search(
        r"<details class=\"numbers\"><summary>Show data</summary>\s*<table[^>]*id=\"table-by-rating\"",
        html,
    )
