"""The Excel round trip in the browser: download the workbook, fill it with openpyxl, upload it,
read the diff and confirm it."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in
from tests.conftest import PASSWORD
from vendorassure.extensions import db
from vendorassure.services import assessments

pytestmark = pytest.mark.browser


def test_excel_round_trip_download_fill_upload_confirm(app, make, page, tmp_path):
    vendor = make.vendor(name="Helix Hiring AI")
    a = make.assessment(vendor, "iso42001-ai-vendor")
    user = make.user("vendor", vendor=vendor)
    qs = [q for q in a.questionnaire.questions if not q.show_if]
    single = next(q for q in qs if q.type == "single_choice")
    yes_no = next(q for q in qs if q.type == "yes_no_partial")
    assessments.save_answer(user, a, yes_no.key, yes_no.options[-1]["value"])
    sign_in(page, user.email, PASSWORD)
    page.goto(f"/portal/assessments/{a.id}")
    page.click("#excel-link")
    with page.expect_download() as info:
        page.click("#workbook-download")
    path = tmp_path / "answers.xlsx"
    info.value.save_as(path)

    book = load_workbook(path)
    rows = {r[10].value: r for r in book["Answers"].iter_rows(min_row=2) if r[10].value}
    assert rows[yes_no.key][6].value == yes_no.options[-1]["label"]  # what is saved is filled in
    rows[single.key][6].value = single.options[0]["label"]
    rows[yes_no.key][6].value = yes_no.options[0]["label"]
    book.save(path)

    page.set_input_files("input[name=wb-file]", str(path))
    page.click("#workbook-form button[type=submit]")
    diff = page.locator("#diff-table")
    expect(diff.locator(f"tr[data-key={single.key}]")).to_contain_text("new")
    expect(diff.locator(f"tr[data-key={yes_no.key}]")).to_contain_text("changed")
    expect(page.locator("#diff-counts")).to_contain_text("1 new")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "x01-excel-diff.png"), full_page=True)
    db.session.rollback()
    assert single.key not in assessments.answer_map(a)  # nothing before confirming
    page.click("#confirm-import")
    expect(page.locator(".flash-success")).to_contain_text("Saved 2 answer(s) from the workbook")
    db.session.rollback()
    stored = assessments.answer_map(a)
    assert stored[single.key].value == single.options[0]["value"]
    assert stored[yes_no.key].value == yes_no.options[0]["value"]
