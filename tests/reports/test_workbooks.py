"""Workbooks read back with openpyxl: sheets, headers, row counts, native charts, numbers."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.reports.dataset import EXPECTED, build
from vendorassure.queries import portfolio
from vendorassure.reports import (
    build_assessment_workbook,
    build_evidence_pack,
    build_portfolio_workbook,
    loader,
    to_csv,
)
from vendorassure.services.scoring import score_view


def _book(data: bytes):
    return load_workbook(io.BytesIO(data))


def _headers(ws, row: int = 1) -> list:
    return [c.value for c in ws[row] if c.value is not None]


@pytest.fixture
def data(make):
    return build(make)


def test_assessment_workbook_has_the_sheets_headers_rows_and_chart(data):
    frames = loader.load_assessment(data.a_bravo)
    wb = _book(build_assessment_workbook(frames))
    assert wb.sheetnames[:1] == ["Summary"]
    assert {"Summary", "Answers", "Controls", "Evidence", "Findings", "Objectives"} <= set(
        wb.sheetnames
    )
    questions = len(data.a_bravo.questionnaire.questions)
    answers = wb["Answers"]
    assert _headers(answers)[:5] == ["Objective", "No.", "Question key", "Question", "Answer"]
    assert answers.max_row == questions + 1
    assert answers.freeze_panes == "A2"
    assert answers.auto_filter.ref is not None
    controls = wb["Controls"]
    assert controls.max_row == 38 + 1  # every Annex A control, assessed or not
    findings = wb["Findings"]
    assert _headers(findings)[:5] == ["Finding", "Vendor", "Assessment", "Severity", "Status"]
    assert findings.max_row - 1 == len(frames.findings) >= 2
    summary = wb["Summary"]
    assert len(summary._charts) == 1  # the native chart of objective scores
    labels = {summary.cell(r, 1).value: summary.cell(r, 2).value for r in range(1, 25)}
    assert labels["Computed rating"] == "Critical"
    assert labels["Override rating"] == "High"
    assert labels["Override reason"] == "Contract limits use to internal pilots."
    assert labels["Final rating"] == "High"
    # the explanation is in words: red flags with their reasons, no question keys anywhere
    cells = [str(c.value) for row in summary.iter_rows() for c in row if c.value is not None]
    assert "Red flags" in cells and "What it would take to rate one step better" in cells
    keys = {q.key for q in data.a_bravo.questionnaire.questions}
    assert not [c for c in cells for k in keys if k in c.split()]
    # The objective scores behind the chart are the engine's numbers.
    objectives = wb["Objectives"]
    engine = {o["ref"]: o["score"] for o in score_view(data.a_bravo)["objectives"]}
    sheet = {
        objectives.cell(r, 1).value: objectives.cell(r, 3).value
        for r in range(2, objectives.max_row + 1)
    }
    assert sheet == engine


def test_portfolio_workbook_matches_the_summary_and_has_one_row_per_vendor(data):
    wb = _book(build_portfolio_workbook(loader.load_portfolio()))
    register = wb["Register"]
    header = _headers(register)
    assert header[:6] == ["Vendor", "Tier", "Rating", "Computed rating", "Risk score", "A.10 score"]
    rows = list(register.iter_rows(min_row=2, values_only=True))
    assert len(rows) == EXPECTED["vendors"]
    by_vendor = {r[0]: dict(zip(header, r, strict=False)) for r in rows}
    assert by_vendor["Bravo Bots"]["Rating"] == "high"
    assert by_vendor["Bravo Bots"]["Computed rating"] == "critical"
    assert by_vendor["Bravo Bots"]["Open findings"] == 1
    assert by_vendor["Bravo Bots"]["Accepted risks"] == 1
    assert by_vendor["Alpha Analytics"]["Certificates"] == "ISO/IEC 42001 certificate"
    assert by_vendor["Delta Decisions"]["Rating"] is None
    assert by_vendor["Delta Decisions"]["Next due"].date() == date.today()

    summary = wb["Summary"]
    values = {
        summary.cell(r, 1).value: summary.cell(r, 2).value for r in range(1, summary.max_row + 1)
    }
    api = portfolio.summary()
    for rating in ("low", "medium", "high", "critical", "unrated"):
        assert values[rating] == api["by_rating"][rating] == EXPECTED["by_rating"][rating]
    assert values["Overdue assessments"] == api["overdue_assessments"] == 1
    assert values["Overdue findings"] == api["findings"]["overdue"] == 1
    assert values["Certificates expiring within 60 days"] == 1
    assert values["Certificates expiring within 30 days"] == 0
    assert values["Vendors due for reassessment"] == 1
    assert len(summary._charts) == 1
    assert len(wb["Weakest controls"]._charts) == 1
    assert len(wb["Ratings over time"]._charts) == 1
    weakest = list(wb["Weakest controls"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in weakest] == [g["ref"] for g in api["top_control_gaps"]]


def test_evidence_pack_lists_suppliers_decisions_and_accepted_risks(data):
    wb = _book(build_evidence_pack(loader.load_evidence_pack()))
    assert wb.sheetnames == [
        "About",
        "AI suppliers",
        "Assessments",
        "Accepted risks",
        "Findings",
        "Certificates",
    ]
    assert wb["AI suppliers"].max_row == 1 + 4
    assessments = list(wb["Assessments"].iter_rows(min_row=2, values_only=True))
    assert len(assessments) == 3
    header = _headers(wb["Assessments"])
    bravo = dict(zip(header, next(r for r in assessments if r[0] == "Bravo Bots"), strict=False))
    assert bravo["Final rating"] == "high"
    assert bravo["Override reason"] == "Contract limits use to internal pilots."
    accepted = list(wb["Accepted risks"].iter_rows(min_row=2, values_only=True))
    assert len(accepted) == 1
    row = dict(zip(_headers(wb["Accepted risks"]), accepted[0], strict=False))
    assert row["Acceptance reason"] == "Compensating control at our side."
    assert row["Accepted until"] is not None
    assert row["Expired"] is False


def test_builders_are_pure_and_handle_an_empty_portfolio(app):
    frames = loader.load_portfolio()
    wb = _book(build_portfolio_workbook(frames))
    assert wb["Register"].max_row == 1
    assert _headers(wb["Register"])[0] == "Vendor"


def test_csv_neutralises_formulas():
    frame = pd.DataFrame({"Vendor": ['=HYPERLINK("x")', "Plain", "-1+2"], "N": [1, -2, 3]})
    text = to_csv(frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "'-1+2" in text
    assert ",-2" in text  # numbers are left alone
