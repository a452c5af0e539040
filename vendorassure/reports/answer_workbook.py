"""The offline answer workbook: pure functions, rows in and .xlsx bytes out, bytes in and rows
out (no database, no Flask). A vendor downloads it, answers in Excel (option questions offer
their labels in a drop-down list), and uploads it again."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

import xlsxwriter

SHEET = "Answers"
KEY_PROPERTY = "vendorassure_assessment"
MAX_ROWS = 2000  # a questionnaire is bounded; anything longer is not our file


@dataclass
class SheetRow:
    """One question as the workbook shows it, with the stored answer as Excel text."""

    key: str
    number: str
    section: str
    text: str
    how: str  # how to answer, in words
    condition: str  # "" or when the question applies
    required: bool
    labels: list[str]  # option labels ([] for free answers)
    multiple: bool
    allows_na: bool
    answer: object = ""
    na: bool = False
    na_reason: str = ""
    comment: str = ""


@dataclass
class ParsedRow:
    """One answered row read back from a workbook."""

    row: int
    key: str
    answer: object
    na: bool
    na_reason: str
    comment: str


@dataclass
class Parsed:
    assessment: str | None
    rows: list[ParsedRow] = field(default_factory=list)


COLUMNS = ("number", "section", "question", "how", "applies", "required", "answer", "na",
           "na_reason", "comment", "key")  # fmt: skip


def build_answer_workbook(rows: list[SheetRow], meta: dict, labels: dict) -> bytes:
    """Write the workbook; META: assessment id, title lines for the first sheet; LABELS: the
    column headers and fixed words in the reader's language."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_custom_property(KEY_PROPERTY, str(meta["assessment_id"]))
    head = book.add_format({"bold": True, "bg_color": "#1F3F9A", "font_color": "#FFFFFF",
                            "text_wrap": True, "valign": "top", "border": 1})  # fmt: skip
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    fixed = book.add_format({"text_wrap": True, "valign": "top", "font_color": "#44526A"})
    entry = book.add_format({"text_wrap": True, "valign": "top", "bg_color": "#FFF8E1",
                             "border": 1, "border_color": "#E0C080", "locked": False})  # fmt: skip
    sheet = book.add_worksheet(SHEET)
    lists = book.add_worksheet("Lists")
    readme = book.add_worksheet(labels["readme_sheet"])
    widths = (7, 20, 60, 30, 24, 9, 36, 14, 30, 30, 4)
    for col, (name, width) in enumerate(zip(COLUMNS, widths, strict=True)):
        sheet.write(0, col, labels[name], head)
        sheet.set_column(col, col, width)
    sheet.set_column(len(COLUMNS) - 1, len(COLUMNS) - 1, None, None, {"hidden": True})
    sheet.freeze_panes(1, 3)
    sheet.set_row(0, 32)
    list_col = 0
    for i, r in enumerate(rows, start=1):
        sheet.write_string(i, 0, r.number, fixed)
        sheet.write_string(i, 1, r.section, fixed)
        sheet.write_string(i, 2, r.text, wrap)
        sheet.write_string(i, 3, r.how, fixed)
        sheet.write_string(i, 4, r.condition, fixed)
        sheet.write_string(i, 5, labels["yes"] if r.required else "", fixed)
        answer = r.answer
        if isinstance(answer, (int, float)) and not isinstance(answer, bool):
            sheet.write_number(i, 6, answer, entry)
        else:
            sheet.write_string(i, 6, str(answer or ""), entry)
        sheet.write_string(i, 7, labels["yes"] if r.na else "", entry)
        sheet.write_string(i, 8, r.na_reason or "", entry)
        sheet.write_string(i, 9, r.comment or "", entry)
        sheet.write_string(i, 10, r.key)
        if r.labels and not r.multiple:
            for j, label in enumerate(r.labels):
                lists.write_string(j, list_col, label)
            column = xlsxwriter.utility.xl_col_to_name(list_col)
            sheet.data_validation(i, 6, i, 6, {
                "validate": "list",
                "source": f"=Lists!${column}$1:${column}${len(r.labels)}",
                "error_title": labels["invalid_title"],
                "error_message": labels["invalid_choice"],
            })  # fmt: skip
            list_col += 1
        if r.allows_na:
            sheet.data_validation(i, 7, i, 7, {"validate": "list", "source": [labels["yes"]]})
    lists.hide()
    readme.set_column(0, 0, 100)
    for i, line in enumerate(meta["lines"]):
        readme.write_string(i, 0, line, head if i == 0 else wrap)
    book.close()
    return out.getvalue()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_answer_workbook(data: bytes, yes_words: set[str]) -> Parsed:
    """Read the answer rows back; raise ValueError with a sentence when it is not our workbook."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValueError("This is not an Excel workbook (.xlsx) that the portal can read.") from exc
    try:
        if SHEET not in book.sheetnames:
            raise ValueError(f"The workbook has no “{SHEET}” sheet: download a fresh copy.")
        prop = next((p for p in book.custom_doc_props.props if p.name == KEY_PROPERTY), None)
        parsed = Parsed(assessment=str(prop.value) if prop is not None else None)
        for index, values in enumerate(book[SHEET].iter_rows(min_row=2, values_only=True), 2):
            if index > MAX_ROWS:
                raise ValueError(f"The workbook has more than {MAX_ROWS} rows.")
            values = list(values) + [None] * (len(COLUMNS) - len(values))
            key = _cell_text(values[10])
            if not key:
                continue
            answer = values[6]
            if isinstance(answer, str):
                answer = answer.strip()
            elif isinstance(answer, datetime):
                answer = answer.date().isoformat()
            parsed.rows.append(
                ParsedRow(
                    row=index,
                    key=key,
                    answer=answer,
                    na=_cell_text(values[7]).lower() in yes_words,
                    na_reason=_cell_text(values[8]),
                    comment=_cell_text(values[9]),
                )
            )
        return parsed
    finally:
        book.close()
