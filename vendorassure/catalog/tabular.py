"""Excel/CSV round trip for questionnaires (pure Python + pandas + xlsxwriter/openpyxl).

Two layouts are read:

* our own layout (written by :func:`write_questionnaire_xlsx`, one row per question with the
  columns in :data:`FRAME_COLUMNS`), read back exactly;
* the common industry layout (an ID column, a question column, optional guidance, section and
  control-mapping columns, possibly with title rows above the header), mapped as far as possible,
  with notes on what could not be mapped.

See docs/QUESTIONNAIRES.md, "Excel and CSV".
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd

from . import mapping
from .validate import (
    Problem,
    load_control_catalog,
    validate_questionnaire,
)

FRAME_COLUMNS = [
    "section_key",
    "section_title",
    "section_description",
    "key",
    "order",
    "text",
    "help",
    "type",
    "required",
    "allows_na",
    "options",
    "evidence_kinds",
    "show_if",
    "controls",
    "weight",
    "knockout_values",
    "knockout_min_rating",
    "score_mode",
    "scored",
]
REQUIRED_COLUMNS = ("section_key", "key", "text", "type")
QUESTIONS_SHEET = "Questions"
META_SHEET = "Questionnaire"
META_FIELDS = ("key", "title", "description", "coverage")

COLUMN_WIDTHS = {
    "section_key": 16,
    "section_title": 24,
    "section_description": 30,
    "key": 28,
    "order": 7,
    "text": 60,
    "help": 50,
    "type": 15,
    "required": 10,
    "allows_na": 10,
    "options": 55,
    "evidence_kinds": 22,
    "show_if": 32,
    "controls": 24,
    "weight": 8,
    "knockout_values": 18,
    "knockout_min_rating": 14,
}

INDUSTRY_OPTIONS = [
    {"value": "yes", "label": "Yes", "score": 1.0},
    {"value": "partial", "label": "Partly", "score": 0.5},
    {"value": "no", "label": "No", "score": 0.0},
]
HEADER_SCAN_ROWS = 15
DEFAULT_CONTROLS_DIR = Path(__file__).resolve().parents[2] / "questionnaires" / "controls"

_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}


# --------------------------------------------------------------------------- writing


def _escape_label(label: str) -> str:
    return label.replace("\\", "\\\\").replace("|", "\\|")


def _split_unescaped(text: str, sep: str = "|") -> list[str]:
    parts, buf, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i + 1])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def _fmt_number(x: float) -> str:
    return repr(float(x))


def format_options(options: list[dict]) -> str:
    """``value=label=score`` for each option, joined by `` | `` ('|' in labels escaped as '\\|');
    an exclusive option ends in `` exclusive`` (``none=None of these=0.0 exclusive``)."""
    return " | ".join(
        f"{o['value']}={_escape_label(o['label'])}={_fmt_number(o['score'])}"
        + (" exclusive" if o.get("exclusive") else "")
        for o in options
    )


def format_coverage(coverage: dict | None) -> str:
    """``controls=all; questions=mapped; per_control=2-19`` (empty when nothing is required)."""
    if not coverage:
        return ""
    parts = [f"{k}={coverage[k]}" for k in ("controls", "questions") if k in coverage]
    if "per_control" in coverage:
        lo, hi = coverage["per_control"]
        parts.append(f"per_control={lo}-{hi}")
    return "; ".join(parts)


def parse_coverage(cell: str) -> dict | str:
    """Read ``format_coverage`` back: the coverage mapping, or a message saying what is wrong."""
    out: dict[str, Any] = {}
    for part in [p.strip() for p in cell.split(";") if p.strip()]:
        name, _, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if name == "per_control":
            lo, _, hi = value.partition("-")
            if not (lo.strip().isdigit() and hi.strip().isdigit()):
                return f"per_control must look like 2-19, not {value!r}"
            out[name] = [int(lo), int(hi)]
        elif name in ("controls", "questions"):
            out[name] = value
        else:
            return f"unknown coverage setting {name!r}"
    return out


def format_show_if(show_if: list[dict] | None) -> str:
    """``question in (a, b)`` for each condition, joined by ``; ``."""
    if not show_if:
        return ""
    return "; ".join(f"{c['question']} in ({', '.join(c['in'])})" for c in show_if)


def format_controls(controls: list[dict]) -> str:
    """``A.2.2:1.0; A.2.3:0.5``."""
    return "; ".join(f"{c['ref']}:{_fmt_number(c['weight'])}" for c in controls)


def questionnaire_to_frame(normalized: dict) -> pd.DataFrame:
    """One row per question with the columns in FRAME_COLUMNS (see docs/QUESTIONNAIRES.md)."""
    sections = {s["key"]: s for s in normalized["sections"]}
    rows = []
    for q in normalized["questions"]:
        sec = sections.get(q["section"], {"title": "", "description": ""})
        ko = q.get("knockout") or {}
        rows.append(
            {
                "section_key": q["section"],
                "section_title": sec["title"],
                "section_description": sec.get("description", ""),
                "key": q["key"],
                "order": int(q["order"]),
                "text": q["text"],
                "help": q["help"],
                "type": q["type"],
                "required": bool(q["required"]),
                "allows_na": bool(q["allows_na"]),
                "options": format_options(q["options"]),
                "evidence_kinds": ", ".join(q["evidence_kinds"]),
                "show_if": format_show_if(q["show_if"]),
                "controls": format_controls(q["controls"]),
                "weight": float(q["weight"]),
                "knockout_values": ", ".join(ko.get("values", [])),
                "knockout_min_rating": ko.get("min_rating") or "",
                "score_mode": q.get("score_mode", "mean") if q["type"] == "multi_choice" else "",
                "scored": bool(q.get("scored", True)),
            }
        )
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


def write_questionnaire_xlsx(normalized: dict, path_or_buffer: str | Path | IO[bytes]) -> None:
    """Write the questions sheet (formatted) and a metadata sheet with key/title/description."""
    frame = questionnaire_to_frame(normalized)
    # Cells are always text: a help text starting with "=" must not become a formula.
    engine_kwargs = {"options": {"strings_to_formulas": False, "strings_to_urls": False}}
    with pd.ExcelWriter(path_or_buffer, engine="xlsxwriter", engine_kwargs=engine_kwargs) as writer:
        frame.to_excel(writer, sheet_name=QUESTIONS_SHEET, index=False)
        meta = pd.DataFrame(
            {
                "field": list(META_FIELDS),
                "value": [
                    format_coverage(normalized.get("coverage"))
                    if f == "coverage"
                    else normalized.get(f, "") or ""
                    for f in META_FIELDS
                ],
            }
        )
        meta.to_excel(writer, sheet_name=META_SHEET, index=False)

        book = writer.book
        header_fmt = book.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDE7F0", "border": 1}
        )
        wrap_fmt = book.add_format({"text_wrap": True, "valign": "top"})
        sheet = writer.sheets[QUESTIONS_SHEET]
        for col, name in enumerate(FRAME_COLUMNS):
            sheet.write(0, col, name, header_fmt)
            sheet.set_column(col, col, COLUMN_WIDTHS.get(name, 15), wrap_fmt)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(frame), 1), len(FRAME_COLUMNS) - 1)

        msheet = writer.sheets[META_SHEET]
        for col, name in enumerate(("field", "value")):
            msheet.write(0, col, name, header_fmt)
        msheet.set_column(0, 0, 14, wrap_fmt)
        msheet.set_column(1, 1, 90, wrap_fmt)
        msheet.freeze_panes(1, 0)


# --------------------------------------------------------------------------- reading raw cells


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value).strip()


def _read_bytes(path_or_buffer: Any) -> bytes:
    if isinstance(path_or_buffer, str | Path):
        return Path(path_or_buffer).read_bytes()
    if hasattr(path_or_buffer, "seek"):
        with contextlib.suppress(OSError, ValueError):
            path_or_buffer.seek(0)
    data = path_or_buffer.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _read_sheets(path_or_buffer: Any, filename: str) -> list[tuple[str, list[list[Any]]]]:
    """Return [(sheet name, rows of raw cell values)] for an .xlsx or .csv source."""
    raw = _read_bytes(path_or_buffer)
    lower = filename.lower()
    is_xlsx = lower.endswith((".xlsx", ".xlsm")) or (
        not lower.endswith(".csv") and raw[:2] == b"PK"
    )
    if is_xlsx:
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
            try:
                return [
                    (ws.title, [list(r) for r in ws.iter_rows(values_only=True)])
                    for ws in book.worksheets
                ]
            finally:
                book.close()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return [("csv", [list(r) for r in csv.reader(io.StringIO(text), _csv_dialect(text))])]


def _csv_dialect(text: str) -> type[csv.Dialect]:
    """The excel dialect (``""`` escapes a quote) with the delimiter the header lines use.

    csv.Sniffer guesses quoting from a sample too and once chose doublequote=False for a file
    whose first ``""`` came after the sample, which broke a question in two; only the delimiter
    is guessed here, from the first lines that have one."""
    counts = dict.fromkeys(",;\t", 0)
    for line in text.splitlines()[: HEADER_SCAN_ROWS + 5]:
        unquoted = re.sub(r'"[^"]*"', "", line)
        for d in counts:
            counts[d] += unquoted.count(d)
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    return type(
        "ImportDialect", (csv.excel,), {"delimiter": delimiter if counts[delimiter] else ","}
    )


def _default_catalog():
    catalog, _ = load_control_catalog(DEFAULT_CONTROLS_DIR)
    return catalog


def _default_control_refs() -> set[str]:
    return _default_catalog().control_refs


def _slug(text: str, sep: str = "_") -> str:
    s = re.sub(r"[^a-z0-9]+", sep, text.lower()).strip(sep)
    return s


@dataclass
class ImportTable:
    """What a spreadsheet import read: the questionnaire, what went wrong, what it assumed.

    ``layout`` is ``"own"`` (our columns, read exactly) or ``"industry"``; for an industry layout
    ``rows`` has what the mapper needs for each question (see catalog/mapping.py)."""

    normalized: dict | None
    problems: list[Problem]
    notes: list[str]
    layout: str = ""
    rows: list[mapping.QuestionInput] = field(default_factory=list)


def read_questionnaire_table(
    path_or_buffer: str | Path | IO,
    filename: str,
    key: str | None = None,
    title: str | None = None,
    *,
    description: str | None = None,
    control_refs: set[str] | None = None,
    coverage: dict | None = None,
) -> tuple[dict | None, list[Problem], list[str]]:
    """Read a questionnaire from .xlsx or .csv; returns (normalized, problems, notes).

    Our own layout is recognised by its ``section_key``/``key``/``text``/``type`` header and read
    exactly (row-level problems carry the spreadsheet row in ``line`` and the column in
    ``field``). Anything else is read as an industry layout; ``notes`` then lists what could not be
    mapped. ``key``/``title``/``description`` override the metadata sheet (needed for CSV).
    ``control_refs`` defaults to the shipped Annex A catalog. ``coverage`` (what a CSV cannot
    carry) is the catalog coverage the questionnaire requires; the metadata sheet's wins.
    """
    table = read_import_table(
        path_or_buffer, filename, key, title, description=description, control_refs=control_refs,
        coverage=coverage,
    )  # fmt: skip
    return table.normalized, table.problems, table.notes


def read_import_table(
    path_or_buffer: str | Path | IO,
    filename: str,
    key: str | None = None,
    title: str | None = None,
    *,
    description: str | None = None,
    control_refs: Iterable[str] | None = None,
    crosswalks: dict[str, dict] | None = None,
    fallback_title: str | None = None,
    coverage: dict | None = None,
) -> ImportTable:
    """Read .xlsx or .csv like :func:`read_questionnaire_table`, with the layout and mapper rows.

    Title: ``title`` (a flag) wins, then the file's own (the Questionnaire sheet, or a title line
    above an industry header), then ``fallback_title``, then the file name. ``crosswalks``
    ({key: {framework, mappings}}) translate framework columns; they default to the shipped ones.
    """
    name = Path(filename).name
    try:
        sheets = _read_sheets(path_or_buffer, name)
    except Exception as exc:  # noqa: BLE001 - any unreadable upload becomes a problem
        return ImportTable(
            None, [Problem(name, None, None, f"cannot read spreadsheet: {exc}", kind="")], []
        )
    if control_refs is None or crosswalks is None:
        default = _default_catalog()
        control_refs = default.control_refs if control_refs is None else control_refs
        crosswalks = default.crosswalks if crosswalks is None else crosswalks
    refs = set(control_refs)

    meta: dict[str, str] = {}
    for sheet_name, rows in sheets:
        if sheet_name == META_SHEET:
            for row in rows[1:]:
                cells = [_cell(c) for c in row] + ["", ""]
                if cells[0] in META_FIELDS:
                    meta[cells[0]] = cells[1]

    # 1. our own layout, on the "Questions" sheet or any sheet with our header
    ordered = sorted(sheets, key=lambda s: s[0] != QUESTIONS_SHEET)
    for _sheet_name, rows in ordered:
        header_idx = _find_own_header(rows)
        if header_idx is not None:
            qkey = key or meta.get("key") or _slug(Path(name).stem, "-") or "imported"
            qtitle = title or meta.get("title") or fallback_title or Path(name).stem
            qdesc = description if description is not None else meta.get("description", "")
            cov = parse_coverage(meta["coverage"]) if meta.get("coverage") else coverage
            if isinstance(cov, str):
                return ImportTable(None, [Problem(name, None, "coverage", cov, kind="")], [], "own")
            normalized, problems, notes = _read_own_layout(
                rows, header_idx, name, qkey, qtitle, qdesc, refs, cov
            )
            return ImportTable(normalized, problems, notes, "own")

    # 2. industry layout
    for sheet_name, rows in ordered:
        if sheet_name == META_SHEET:
            continue
        found = _find_industry_header(rows, crosswalks)
        if found is not None:
            qkey = key or _slug(Path(name).stem, "-") or "imported"
            qtitle = title or found["title"] or fallback_title or Path(name).stem
            return _read_industry_layout(
                rows, found, name, sheet_name, qkey, qtitle, description or "", refs, crosswalks
            )
    return ImportTable(
        None,
        [
            Problem(
                name,
                None,
                None,
                "no header row found: expected our columns (section_key, key, text, type) or an "
                f"ID column and a question column within the first {HEADER_SCAN_ROWS} rows",
                kind="",
            )
        ],
        [],
    )


# --------------------------------------------------------------------------- own layout


def _find_own_header(rows: list[list[Any]]) -> int | None:
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cells = {_cell(c).lower() for c in row}
        if all(c in cells for c in REQUIRED_COLUMNS):
            return i
    return None


def _parse_bool(text: str) -> bool | None:
    t = text.strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    return None


def _parse_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None


def _read_own_layout(rows, header_idx, name, qkey, qtitle, qdesc, refs, coverage=None):
    header = [_cell(c).lower() for c in rows[header_idx]]
    col = {h: i for i, h in enumerate(header) if h}
    problems: list[Problem] = []
    notes: list[str] = []
    unknown = [h for h in header if h and h not in FRAME_COLUMNS]
    if unknown:
        notes.append(f"ignored unknown columns: {', '.join(unknown)}")

    sections: dict[str, dict] = {}
    key_rows: dict[str, int] = {}

    def get(row: list[Any], column: str) -> str:
        i = col.get(column)
        return _cell(row[i]) if i is not None and i < len(row) else ""

    for r_index in range(header_idx + 1, len(rows)):
        row = rows[r_index]
        line = r_index + 1  # spreadsheet row number
        if all(_cell(c) == "" for c in row):
            continue

        def bad(column: str, message: str, _line: int = line, _key: str | None = None) -> None:
            problems.append(Problem(name, _key, column, message, line=_line))

        qk = get(row, "key")
        skey = get(row, "section_key")
        if not skey:
            bad("section_key", "missing section key", _key=qk or None)
            continue
        sec = sections.get(skey)
        stitle, sdesc = get(row, "section_title"), get(row, "section_description")
        if sec is None:
            sec = sections[skey] = {
                "key": skey,
                "title": stitle,
                "description": sdesc,
                "questions": [],
            }
        else:
            if stitle and sec["title"] and stitle != sec["title"]:
                bad(
                    "section_title", f"section {skey!r} already has title {sec['title']!r}", _key=qk
                )
            if sdesc and sec["description"] and sdesc != sec["description"]:
                bad(
                    "section_description",
                    f"section {skey!r} already has another description",
                    _key=qk,
                )
            sec["title"] = sec["title"] or stitle
            sec["description"] = sec["description"] or sdesc

        q: dict[str, Any] = {"key": qk, "text": get(row, "text"), "type": get(row, "type")}
        if qk:
            key_rows.setdefault(qk, line)
        help_text = get(row, "help")
        if help_text:
            q["help"] = help_text
        mode = get(row, "score_mode")
        if mode:
            q["score_mode"] = mode
        for column in ("required", "allows_na", "scored"):
            raw = get(row, column)
            if raw == "":
                continue
            value = _parse_bool(raw)
            if value is None:
                bad(column, f"must be yes/no or true/false, not {raw!r}", _key=qk)
            else:
                q[column] = value
        options_cell = get(row, "options")
        if options_cell:
            q["options"] = _parse_options(options_cell, bad, qk)
        evidence = get(row, "evidence_kinds")
        if evidence:
            q["evidence_kinds"] = [e.strip() for e in evidence.split(",") if e.strip()]
        show = get(row, "show_if")
        if show:
            q["show_if"] = _parse_show_if(show, bad, qk)
        ctl = get(row, "controls")
        if ctl:
            q["controls"] = _parse_controls(ctl, bad, qk)
        weight = get(row, "weight")
        if weight:
            w = _parse_float(weight)
            if w is None:
                bad("weight", f"must be a number, not {weight!r}", _key=qk)
            else:
                q["weight"] = w
        ko_values = get(row, "knockout_values")
        ko_rating = get(row, "knockout_min_rating")
        if ko_values or ko_rating:
            q["knockout"] = {
                "values": [v.strip() for v in ko_values.split(",") if v.strip()],
                "min_rating": ko_rating or None,
            }
        sec["questions"].append(q)

    raw = {"key": qkey, "title": qtitle, "description": qdesc, "sections": list(sections.values())}
    if coverage:
        raw["coverage"] = coverage
    if not raw["sections"]:
        problems.append(Problem(name, None, None, "the sheet has no question rows", kind=""))
    normalized, vprobs = validate_questionnaire(raw, refs, name)
    for p in vprobs:
        if p.kind == "question" and p.key in key_rows:
            column = re.split(r"[.\[]", p.field or "")[0]
            if column == "knockout":
                column = (
                    "knockout_min_rating"
                    if "min_rating" in (p.field or "")
                    else ("knockout_values")
                )
            problems.append(
                Problem(name, p.key, column or p.field, p.message, line=key_rows[p.key])
            )
        elif p.kind == "section" and p.key in sections:
            field = "section_" + (p.field or "key") if p.field in ("key", "title") else p.field
            problems.append(Problem(name, p.key, field, p.message, kind="section"))
        else:
            problems.append(p)
    if problems:
        return None, problems, notes
    return normalized, [], notes


def _parse_options(cell: str, bad, qk: str) -> list[dict]:
    options = []
    for i, part in enumerate(_split_unescaped(cell)):
        part = part.strip()
        if not part:
            continue
        pieces = part.split("=")
        if len(pieces) < 3:
            bad("options", f"option {i + 1} {part!r} must look like value=label=score", _key=qk)
            continue
        value, score_text = pieces[0].strip(), pieces[-1].strip()
        label = "=".join(pieces[1:-1]).strip()
        exclusive = score_text.endswith(" exclusive")
        if exclusive:
            score_text = score_text[: -len(" exclusive")].strip()
        score = _parse_float(score_text)
        if score is None:
            bad(
                "options",
                f"option {i + 1} has a score that is not a number: {score_text!r}",
                _key=qk,
            )
            score = 0.0
        option = {"value": value, "label": label, "score": score}
        if exclusive:
            option["exclusive"] = True
        options.append(option)
    return options


_SHOW_IF_RE = re.compile(r"^\s*([A-Za-z0-9_]+)\s+in\s+\((.*)\)\s*$")


def _parse_show_if(cell: str, bad, qk: str) -> list[dict]:
    conds = []
    for part in cell.split(";"):
        part = part.strip()
        if not part:
            continue
        m = _SHOW_IF_RE.match(part)
        if not m:
            bad("show_if", f"{part!r} must look like question in (value, value)", _key=qk)
            continue
        conds.append(
            {"question": m.group(1), "in": [v.strip() for v in m.group(2).split(",") if v.strip()]}
        )
    return conds


def _parse_controls(cell: str, bad, qk: str) -> list[dict]:
    controls = []
    for part in re.split(r"[;\n]", cell):
        part = part.strip()
        if not part:
            continue
        ref, _, weight_text = part.partition(":")
        weight = 1.0
        if weight_text.strip():
            w = _parse_float(weight_text.strip())
            if w is None:
                bad("controls", f"weight in {part!r} is not a number", _key=qk)
            else:
                weight = w
        controls.append({"ref": ref.strip(), "weight": weight})
    return controls


# --------------------------------------------------------------------------- industry layout

_ID_HEADERS = {
    "id",
    "#",
    "no",
    "no.",
    "nr",
    "nr.",
    "number",
    "ref",
    "ref.",
    "reference",
    "item",
    "qid",
    "q#",
    "q #",
    "q no",
    "q no.",
    "question id",
    "question #",
    "question no",
    "question no.",
    "question number",
    "question ref",
    "control id",
    "req id",
    "requirement id",
    "item id",
}
_GROUP_HEADERS = {"control id", "control", "control ref", "control no", "control number"}


def _framework_pattern(spec: dict, key: str) -> re.Pattern:
    """A header pattern for a crosswalk: its framework name without version or brackets."""
    name = re.sub(r"\(.*?\)|\b\d+(\.\d+)*\b", " ", spec.get("framework", ""))
    words = [w for w in re.split(r"\s+", name.strip()) if w]
    alternatives = [re.escape(key.replace("-", " "))]
    if words:
        alternatives.append(r"\s*".join(re.escape(w) for w in words))
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _classify(header: str, crosswalks: dict[str, dict] | None = None) -> str | None:
    h = re.sub(r"\s+", " ", header.strip().lower())
    if not h:
        return None
    if h in _ID_HEADERS or re.fullmatch(r"(question|control|item|req\w*)[ _-]?(id|ref|no\.?|#)", h):
        return "id"
    for key, spec in (crosswalks or {}).items():
        if _framework_pattern(spec, key).search(h):
            return f"crosswalk:{key}"
    if re.search(
        r"guidance|help|hint|explanation|instruction|specification|what good looks like", h
    ):
        return "help"
    if re.search(r"42001|annex|iso|mapping|mapped|control ref|controls?$", h):
        return "mapping"
    if re.search(r"answer|response (options|type|format)|^options$|^choices$", h):
        return "answers"
    if re.search(r"question|requirement|^text$|^ask$|^query$", h):
        return "question"
    if re.search(r"section|domain|category|area|topic|group|chapter", h):
        return "section"
    return None


def _find_industry_header(
    rows: list[list[Any]], crosswalks: dict[str, dict] | None = None
) -> dict[str, Any] | None:
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        roles: dict[str, int] = {}
        for j, cell in enumerate(row):
            role = _classify(_cell(cell), crosswalks)
            if role == "id" and "id" in roles and _cell(cell).lower() in _GROUP_HEADERS:
                role = "group"  # a second ID column such as "Control ID" groups the questions
            if role and role not in roles:
                roles[role] = j
        if "id" in roles and "question" in roles:
            return {
                "row": i,
                "columns": roles,
                "names": {r: _cell(row[j]) for r, j in roles.items()},
                "title": _title_above(rows[:i]),
            }
    return None


def _title_above(rows: list[list[Any]]) -> str:
    """The first line above the header that holds a single cell of text (a title line)."""
    for row in rows:
        cells = [_cell(c) for c in row if _cell(c)]
        if len(cells) == 1 and len(cells[0]) <= 200:
            return cells[0]
    return ""


_YES, _NO, _PARTIAL = {"yes", "y"}, {"no", "n"}, {"partial", "partly", "partially", "in part"}
_NA = {"n/a", "na", "not applicable"}


def _answer_kind(cell: str) -> tuple[str, bool] | None:
    """(type, allows_na) for an answer-options cell, or None when it says nothing we know."""
    text = cell.strip().lower()
    if not text:
        return None
    protected = re.sub(r"\bn\s*/\s*a\b", "na", text)  # N/A must survive splitting on "/"
    tokens = {t.strip() for t in re.split(r"[/|;,]", protected) if t.strip()}
    allows_na = bool(tokens & _NA)
    choices = tokens - _NA
    if choices and choices <= _YES | _NO | _PARTIAL:
        return ("yes_no_partial" if choices & _PARTIAL else "yes_no"), allows_na
    if re.search(r"free text|text|comment|describe|explain", text):
        return "long_text", False
    if re.search(r"number|count|days|hours|percent|%", text):
        return "number", False
    if re.search(r"\bdate\b", text):
        return "date", False
    return None


YES_NO_OPTIONS = [
    {"value": "yes", "label": "Yes", "score": 1.0},
    {"value": "no", "label": "No", "score": 0.0},
]


def _read_industry_layout(rows, found, name, sheet_name, qkey, qtitle, qdesc, refs, crosswalks):
    cols = found["columns"]
    header_line = found["row"] + 1
    framework_cols = {r.split(":", 1)[1]: j for r, j in cols.items() if r.startswith("crosswalk:")}
    notes = [
        f"read as an industry layout: header in row {header_line} of sheet '{sheet_name}' "
        f"(ID column '{found['names']['id']}', question column '{found['names']['question']}')",
    ]
    if "answers" in cols:
        notes.append(
            f"question types from the '{found['names']['answers']}' column: Yes / No (/ Partial) "
            "become yes_no (yes_no_partial), N/A among the options allows N/A, free text and "
            "numbers are kept unscored; anything else is imported as yes_no_partial"
        )
    else:
        notes.append(
            "every question was imported as yes_no_partial (Yes 1.0 / Partly 0.5 / No 0.0); "
            "review the types, options and scores before use"
        )
    if "help" in cols:
        notes.append(f"help texts from the '{found['names']['help']}' column")
    else:
        notes.append("no guidance column found; questions have no help text")
    if "mapping" not in cols and not framework_cols:
        notes.append(
            "no control mapping column found; questions were imported without Annex A controls"
        )
    for key in framework_cols:
        notes.append(
            f"'{found['names'][f'crosswalk:{key}']}' references are translated into Annex A "
            f"controls through crosswalk-{key}.yaml"
        )
    if "section" not in cols:
        notes.append(
            "no section column found; heading rows (an ID without a question) start "
            "new sections, other questions go to section 'imported'"
        )
    if qtitle == found["title"] and qtitle:
        notes.append(f"title '{qtitle}' taken from the line above the header")

    def get(row: list[Any], role: str) -> str:
        j = cols.get(role)
        return _cell(row[j]) if j is not None and j < len(row) else ""

    sections: dict[str, dict] = {}
    current: str | None = None
    used_keys: set[str] = set()
    problems: list[Problem] = []
    key_rows: dict[str, int] = {}
    mapper_rows: list[mapping.QuestionInput] = []
    ordered_refs = sorted(refs, key=mapping.ref_sort_key)

    def section_for(title_text: str) -> str:
        skey = _slug(title_text) or "imported"
        if skey[0].isdigit():
            skey = "s_" + skey
        if skey not in sections:
            sections[skey] = {
                "key": skey,
                "title": title_text or "Imported questions",
                "questions": [],
            }
        return skey

    for r_index in range(found["row"] + 1, len(rows)):
        row = rows[r_index]
        line = r_index + 1
        if all(_cell(c) == "" for c in row):
            continue
        ident, text = get(row, "id"), get(row, "question")
        section_cell = get(row, "section")
        if not text:
            if ident and "section" not in cols:
                current = section_for(ident)
                notes.append(
                    f"row {line}: '{ident}' has no question text; used as a section heading"
                )
            elif ident and section_cell:
                notes.append(f"row {line}: '{ident}' has no question text; a heading row")
            else:
                notes.append(f"row {line}: no question text; skipped")
            continue
        if "section" in cols and section_cell:
            current = section_for(section_cell)
        skey = current or section_for("Imported questions")

        base = _slug(ident) if ident else ""
        if not base:
            base = f"row_{line}"
            notes.append(f"row {line}: no ID; question key '{base}' was generated")
        if base[0].isdigit():
            base = "q_" + base
        qk, n = base, 2
        while qk in used_keys:
            qk = f"{base}_{n}"
            n += 1
        if qk != base:
            notes.append(f"row {line}: ID '{ident}' is used more than once; key '{qk}' was used")
        used_keys.add(qk)
        key_rows[qk] = line

        q: dict[str, Any] = {"key": qk, "text": text}
        kind = _answer_kind(get(row, "answers")) if "answers" in cols else None
        qtype, allows_na = kind or ("yes_no_partial", False)
        q["type"] = qtype
        if qtype == "yes_no_partial":
            q["options"] = [dict(o) for o in INDUSTRY_OPTIONS]
        elif qtype == "yes_no":
            q["options"] = [dict(o) for o in YES_NO_OPTIONS]
        elif qtype in ("long_text", "number", "date"):
            q["required"] = False
        if allows_na:
            q["allows_na"] = True
        if "answers" in cols and kind is None and get(row, "answers"):
            notes.append(
                f"row {line}: answer options '{get(row, 'answers')}' not recognised; "
                "imported as yes_no_partial"
            )
        help_text = get(row, "help")
        if help_text:
            q["help"] = help_text
        resolution = None
        if "mapping" in cols or framework_cols:
            mapping_cell = get(row, "mapping")
            framework_cells = {
                k: _cell(row[j]) if j < len(row) else "" for k, j in framework_cols.items()
            }
            resolution = mapping.resolve_refs(
                mapping_cell, framework_cells, ordered_refs, crosswalks or {}
            )
            _mapping_notes(notes, line, mapping_cell, framework_cells, resolution)
            if resolution.controls:
                q["controls"] = [{"ref": c, "weight": 1.0} for c in resolution.controls]
        sections[skey]["questions"].append(q)
        group = get(row, "group") or re.sub(r"[.\-_]\d+$", "", ident)
        mapper_rows.append(
            mapping.QuestionInput(
                qk,
                text,
                help_text,
                sections[skey]["title"],
                group if group != ident else "",
                resolution,
            )
        )

    raw = {
        "key": qkey,
        "title": qtitle,
        "description": qdesc,
        "sections": [s for s in sections.values() if s["questions"]],
    }
    if not raw["sections"]:
        problems.append(
            Problem(
                name,
                None,
                None,
                "no questions found below the header row",
                line=header_line,
                kind="",
            )
        )
        return ImportTable(None, problems, notes, "industry")
    normalized, vprobs = validate_questionnaire(raw, refs, name, require_full_coverage=False)
    for p in vprobs:
        if p.kind == "question" and p.key in key_rows:
            p.line = key_rows[p.key]
        problems.append(p)
    if problems:
        return ImportTable(None, problems, notes, "industry")
    return ImportTable(normalized, [], notes, "industry", mapper_rows)


def _mapping_notes(notes, line, mapping_cell, framework_cells, res) -> None:
    for b_ref, a_ref in res.converted:
        notes.append(f"row {line}: Annex B reference '{b_ref}' read as control {a_ref}")
    for u in res.unknown:
        notes.append(f"row {line}: unknown reference '{u}': no Annex A control found")
    for u in res.ignored:
        notes.append(f"row {line}: ignored '{u}' (not an ISO/IEC 42001 Annex A control)")
    written = [c for c in (mapping_cell, *framework_cells.values()) if c]
    if not written:
        notes.append(f"row {line}: no control mapping; imported without controls")
    elif not res.controls:
        notes.append(f"row {line}: no Annex A control recognised in '{'; '.join(written)}'")


__all__ = [
    "FRAME_COLUMNS",
    "format_controls",
    "format_options",
    "format_show_if",
    "questionnaire_to_frame",
    "ImportTable",
    "read_import_table",
    "read_questionnaire_table",
    "write_questionnaire_xlsx",
]
