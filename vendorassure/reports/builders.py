"""Workbook builders: pure functions, DataFrames in, .xlsx bytes out (no database, no Flask)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..scoring.batch import gc_paused
from .sheets import Book, print_setup, write_fields, write_table

RATINGS = ("low", "medium", "high", "critical")
RATING_COLOURS = {"low": "#2E7D32", "medium": "#F9A825", "high": "#EF6C00", "critical": "#C62828"}


@dataclass
class AssessmentFrames:
    """What the assessment workbook shows; the loader fills it, one query per sheet."""

    summary: list[tuple]  # (label, value) or (label, value, "percent")
    drivers: pd.DataFrame
    red_flags: pd.DataFrame
    caps: pd.DataFrame
    contradictions: pd.DataFrame
    certificates: pd.DataFrame
    what_it_would_take: pd.DataFrame
    objectives: pd.DataFrame  # Objective, Title, Score, Coverage
    controls: pd.DataFrame
    answers: pd.DataFrame
    evidence: pd.DataFrame
    findings: pd.DataFrame


@dataclass
class PortfolioFrames:
    """What the portfolio register shows."""

    as_of: object
    figures: list[tuple]
    register: pd.DataFrame
    ratings: pd.DataFrame  # Rating, Vendors
    heatmap: pd.DataFrame  # Tier, low, medium, high, critical
    weakest: pd.DataFrame  # Control, Title, Average score, Vendors
    over_time: pd.DataFrame  # Month, low, medium, high, critical
    third_party: pd.DataFrame = field(default_factory=pd.DataFrame)  # Band, Vendors


@dataclass
class EvidencePackFrames:
    """The buyer's ISO/IEC 42001 A.10 evidence pack."""

    about: list[tuple[str, object]]
    suppliers: pd.DataFrame
    assessments: pd.DataFrame
    accepted_risks: pd.DataFrame
    findings: pd.DataFrame
    certificates: pd.DataFrame


PERCENT_COLUMNS = (
    "Score",
    "Coverage",
    "Gap",
    "Weight",
    "Current",
    "Target",
    "A.10 score",
    "Average score",
    "Effectiveness",
)


def _formats(frame: pd.DataFrame) -> dict[str, str]:
    out = {c: "percent" for c in frame.columns if c in PERCENT_COLUMNS}
    if "Risk score" in frame.columns:
        out["Risk score"] = "number"
    return out


def build_assessment_workbook(f: AssessmentFrames) -> bytes:
    """Summary (rating, drivers, override, a native chart of objective scores), Answers,
    Controls, Objectives, Evidence and Findings."""
    book = Book()
    ws = book.wb.add_worksheet("Summary")
    print_setup(ws)
    ws.write(0, 0, "Assessment summary", book.title)
    row = write_fields(book, ws, f.summary, start_row=2) + 1
    for title, frame in (
        ("Top drivers of the rating", f.drivers),
        ("Red flags", f.red_flags),
        ("Areas that cap the rating", f.caps),
        ("Contradictions", f.contradictions),
        ("Certificate credits", f.certificates),
        ("What it would take to rate one step better", f.what_it_would_take),
    ):
        ws.write(row, 0, title, book.bold)
        if frame.empty:
            ws.write(row + 1, 0, "None", book.top)
            row += 3
            continue
        _, _, last = write_table(
            book, "Summary", frame, formats=_formats(frame), start_row=row + 1, sheet=ws
        )
        row = last + 2
    ws.set_column(2, 5, 12)

    write_table(book, "Answers", f.answers)
    write_table(book, "Controls", f.controls, formats=_formats(f.controls))
    _, first, last = write_table(book, "Objectives", f.objectives, formats=_formats(f.objectives))
    write_table(book, "Evidence", f.evidence)
    write_table(book, "Findings", f.findings)

    if last >= first:
        chart = book.wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": "Objective score",
                "categories": ["Objectives", first, 0, last, 0],
                "values": ["Objectives", first, 2, last, 2],
                "fill": {"color": "#1F3A5F"},
                "data_labels": {"value": True, "num_format": "0%"},
            }
        )
        chart.set_title({"name": "Score by Annex A objective"})
        chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%"})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
        chart.set_size({"width": 620, "height": 420})
        ws.insert_chart("G3", chart)
    return book.close()


def _rating_chart(book: Book, sheet: str, first: int, last: int, title: str):
    chart = book.wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "Vendors",
            "categories": [sheet, first, 0, last, 0],
            "values": [sheet, first, 1, last, 1],
            "points": [
                {"fill": {"color": RATING_COLOURS.get(r, "#9E9E9E")}} for r in (*RATINGS, "unrated")
            ],
            "data_labels": {"value": True},
        }
    )
    chart.set_title({"name": title})
    chart.set_legend({"none": True})
    chart.set_y_axis({"min": 0, "major_unit": 1, "major_gridlines": {"visible": True}})
    return chart


def build_portfolio_workbook(f: PortfolioFrames) -> bytes:
    """The vendor register (one row per vendor) with summary figures and native charts."""
    # a cell object per figure, none of them cyclic: the collector's passes over tens of
    # thousands of them were a third of the time at 20,000 vendors
    with gc_paused():
        return _portfolio_workbook(f)


def _portfolio_workbook(f: PortfolioFrames) -> bytes:
    book = Book()
    write_table(book, "Register", f.register, formats=_formats(f.register))

    ws = book.wb.add_worksheet("Summary")
    print_setup(ws)
    ws.write(0, 0, f"Portfolio summary as of {f.as_of}", book.title)
    row = write_fields(book, ws, f.figures, start_row=2) + 2

    _, r_first, r_last = write_table(
        book, "Summary", f.ratings, start_row=row, sheet=ws, title="Vendors by residual rating"
    )
    ws.insert_chart(
        2, 3, _rating_chart(book, "Summary", r_first, r_last, "Vendors by residual rating")
    )
    row = r_last + 2
    _, h_first, h_last = write_table(
        book,
        "Summary",
        f.heatmap,
        start_row=row,
        sheet=ws,
        title="Inherent tier (rows) x residual rating (columns)",
    )
    ws.conditional_format(
        h_first,
        1,
        h_last,
        4,
        {"type": "2_color_scale", "min_color": "#FFFFFF", "max_color": "#C62828"},
    )
    row = h_last + 2
    if not f.third_party.empty:
        _, t_first, t_last = write_table(
            book,
            "Summary",
            f.third_party,
            start_row=row,
            sheet=ws,
            title="A.10 third-party roll-up: vendors per band",
        )
        row = t_last + 2

    _, w_first, w_last = write_table(
        book, "Weakest controls", f.weakest, formats=_formats(f.weakest)
    )
    if w_last >= w_first:
        chart = book.wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": "Average score",
                "categories": ["Weakest controls", w_first, 0, w_last, 0],
                "values": ["Weakest controls", w_first, 2, w_last, 2],
                "fill": {"color": "#EF6C00"},
                "data_labels": {"value": True, "num_format": "0%"},
            }
        )
        chart.set_title({"name": "Ten weakest controls across vendors"})
        chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%"})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
        book.wb.get_worksheet_by_name("Weakest controls").insert_chart("F2", chart)

    _, o_first, o_last = write_table(book, "Ratings over time", f.over_time)
    if o_last >= o_first:
        chart = book.wb.add_chart({"type": "column", "subtype": "stacked"})
        for j, rating in enumerate(RATINGS, start=1):
            chart.add_series(
                {
                    "name": ["Ratings over time", o_first - 1, j],
                    "categories": ["Ratings over time", o_first, 0, o_last, 0],
                    "values": ["Ratings over time", o_first, j, o_last, j],
                    "fill": {"color": RATING_COLOURS[rating]},
                }
            )
        chart.set_title({"name": "Completed assessments by month and rating"})
        book.wb.get_worksheet_by_name("Ratings over time").insert_chart("G2", chart)
    return book.close()


def build_evidence_pack(f: EvidencePackFrames) -> bytes:
    """The buyer's A.10 evidence pack: suppliers, their assessments and decisions, accepted
    risks with expiry, open findings and certificates on file."""
    book = Book()
    ws = book.wb.add_worksheet("About")
    print_setup(ws)
    ws.write(0, 0, "ISO/IEC 42001 A.10 supplier evidence pack", book.title)
    write_fields(book, ws, f.about, start_row=2)
    write_table(book, "AI suppliers", f.suppliers, formats=_formats(f.suppliers))
    write_table(book, "Assessments", f.assessments, formats=_formats(f.assessments))
    write_table(book, "Accepted risks", f.accepted_risks)
    write_table(book, "Findings", f.findings)
    write_table(book, "Certificates", f.certificates)
    return book.close()
