"""`flask questionnaires export|import`: round trip, new versions, row-level errors, notes."""

from __future__ import annotations

import openpyxl
import pandas as pd
from sqlalchemy import func, select

from vendorassure.models import Assessment, Questionnaire
from vendorassure.services.library import latest_questionnaire, questionnaire_normalized

FULL = "iso42001-ai-vendor"
LITE = "iso42001-ai-vendor-lite"


def run(app, *args):
    return app.test_cli_runner().invoke(args=["questionnaires", *args])


def versions(db, key: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Questionnaire).where(Questionnaire.key == key)
    )


def test_export_then_import_is_a_round_trip(app, db, tmp_path):
    for key in (FULL, LITE):
        path = tmp_path / f"{key}.xlsx"
        result = run(app, "export", key, "-o", str(path))
        assert result.exit_code == 0, result.output + result.stderr
        assert path.exists()
        result = run(app, "import", str(path), "--key", key)
        assert result.exit_code == 0, result.output + result.stderr
        assert f"{key}: unchanged — already version 2." in result.output
        assert versions(db, key) == 2


def test_csv_export_then_import_is_a_round_trip(app, db, tmp_path):
    path = tmp_path / "lite.csv"
    assert run(app, "export", LITE, "-o", str(path)).exit_code == 0
    result = run(app, "import", str(path), "--key", LITE)
    assert result.exit_code == 0, result.output + result.stderr
    assert "unchanged — already version 2" in result.output


def test_changed_spreadsheet_imports_as_next_version(app, db, make, tmp_path):
    issued = make.assessment(make.vendor(), LITE)
    path = tmp_path / "lite.xlsx"
    assert run(app, "export", LITE, "-o", str(path)).exit_code == 0
    book = openpyxl.load_workbook(path)
    sheet = book["Questions"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("help") + 1, value="Attach the certificate.")
    book.save(path)
    result = run(app, "import", str(path), "--key", LITE)
    assert result.exit_code == 0, result.output + result.stderr
    assert f"Loaded {LITE} as version 3 (30 questions)." in result.output
    assert versions(db, LITE) == 3
    v2 = latest_questionnaire(LITE)
    assert v2.questions[0].help == "Attach the certificate."
    db.session.expire_all()
    assert db.session.get(Assessment, issued.id).questionnaire.version == 2
    # exporting version 1 still gives the original
    old = tmp_path / "v1.xlsx"
    assert run(app, "export", LITE, "-o", str(old), "--version", "2").exit_code == 0
    first = openpyxl.load_workbook(old)["Questions"]
    assert first.cell(row=2, column=header.index("help") + 1).value != "Attach the certificate."


def test_csv_import_with_a_row_error_prints_row_and_column(app, db, tmp_path):
    path = tmp_path / "lite.csv"
    assert run(app, "export", LITE, "-o", str(path)).exit_code == 0
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[4, "options"] = "yes=Yes=1.7 | no=No=0"  # spreadsheet row 6
    frame.to_csv(path, index=False)
    result = run(app, "import", str(path), "--key", LITE)
    assert result.exit_code == 1
    assert "lite.csv:6:" in result.stderr
    problem = next(line for line in result.stderr.splitlines() if "lite.csv:6:" in line)
    assert "options" in problem and "between 0 and 1" in problem
    assert "nothing was loaded" in result.stderr
    assert versions(db, LITE) == 2


def test_import_of_an_industry_layout_prints_the_notes(app, db, tmp_path):
    path = tmp_path / "vendor-dd.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Acme AI due diligence questionnaire"])
    sheet.append([])
    sheet.append(["ID", "Question", "Guidance", "Mapping"])
    sheet.append(["GOV-01", "Do you have an approved AI policy?", "Attach it.", "A.2.2"])
    sheet.append(["GOV-02", "Do you review it yearly?", "", "ISO 27001 A.5.1"])
    sheet.append(["SUP-01", "Do you assess your suppliers?", "", "A.10.3"])
    book.save(path)
    result = run(app, "import", str(path), "--key", "acme-dd", "--title", "Acme DD")
    assert result.exit_code == 0, result.output + result.stderr
    assert "note:" in result.output
    assert "row 5" in result.output
    assert "Loaded acme-dd as version 1 (3 questions)." in result.output
    normalized = questionnaire_normalized(latest_questionnaire("acme-dd"))
    assert normalized["title"] == "Acme DD"
    assert [q["key"] for q in normalized["questions"]] == ["gov_01", "gov_02", "sup_01"]
    assert normalized["questions"][2]["controls"] == [{"ref": "A.10.3", "weight": 1.0}]


def test_export_of_an_unknown_questionnaire_fails(app, tmp_path):
    result = run(app, "export", "nope", "-o", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    result = run(app, "export", LITE, "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == 2


def test_import_of_an_invalid_yaml_names_the_line(app, db, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("key: x\ntitle: [unclosed\n", encoding="utf-8")
    result = run(app, "import", str(path), "--key", "bad-one")
    assert result.exit_code == 1
    assert "bad.yaml:" in result.stderr and "invalid YAML" in result.stderr
    assert versions(db, "bad-one") == 0


def test_existing_commands_still_work(app):
    result = run(app, "validate")
    assert result.exit_code == 0, result.output + result.stderr
    result = run(app, "load")
    assert result.exit_code == 0
    assert "Unchanged:" in result.output


FOREIGN = "tests/fixtures/foreign/ai-security-questionnaire.csv"


def test_import_with_map_suggest_then_review_and_publish(app, db):
    result = run(app, "import", FOREIGN, "--key", "ai-sec", "--map", "suggest")
    assert result.exit_code == 0, result.output + result.stderr
    assert "  aig_01_1: To review: A.2.2" in result.output
    assert "awaits mapping review" in result.output
    assert versions(db, "ai-sec") == 0
    import_id = int(result.output.split("Import ")[1].split(" ")[0])
    refused = run(app, "review", str(import_id), "--publish")
    assert refused.exit_code == 1 and "still have suggestions to review" in refused.stderr
    done = run(
        app, "review", str(import_id), "--accept-above", "0.6", "--publish", "--leave-rest-unmapped"
    )
    assert done.exit_code == 0, done.output + done.stderr
    assert "Published ai-sec as version 1." in done.output
    assert versions(db, "ai-sec") == 1


def test_import_with_map_accept_above_publishes(app, db):
    result = run(app, "import", FOREIGN, "--key", "ai-sec", "--map", "accept-above", "0.6")
    assert result.exit_code == 0, result.output + result.stderr
    assert "Loaded ai-sec as version 1 (322 questions)." in result.output
    qn = latest_questionnaire("ai-sec")
    mapped = sum(1 for q in qn.questions if q.control_links)
    assert 170 <= mapped <= 200
    bad = run(app, "import", FOREIGN, "--key", "ai-sec", "0.6")
    assert bad.exit_code == 2
