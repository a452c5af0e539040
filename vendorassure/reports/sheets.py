"""Low-level sheet writing with XlsxWriter: tables with frozen headers, filters, widths, wraps.

Rows are written directly (no pandas Styler, no per-cell formatting by pandas): that is several
times faster than DataFrame.to_excel for large registers (shared/RECIPES.md).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
import xlsxwriter

MAX_WIDTH = 60
WRAP_WIDTH = 50  # a column whose content is longer than this wraps
# A table at most this many characters wide still reads when scaled to one page wide; a wider one
# prints across pages at full size, its header row and first column repeated on each.
FIT_WIDTH = 190
LINE_HEIGHT = 15  # points per line of wrapped text
MAX_ROW_HEIGHT = 409  # Excel's limit


@dataclass
class Book:
    """An in-memory workbook with the few formats every report uses."""

    buffer: io.BytesIO = field(default_factory=io.BytesIO)

    def __post_init__(self):
        self.wb = xlsxwriter.Workbook(
            self.buffer,
            {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        self.header = self.wb.add_format(
            {
                "bold": True,
                "bg_color": "#1F3A5F",
                "font_color": "#FFFFFF",
                "text_wrap": True,
                "valign": "top",
                "border": 1,
            }
        )
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.bold = self.wb.add_format({"bold": True, "valign": "top"})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.top = self.wb.add_format({"valign": "top"})
        self.date = self.wb.add_format({"num_format": "yyyy-mm-dd", "valign": "top"})
        self.datetime = self.wb.add_format({"num_format": "yyyy-mm-dd hh:mm", "valign": "top"})
        self.percent = self.wb.add_format({"num_format": "0%", "valign": "top"})
        self.number = self.wb.add_format({"num_format": "0.0", "valign": "top"})
        self.integer = self.wb.add_format({"num_format": "0", "valign": "top"})

    def close(self) -> bytes:
        self.wb.close()
        return self.buffer.getvalue()


def _clean(value):
    """Turn pandas/NumPy missing values and types into what XlsxWriter writes."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()  # NumPy scalar
    return value


def _text_len(value) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return 8
    return max((len(line) for line in str(value).splitlines()), default=0)


def write_table(
    book: Book,
    name: str,
    frame: pd.DataFrame,
    *,
    formats: dict[str, str] | None = None,
    start_row: int = 0,
    title: str | None = None,
    sheet=None,
):
    """Write a DataFrame as a table: bold frozen header, autofilter, widths, wrapped long text.

    `formats` maps a column to "percent", "number", "integer", "date" or "datetime".
    Returns (worksheet, first data row, last data row).
    """
    ws = sheet or book.wb.add_worksheet(name)
    formats = formats or {}
    row0 = start_row
    if title:
        ws.write(row0, 0, title, book.title)
        row0 += 2
    columns = list(frame.columns)
    ws.write_row(row0, 0, columns, book.header)
    widths = [max(len(str(c)), 6) for c in columns]
    col_fmt = []
    for c in columns:
        kind = formats.get(c)
        col_fmt.append(getattr(book, kind) if kind else None)
    wrapped: dict[int, list[tuple[int, str]]] = {}  # row -> wrapped cells (column, text)
    write_string = ws.write_string
    for i, values in enumerate(frame.itertuples(index=False, name=None), start=row0 + 1):
        for j, raw in enumerate(values):
            if type(raw) is str:  # the common cell, written without the general dispatch
                fmt = col_fmt[j]
                if fmt is None:
                    if len(raw) > WRAP_WIDTH or "\n" in raw:
                        fmt = book.wrap
                        wrapped.setdefault(i, []).append((j, raw))
                    else:
                        fmt = book.top
                write_string(i, j, raw, fmt)
                n = len(raw) if "\n" not in raw else _text_len(raw)
                if n > widths[j]:
                    widths[j] = n
                continue
            value = _clean(raw)
            fmt = col_fmt[j]
            if fmt is None:
                if isinstance(value, datetime):
                    fmt = book.datetime
                elif isinstance(value, date):
                    fmt = book.date
                elif isinstance(value, str) and (len(value) > WRAP_WIDTH or "\n" in value):
                    fmt = book.wrap
                    wrapped.setdefault(i, []).append((j, value))
                else:
                    fmt = book.top
            if value is None:
                ws.write_blank(i, j, None, fmt)
            elif isinstance(value, datetime):
                ws.write_datetime(i, j, value, fmt)
            elif isinstance(value, date):
                ws.write_datetime(i, j, datetime(value.year, value.month, value.day), fmt)
            elif isinstance(value, bool):
                ws.write_boolean(i, j, value, fmt)
            elif isinstance(value, int | float):
                ws.write_number(i, j, value, fmt)
            else:
                ws.write_string(i, j, str(value), fmt)
            widths[j] = max(widths[j], _text_len(value))
    last = row0 + len(frame)
    final = [min(w + 2, MAX_WIDTH) for w in widths]
    if sheet is None:  # widths of a shared sheet are set by its first table
        for j, w in enumerate(final):
            ws.set_column(j, j, w)
    # Wrapped text does not grow its row by itself in a written file: set each row's height
    # from its longest wrapped cell, so printed rows never overlap or cut text off.
    for i, cells in wrapped.items():
        lines = max(
            wrapped_lines(text, final[j] if sheet is None else MAX_WIDTH) for j, text in cells
        )
        if lines > 1:
            ws.set_row(i, min(LINE_HEIGHT * lines, MAX_ROW_HEIGHT))
    if sheet is None:  # a sheet of its own: freeze the header and filter (one filter a sheet)
        ws.freeze_panes(row0 + 1, 0)
        print_setup(ws, sum(final))
        ws.repeat_rows(row0)
        ws.autofilter(row0, 0, max(last, row0), max(len(columns) - 1, 0))
    return ws, row0 + 1, last


def wrapped_lines(text: str, width: int) -> int:
    """How many lines a wrapped cell of this column width shows (about one character a unit)."""
    width = max(int(width) - 1, 1)
    return sum(max(1, math.ceil(len(line) / width)) for line in str(text).splitlines() or [""])


def print_setup(ws, total_width: float | None = None) -> None:
    """Landscape A4 with page numbers. Scaled to one page wide only where it still reads (a
    table up to FIT_WIDTH characters wide); a wider one prints at full size across pages with its
    first column repeated."""
    ws.set_landscape()
    ws.set_paper(9)
    if total_width is None or total_width <= FIT_WIDTH:
        ws.fit_to_pages(1, 0)
    else:
        ws.repeat_columns(0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer("&L&A&RPage &P of &N")


def write_fields(book: Book, ws, rows: list[tuple], start_row: int = 0) -> int:
    """Write (label, value[, "percent"]) rows in two columns; return the next free row."""
    ws.set_column(0, 0, 38)
    ws.set_column(1, 1, 48)
    for i, item in enumerate(rows, start=start_row):
        label, value = item[0], item[1]
        kind = item[2] if len(item) > 2 else None
        ws.write_string(i, 0, label, book.bold)
        value = _clean(value)
        if kind and value is not None:
            ws.write(i, 1, value, getattr(book, kind))
        elif value is None:
            ws.write_blank(i, 1, None)
        elif isinstance(value, datetime):
            ws.write_datetime(i, 1, value, book.datetime)
        elif isinstance(value, date):
            ws.write_datetime(i, 1, datetime(value.year, value.month, value.day), book.date)
        elif isinstance(value, bool):
            ws.write_boolean(i, 1, value)
        elif isinstance(value, int | float):
            ws.write_number(i, 1, value)
        else:
            ws.write_string(i, 1, str(value), book.wrap)
            lines = wrapped_lines(str(value), 48)
            if lines > 1:
                ws.set_row(i, min(LINE_HEIGHT * lines, MAX_ROW_HEIGHT))
    return start_row + len(rows)


CSV_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def to_csv(frame: pd.DataFrame) -> bytes:
    """CSV (UTF-8 with BOM for Excel) with spreadsheet formula injection neutralised."""

    def guard(value):
        if isinstance(value, str) and value.startswith(CSV_DANGEROUS):
            return "'" + value
        return value

    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(guard)
    return safe.to_csv(index=False).encode("utf-8-sig")
