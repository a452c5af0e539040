"""Excel reports over the API: staff only, workbooks that open, the same numbers as the summary."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.helpers import answer_all
from vendorassure.services import assessments

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def scored(make):
    vendor = make.vendor("Juliet Journals")
    a = make.assessment(vendor)
    contact = make.user("vendor", vendor=vendor)
    answer_all(contact, a, best=True)
    assessments.submit_assessment(contact, a)
    return a, contact


@pytest.mark.parametrize("role", ["risk", "procurement", "admin"])
def test_staff_download_the_three_workbooks(api, make, scored, role):
    a, _ = scored
    client = api(make.user(role))
    for path, sheet in (
        (f"/assessments/{a.id}/export.xlsx", "Answers"),
        ("/portfolio/export.xlsx", "Register"),
        ("/portfolio/evidence-pack.xlsx", "AI suppliers"),
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.mimetype == XLSX
        assert r.headers["Content-Disposition"].startswith("attachment")
        assert r.headers["Cache-Control"] == "private, no-store"
        assert sheet in load_workbook(io.BytesIO(r.data)).sheetnames


def test_vendors_and_anonymous_callers_get_no_workbook(api, make, scored):
    a, contact = scored
    vendor = api(contact)
    for path in (
        f"/assessments/{a.id}/export.xlsx",
        "/portfolio/export.xlsx",
        "/portfolio/evidence-pack.xlsx",
    ):
        r = vendor.get(path)
        assert r.status_code == 403, path
        assert r.get_json()["error"]["code"] == "forbidden"
        assert api(None).get(path).status_code == 401


def test_missing_assessment_is_404(api, make):
    r = api(make.user("risk")).get("/assessments/987654/export.xlsx")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_portfolio_workbook_has_a_row_per_vendor_with_the_api_rating(api, make, scored):
    a, _ = scored
    make.vendor("Kilo Knowledge")
    risk = api(make.user("risk"))
    wb = load_workbook(io.BytesIO(risk.get("/portfolio/export.xlsx").data))
    rows = list(wb["Register"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in rows) == ["Juliet Journals", "Kilo Knowledge"]
    rating = risk.get(f"/assessments/{a.id}").get_json()["final_rating"]
    assert next(r for r in rows if r[0] == "Juliet Journals")[2] == rating
    summary = risk.get("/portfolio/summary").get_json()
    assert summary["by_rating"][rating] == 1 and summary["by_rating"]["unrated"] == 1


def test_openapi_documents_the_new_routes(api):
    paths = api(None).get("/openapi.json").get_json()["paths"]
    for p in (
        "/api/v1/portfolio/export.xlsx",
        "/api/v1/portfolio/evidence-pack.xlsx",
        "/api/v1/findings/{finding_id}/response",
    ):
        assert p.replace("/api/v1", "") in paths, p
