"""The dashboard, the vendor register and overview against a hand-built data set: the HTML
table cells, the API summary and the portfolio workbook show the same numbers."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from flask import g
from openpyxl import load_workbook

from tests.conftest import login
from tests.reports.dataset import EXPECTED, build


def _cell(html: str, attrs: str) -> int:
    m = re.search(rf'<td class="(?:num|cell)" {attrs}[^>]*>\s*(?:<a [^>]*>)?\s*(\d+)\s*<', html)
    assert m, f"no cell with {attrs}"
    return int(m.group(1))


@pytest.fixture
def data(make):
    return build(make)


def test_dashboard_tables_match_the_api_and_the_workbook(client, api, data):
    login(client, data.risk)
    html = client.get("/dashboard").get_data(as_text=True)
    summary = api(data.risk).get("/portfolio/summary").get_json()
    book = load_workbook(io.BytesIO(api(data.risk).get("/portfolio/export.xlsx").data))
    ws = book["Summary"]
    sheet = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}

    for rating, expected in EXPECTED["by_rating"].items():
        shown = _cell(html, f'data-rating="{rating}"')
        assert shown == summary["by_rating"][rating] == sheet[rating] == expected, rating
    for tier, expected in EXPECTED["by_tier"].items():
        assert _cell(html, f'data-tier="{tier}"') == summary["by_tier"][tier] == expected
    for tier in ("low", "medium", "high", "critical"):
        for rating in ("low", "medium", "high", "critical"):
            expected = EXPECTED["heatmap_cells"].get((tier, rating), 0)
            shown = _cell(html, f'data-cell="{tier}:{rating}"')
            assert shown == summary["heatmap"][tier][rating] == expected, (tier, rating)
    for status, n in summary["by_status"].items():
        assert _cell(html, f'data-status="{status}"') == n
        assert n == EXPECTED["by_status_nonzero"].get(status, 0)
    for days, expected in EXPECTED["expiring"].items():
        assert _cell(html, f'data-days="{days}"') == summary["expiring_certificates"][days]
        assert summary["expiring_certificates"][days] == expected
        assert sheet[f"Certificates expiring within {days} days"] == expected
    assert summary["overdue_assessments"] == EXPECTED["overdue_assessments"]
    assert summary["findings"]["overdue"] == EXPECTED["overdue_findings"]
    assert summary["findings"]["by_status"]["risk_accepted"] == EXPECTED["risk_accepted"]
    assert 'id="stat-overdue">1<' in html
    assert 'id="stat-overdue-findings">1<' in html
    assert summary["reassessment"]["due"] == EXPECTED["reassessment_due"] == 1
    assert summary["reassessment"]["vendors"][0]["vendor"] == "Delta Decisions"
    assert 'id="table-reassessment"' in html and "Delta Decisions" in html
    # The ten weakest controls and the A.10 roll-up are the same in HTML and API.
    for gap in summary["top_control_gaps"]:
        assert f'data-control="{gap["ref"]}">{round(100 * gap["average_score"])}%' in html
    tp = summary["third_party"]
    assert tp["vendors"] == 2
    assert sum(tp["by_band"].values()) == 2
    for band, n in tp["by_band"].items():
        assert _cell(html, f'data-band="{band}"') == n
    month = date.today().strftime("%Y-%m")
    assert summary["ratings_over_time"][-1] == {
        "month": month,
        "low": 1,
        "medium": 0,
        "high": 1,
        "critical": 0,
    }
    assert _cell(html, f'data-cell="{month}:high"') == 1
    # Charts are server-rendered SVG next to their tables (no inline script: CSP).
    assert html.count("<svg") >= 6
    assert "<script>" not in html


def test_vendor_register_and_csv_have_one_row_per_vendor(client, data):
    login(client, data.risk)
    html = client.get("/vendors/register").get_data(as_text=True)
    assert html.count("<tr data-vendor=") == 4
    csv = client.get("/vendors/register?format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert lines[0].startswith("Vendor,Tier,Rating")
    assert len(lines) == 1 + 4
    bravo = next(line for line in lines if line.startswith("Bravo Bots"))
    assert ",critical,high," in bravo


def test_vendor_overview_shows_history_certificates_findings_and_next_date(client, data):
    login(client, data.buyer)
    html = client.get(f"/vendors/{data.alpha.id}/overview").get_data(as_text=True)
    assert "Alpha Analytics" in html
    assert 'id="chart-trend"' in html
    assert f'data-assessment="{data.a_alpha.id}"' in html
    assert "ISO/IEC 42001 certificate" in html and "45 days left" in html
    # Low tier: every 36 months from today's completion.
    nxt = date(date.today().year + 3, date.today().month, min(date.today().day, 28))
    assert nxt.strftime("%b %Y") in html
    html = client.get(f"/vendors/{data.bravo.id}/overview").get_data(as_text=True)
    assert data.overdue_finding.title[:40] in html
    html = client.get(f"/vendors/{data.delta.id}/overview").get_data(as_text=True)
    assert "Never assessed." in html and "due now" in html


def test_review_page_links_to_the_vendor_overview(client, data):
    login(client, data.risk)
    html = client.get(f"/review/assessments/{data.a_bravo.id}").get_data(as_text=True)
    assert f"/vendors/{data.bravo.id}/overview" in html


def test_vendor_users_cannot_open_staff_pages(client, make, data):
    vendor_user = make.user("vendor", vendor=data.alpha)
    login(client, vendor_user)
    for path in (
        "/dashboard",
        "/vendors/register",
        f"/vendors/{data.alpha.id}/overview",
        "/reports/portfolio.xlsx",
        "/reports/evidence-pack.xlsx",
        "/vendors/register?format=csv",
    ):
        assert client.get(path).status_code == 403, path


def test_dashboard_downloads_are_workbooks(client, data):
    login(client, data.buyer)
    for path in ("/reports/portfolio.xlsx", "/reports/evidence-pack.xlsx"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.mimetype.endswith("spreadsheetml.sheet")
        assert "attachment" in r.headers["Content-Disposition"]
        load_workbook(io.BytesIO(r.data))


def test_empty_dashboard_renders(client, login_as):
    login_as("risk")
    r = client.get("/dashboard")
    assert r.status_code == 200
    assert "No completed assessments yet." in r.get_data(as_text=True)


def test_dashboard_register_and_export_use_a_fixed_number_of_queries(client, make, data):
    from sqlalchemy import event

    from vendorassure.extensions import db
    from vendorassure.services import findings

    def count(path: str) -> int:
        seen = []

        def on_execute(_conn, _cursor, statement, *_args):
            seen.append(statement)

        g.pop("_login_user", None)  # every request loads the signed-in user once
        db.session.expire_all()
        engine = db.engine
        event.listen(engine, "before_cursor_execute", on_execute)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
        return seen

    login(client, data.risk)
    paths = (
        "/dashboard",
        "/vendors/register?format=csv",
        "/reports/portfolio.xlsx",
        "/reports/evidence-pack.xlsx",
        "/review/?status=all",
        "/review/findings?status=all",
    )
    before = {p: count(p) for p in paths}
    for i in range(3):
        vendor = make.vendor(f"Extra {i}", level="high")
        a = make.assessment(vendor)
        a.due_date = date.today() - timedelta(days=1)
        db.session.commit()
        findings.create_finding(
            data.risk, a, {"title": f"Extra finding {i}", "due_date": "2020-01-01"}
        )
    after = {p: count(p) for p in paths}
    for p in paths:
        assert len(after[p]) == len(before[p]), (p, set(after[p]) - set(before[p]))
