"""Excel/CSV export and import: exact round trip, row-level errors, industry layout."""

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from vendorassure.catalog import (
    FRAME_COLUMNS,
    load_control_catalog,
    questionnaire_to_frame,
    read_questionnaire_table,
    read_yaml,
    validate_questionnaire,
    write_questionnaire_xlsx,
)

ROOT = Path(__file__).resolve().parents[3] / "questionnaires"
SHIPPED = ["iso42001-ai-vendor", "iso42001-ai-vendor-lite"]


@pytest.fixture(scope="module")
def refs():
    catalog, problems = load_control_catalog(ROOT / "controls")
    assert problems == []
    return catalog.control_refs


def load(name, refs):
    data, _ = read_yaml(ROOT / f"{name}.yaml")
    normalized, problems = validate_questionnaire(data, refs, name, False)
    assert problems == []
    return normalized


def to_csv_bytes(frame):
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return io.BytesIO(buf.getvalue().encode("utf-8"))


@pytest.mark.parametrize("name", SHIPPED)
def test_xlsx_round_trip_is_exact(name, refs, tmp_path):
    original = load(name, refs)
    path = tmp_path / f"{name}.xlsx"
    write_questionnaire_xlsx(original, path)
    again, problems, notes = read_questionnaire_table(path, path.name)
    assert problems == [] and notes == []
    assert again == original


@pytest.mark.parametrize("name", SHIPPED)
def test_xlsx_round_trip_in_memory(name, refs):
    original = load(name, refs)
    buf = io.BytesIO()
    write_questionnaire_xlsx(original, buf)
    buf.seek(0)
    again, problems, _ = read_questionnaire_table(buf, f"{name}.xlsx", control_refs=refs)
    assert problems == []
    assert again == original


@pytest.mark.parametrize("name", SHIPPED)
def test_csv_round_trip_is_exact(name, refs):
    original = load(name, refs)
    buf = to_csv_bytes(questionnaire_to_frame(original))
    again, problems, notes = read_questionnaire_table(
        buf,
        f"{name}.csv",
        key=original["key"],
        title=original["title"],
        description=original["description"],
        coverage=original.get("coverage"),  # a CSV has no metadata sheet: the caller knows it
    )
    assert problems == [] and notes == []
    assert again == original


def test_frame_columns_and_encoding(refs):
    frame = questionnaire_to_frame(load("iso42001-ai-vendor", refs))
    assert list(frame.columns) == FRAME_COLUMNS
    row = frame.set_index("key").loc["training_on_customer_data"]
    assert row["options"].startswith("never=No, never=1.0 | opt_in=")
    assert row["controls"] == "A.10.4:1.0; A.7.2:0.5; A.7.3:0.5"
    assert row["knockout_values"] == "yes_without_consent"
    assert row["knockout_min_rating"] == "high"
    show = frame.set_index("key").loc["supplier_assessment", "show_if"]
    assert show == "uses_third_party_models in (yes)"
    assert frame["order"].tolist() == list(range(1, len(frame) + 1))


def test_xlsx_formatting(refs, tmp_path):
    path = tmp_path / "q.xlsx"
    write_questionnaire_xlsx(load("iso42001-ai-vendor-lite", refs), path)
    book = openpyxl.load_workbook(path)
    try:
        assert book.sheetnames == ["Questions", "Questionnaire"]
        sheet = book["Questions"]
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold
        assert sheet.column_dimensions["F"].width > 40  # text column
        meta = {r[0]: r[1] for r in book["Questionnaire"].iter_rows(min_row=2, values_only=True)}
        assert meta["key"] == "iso42001-ai-vendor-lite"
    finally:
        book.close()


def test_row_level_errors_name_row_and_column(refs):
    frame = questionnaire_to_frame(load("iso42001-ai-vendor-lite", refs)).astype(object)
    # four scored questions (they have scores to spoil and controls to point elsewhere)
    rows = [i for i in range(len(frame)) if "=1.0" in frame.loc[i, "options"]][:4]
    a, b, c, d = rows
    frame.loc[a, "options"] = frame.loc[a, "options"].replace("=1.0", "=1.5", 1)
    frame.loc[b, "controls"] = "A.2.2:1.0; A.99.9:1.0"
    frame.loc[c, "required"] = "maybe"
    frame.loc[d, "type"] = "essay"
    _, problems, _ = read_questionnaire_table(
        to_csv_bytes(frame), "lite.csv", key="lite", title="Lite", control_refs=refs
    )
    got = {(p.line, p.field) for p in problems}
    # data row i is spreadsheet row i + 2 (header in row 1)
    assert {(a + 2, "options"), (b + 2, "controls"), (c + 2, "required"), (d + 2, "type")} <= got
    assert all(p.file == "lite.csv" for p in problems)
    by_line = {p.line: p for p in problems if p.field == "controls"}
    assert by_line[b + 2].key == frame.loc[b, "key"]
    assert "A.99.9" in by_line[b + 2].message


def industry_frame():
    return pd.DataFrame(
        {
            "Question ID": ["GOV-01", "GOV-02", "SUP-01", "SUP-02", "SUP-03", "OPS-01"],
            "Domain": [
                "Governance",
                "Governance",
                "Suppliers",
                "Suppliers",
                "Suppliers",
                "Operations",
            ],
            "Question": [
                "Do you have an approved AI policy?",
                "Is information security managed under an ISMS?",
                "Do you keep a list of sub-processors?",
                "Do you notify customers of model changes?",
                "Do you assess your model providers?",
                "Do you monitor models in production?",
            ],
            "Guidance": ["Attach the policy.", "", "", "", "", "Describe drift alerts."],
            "ISO/IEC 42001 mapping": [
                "A.2.2",
                "ISO 27001 A.5.1",
                "A.10.2; A.10.3",
                "",
                "A.10.3, ISO 27001 A.5.19",
                "B.6.2.6",
            ],
        }
    )


def write_industry_xlsx(path):
    frame = industry_frame()
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        frame.to_excel(writer, sheet_name="AI due diligence", index=False, startrow=3)
        sheet = writer.sheets["AI due diligence"]
        sheet.write(0, 0, "ACME Corp AI supplier questionnaire")
        sheet.write(1, 0, "Version 2.1 - confidential")


def test_industry_layout_xlsx(refs, tmp_path):
    path = tmp_path / "acme-ai-questions.xlsx"
    write_industry_xlsx(path)
    normalized, problems, notes = read_questionnaire_table(path, path.name, control_refs=refs)
    assert problems == []
    assert normalized["key"] == "acme-ai-questions"
    assert [s["title"] for s in normalized["sections"]] == [
        "Governance",
        "Suppliers",
        "Operations",
    ]
    qs = {q["key"]: q for q in normalized["questions"]}
    assert list(qs) == ["gov_01", "gov_02", "sup_01", "sup_02", "sup_03", "ops_01"]
    assert qs["gov_01"]["type"] == "yes_no_partial"
    assert [o["value"] for o in qs["gov_01"]["options"]] == ["yes", "partial", "no"]
    assert qs["gov_01"]["help"] == "Attach the policy."
    assert [c["ref"] for c in qs["gov_01"]["controls"]] == ["A.2.2"]
    assert qs["gov_02"]["controls"] == []
    assert [c["ref"] for c in qs["sup_01"]["controls"]] == ["A.10.2", "A.10.3"]
    assert [c["ref"] for c in qs["sup_03"]["controls"]] == ["A.10.3"]
    assert [c["ref"] for c in qs["ops_01"]["controls"]] == ["A.6.2.6"]
    # header is in spreadsheet row 4, so GOV-02 is row 6, SUP-02 row 8, SUP-03 row 9
    assert "row 6: no Annex A control recognised in 'ISO 27001 A.5.1'" in notes
    assert "row 8: no control mapping; imported without controls" in notes
    assert any(n.startswith("row 9: ignored 'ISO 27001 A.5.19'") for n in notes)
    assert "row 10: Annex B reference 'B.6.2.6' read as control A.6.2.6" in notes
    assert any("header in row 4" in n for n in notes)
    assert any("yes_no_partial" in n for n in notes)


def test_industry_layout_csv_with_heading_rows(refs):
    text = (
        "Vendor AI questionnaire,,\n"
        ",,\n"
        "No.,Question,Notes\n"
        "1. Governance,,\n"
        "1.1,Is there an AI policy?,\n"
        "1.2,Who owns AI risk?,\n"
        "2. Data,,\n"
        "2.1,Do you train on customer data?,\n"
    )
    normalized, problems, notes = read_questionnaire_table(
        io.BytesIO(text.encode()), "vendor.csv", title="Vendor", control_refs=refs
    )
    assert problems == []
    assert [s["title"] for s in normalized["sections"]] == ["1. Governance", "2. Data"]
    assert [q["key"] for q in normalized["questions"]] == ["q_1_1", "q_1_2", "q_2_1"]
    assert any("no control mapping column" in n for n in notes)
    assert "row 4: '1. Governance' has no question text; used as a section heading" in notes


def test_unrecognised_sheet_is_a_problem(refs):
    buf = io.BytesIO(b"a,b\n1,2\n")
    normalized, problems, _ = read_questionnaire_table(buf, "x.csv", control_refs=refs)
    assert normalized is None
    assert problems[0].file == "x.csv"
    assert "no header row" in problems[0].message


def test_garbage_upload_does_not_raise(refs):
    normalized, problems, _ = read_questionnaire_table(
        io.BytesIO(b"PK\x03\x04garbage"), "x.xlsx", control_refs=refs
    )
    assert normalized is None and "cannot read" in problems[0].message


def test_formula_like_and_special_text_survives(refs, tmp_path):
    original = load("iso42001-ai-vendor-lite", refs)
    q = original["questions"][0]
    q["help"] = '=HYPERLINK("http://example.com") | see https://example.com\nsecond line'
    q["options"][0]["label"] = "Yes | fully = certified"
    path = tmp_path / "odd.xlsx"
    write_questionnaire_xlsx(original, path)
    again, problems, _ = read_questionnaire_table(path, path.name, control_refs=refs)
    assert problems == []
    assert again == original


def _late_quote_csv(delimiter: str = ",") -> bytes:
    """A CSV whose first `""` escape comes long after the first 4 KB (csv.Sniffer's sample)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Security questionnaire"])
    writer.writerow([])
    writer.writerow(["ID", "Domain", "Question", "Guidance"])
    for i in range(1, 120):
        writer.writerow(
            [f"GEN-{i:03d}", "General", f"Is control number {i} in place, documented?", ""]
        )
    writer.writerow(
        [
            "GEN-120",
            "General",
            'Do you label outputs as "AI-generated", always?',
            'Say "yes" only if enforced.',
        ]
    )
    writer.writerow(["GEN-121", "General", "Is the last question kept?", ""])
    return buf.getvalue().encode()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_quote_escapes_late_in_a_large_csv_survive(refs, delimiter):
    data = _late_quote_csv(delimiter)
    assert data.index(b'""') > 4096
    normalized, problems, _ = read_questionnaire_table(
        io.BytesIO(data), "big.csv", control_refs=refs
    )
    assert problems == []
    qs = normalized["questions"]
    assert len(qs) == 121
    assert qs[119]["text"] == 'Do you label outputs as "AI-generated", always?'
    assert qs[119]["help"] == 'Say "yes" only if enforced.'
    assert [s["title"] for s in normalized["sections"]] == ["General"]
    assert normalized["title"] == "Security questionnaire"


def test_answer_options_set_type_and_na(refs):
    text = (
        "ID,Question,Answer Options,Specification\n"
        "A-1,Is there an AI policy?,Yes / No / N/A,Give the title.\n"
        "A-2,Is it reviewed?,Yes/No/Partial,\n"
        "A-3,Who owns it?,Free text,\n"
        "A-4,How many days to patch?,Number of days,\n"
        "A-5,Which tier?,Gold / Silver,\n"
    )
    normalized, problems, notes = read_questionnaire_table(
        io.BytesIO(text.encode()), "opts.csv", title="Opts", control_refs=refs
    )
    assert problems == []
    qs = {q["key"]: q for q in normalized["questions"]}
    assert (qs["a_1"]["type"], qs["a_1"]["allows_na"]) == ("yes_no", True)
    assert qs["a_1"]["help"] == "Give the title."
    assert (qs["a_2"]["type"], qs["a_2"]["allows_na"]) == ("yes_no_partial", False)
    assert qs["a_3"]["type"] == "long_text" and qs["a_3"]["required"] is False
    assert qs["a_4"]["type"] == "number"
    assert qs["a_5"]["type"] == "yes_no_partial"
    assert any("row 6: answer options 'Gold / Silver' not recognised" in n for n in notes)


def test_framework_column_is_translated_and_unknown_refs_reported(refs):
    text = (
        "ID,Requirement,ISO/IEC 42001,NIST AI RMF\n"
        "R-1,Roles are assigned.,,GOVERN 2.1\n"
        "R-2,Contact with authorities.,A.11.2,\n"
        "R-3,Lifecycle is defined.,A.6.2.2 \u2013 A.6.2.4,MEASURE 2.14\n"
    )
    normalized, problems, notes = read_questionnaire_table(
        io.BytesIO(text.encode()), "xw.csv", title="XW", control_refs=refs
    )
    assert problems == []
    qs = {q["key"]: q for q in normalized["questions"]}
    assert [c["ref"] for c in qs["r_1"]["controls"]] == ["A.3.2"]
    assert qs["r_2"]["controls"] == []
    assert [c["ref"] for c in qs["r_3"]["controls"]] == ["A.6.2.2", "A.6.2.3", "A.6.2.4"]
    assert "row 3: unknown reference 'A.11.2': no Annex A control found" in notes
    assert "row 4: unknown reference 'MEASURE 2.14': no Annex A control found" in notes
