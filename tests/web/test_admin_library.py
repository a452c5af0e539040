"""Admin questionnaire library: versions and usage, upload with validator messages, preview,
coverage matrix, export, and who may open these pages."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from sqlalchemy import func, select

from vendorassure.catalog import control_coverage, read_yaml, validate_questionnaire
from vendorassure.models import Assessment, AuditEvent, Control, Question, Questionnaire

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"
FULL = "iso42001-ai-vendor"
LITE = "iso42001-ai-vendor-lite"
BROKEN = Path(__file__).resolve().parents[1] / "unit" / "catalog" / "broken"


def upload(client, data: bytes, filename: str, key: str = "", title: str = ""):
    return client.post(
        "/admin/library/upload",
        data={"file": (io.BytesIO(data), filename), "key": key, "title": title},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def version_count(db, key: str | None = None) -> int:
    stmt = select(func.count()).select_from(Questionnaire)
    if key:
        stmt = stmt.where(Questionnaire.key == key)
    return db.session.scalar(stmt)


def loaded_events(db) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).filter_by(action="questionnaire.loaded")
    )


def lite_yaml_changed() -> bytes:
    """The shipped lite questionnaire with one question's wording changed."""
    text = (ROOT / f"{LITE}.yaml").read_text(encoding="utf-8")
    changed = text.replace(
        "Does your organization hold an ISO/IEC 42001:2023", "Do you hold an ISO/IEC 42001:2023", 1
    )
    assert changed != text
    return changed.encode("utf-8")


def full_without_one_control(key: str) -> tuple[bytes, str]:
    """The full questionnaire under another key, with every mapping to one control removed."""
    data = yaml.safe_load((ROOT / f"{FULL}.yaml").read_text(encoding="utf-8"))
    coverage = control_coverage(_normalized(FULL))
    dropped = min(sorted(coverage), key=lambda ref: len(coverage[ref]))
    data["key"] = key
    if key != FULL:
        data.pop("coverage", None)  # a questionnaire of one's own need not cover every control
    for section in data["sections"]:
        for q in section["questions"]:
            q["controls"] = [c for c in q.get("controls", []) if c["ref"] != dropped]
            if not q["controls"]:
                q.pop("controls")
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8"), dropped


def _normalized(key: str) -> dict:
    from vendorassure.catalog import load_control_catalog

    catalog, _ = load_control_catalog(ROOT / "controls")
    data, _ = read_yaml(ROOT / f"{key}.yaml")
    normalized, problems = validate_questionnaire(data, catalog.control_refs, key, False)
    assert problems == []
    return normalized


# --- library page ------------------------------------------------------------------------------


def test_library_lists_versions_question_counts_and_usage(client, login_as, make, db):
    make.assessment(make.vendor(), LITE)
    make.assessment(make.vendor(), LITE)
    login_as("admin")
    page = client.get("/admin/library").get_data(as_text=True)
    for key in (FULL, LITE):
        qn = db.session.scalar(
            select(Questionnaire).filter_by(key=key).order_by(Questionnaire.version.desc()).limit(1)
        )
        count = db.session.scalar(
            select(func.count()).select_from(Question).where(Question.questionnaire_id == qn.id)
        )
        row = re.search(rf'<section class="card" id="q-{key}">.*?</section>', page, re.S).group(0)
        assert f'<td class="num">{count}</td>' in row
        assert f"/admin/questionnaires/{key}/v/2/preview" in row
        assert f"/admin/questionnaires/{key}/v/2/coverage" in row
    lite = re.search(rf'<section class="card" id="q-{LITE}">.*?</section>', page, re.S).group(0)
    assert "2 assessments" in lite and "2 open" in lite
    full = re.search(rf'<section class="card" id="q-{FULL}">.*?</section>', page, re.S).group(0)
    assert "0 assessments" in full


# --- upload ------------------------------------------------------------------------------------


def test_broken_upload_shows_every_validator_problem_and_stores_nothing(client, login_as, db):
    login_as("admin")
    before = version_count(db)
    data = (BROKEN / "several_problems.yaml").read_bytes()
    response = upload(client, data, "several_problems.yaml")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nothing was loaded" in page
    # file, line, key and field of each problem appear in the table
    assert "several_problems.yaml" in page
    assert "A.99.1" in page
    assert "options[1].score" in page
    assert "duplicate" in page.lower()
    rows = re.findall(
        r"<tr><td class=\"mono\">several_problems.yaml</td><td class=\"num\">(\d+)</td>", page
    )
    assert len(rows) >= 4 and all(int(n) > 0 for n in rows)
    assert version_count(db) == before
    assert loaded_events(db) == 0


def test_bad_yaml_upload_names_the_line(client, login_as, db):
    login_as("admin")
    response = upload(client, (BROKEN / "bad_yaml.yaml").read_bytes(), "bad_yaml.yaml")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "invalid YAML" in page
    line = re.search(r'<td class="mono">bad_yaml.yaml</td><td class="num">(\d+)</td>', page)
    assert line and int(line.group(1)) > 1


def test_upload_of_another_file_type_is_refused(client, login_as, db):
    login_as("admin")
    before = version_count(db)
    response = upload(client, b"%PDF-1.4", "questions.pdf")
    assert response.status_code == 422
    assert "Upload a .yaml, .xlsx or .csv file." in response.get_data(as_text=True)
    assert version_count(db) == before


def test_unchanged_upload_is_a_no_op(client, login_as, db):
    login_as("admin")
    before = version_count(db, LITE)
    response = upload(client, (ROOT / f"{LITE}.yaml").read_bytes(), "lite.yaml")
    assert response.status_code == 200
    assert "unchanged — already version 2" in response.get_data(as_text=True)
    assert version_count(db, LITE) == before == 2
    assert loaded_events(db) == 0


def test_changed_upload_becomes_next_version_and_issued_assessment_keeps_its_own(
    client, login_as, make, db
):
    vendor = make.vendor()
    issued = make.assessment(vendor, LITE)
    old_id = issued.questionnaire_id
    login_as("admin")
    response = upload(client, lite_yaml_changed(), "lite-v2.yaml")
    assert response.status_code == 200
    assert f"Loaded {LITE} as version 3" in response.get_data(as_text=True)
    assert version_count(db, LITE) == 3
    db.session.expire_all()
    kept = db.session.get(Assessment, issued.id)
    assert kept.questionnaire_id == old_id
    assert kept.questionnaire.version == 2
    assert "Does your organization hold" in kept.questionnaire.questions[0].text
    fresh = make.assessment(vendor, LITE)
    assert fresh.questionnaire.version == 3
    assert fresh.questionnaire.questions[0].text.startswith("Do you hold")
    event = db.session.scalar(select(AuditEvent).filter_by(action="questionnaire.loaded"))
    assert event.details == {"key": LITE, "version": 3, "questions": 30}
    # uploading the same change again is a no-op
    again = upload(client, lite_yaml_changed(), "lite-v2.yaml")
    assert "unchanged — already version 3" in again.get_data(as_text=True)
    assert version_count(db, LITE) == 3


def test_xlsx_export_uploads_back_unchanged(client, login_as, db):
    login_as("admin")
    exported = client.get(f"/admin/questionnaires/{LITE}/v/2/export.xlsx")
    assert exported.status_code == 200
    assert exported.mimetype.endswith("spreadsheetml.sheet")
    assert f"{LITE}-v2.xlsx" in exported.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(exported.data))
    assert book["Questions"].max_row == 31  # header + 30 questions
    response = upload(client, exported.data, f"{LITE}-v2.xlsx")
    assert "unchanged — already version 2" in response.get_data(as_text=True)
    assert version_count(db, LITE) == 2


def test_csv_upload_row_error_names_row_and_column(client, login_as, db):
    login_as("admin")
    csv = client.get(f"/admin/questionnaires/{LITE}/v/2/export.csv").data
    frame = pd.read_csv(io.BytesIO(csv), dtype=str, keep_default_na=False)
    frame.loc[2, "controls"] = "Z.9.9:1.0"  # frame row 2 is spreadsheet row 4 (header is row 1)
    broken = frame.to_csv(index=False).encode()
    before = version_count(db)
    response = upload(client, broken, "lite.csv", key=LITE)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'<td class="num">4</td>.*?<td class="mono">controls</td>', page, re.S)
    assert version_count(db) == before


def test_csv_upload_needs_a_key(client, login_as, db):
    login_as("admin")
    csv = client.get(f"/admin/questionnaires/{LITE}/v/2/export.csv").data
    response = upload(client, csv, "lite.csv")
    assert response.status_code == 422
    assert "give the key" in response.get_data(as_text=True)


# --- coverage ----------------------------------------------------------------------------------


def test_coverage_matrix_of_full_questionnaire_covers_38_of_38(client, login_as, db):
    login_as("admin")
    response = client.get(f"/admin/questionnaires/{FULL}/v/2/coverage")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "38 of 38 controls covered" in page
    assert 'class="uncovered"' not in page
    assert len(re.findall(r'<tr id="c-A\.[\d.]+" class="covered"', page)) == 38


def test_coverage_matrix_marks_an_uncovered_control(client, login_as, db):
    login_as("admin")
    data, dropped = full_without_one_control("custom-ai-vendor")
    response = upload(client, data, "custom.yaml")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    page = response.get_data(as_text=True)  # the upload lands on the new version's coverage
    assert "37 of 38 controls covered" in page
    row = re.search(rf'<tr id="c-{re.escape(dropped)}" class="(\w+)".*?</tr>', page, re.S)
    assert row.group(1) == "uncovered"
    assert "uncovered" in re.sub(r"<[^>]+>", " ", row.group(0))
    assert len(re.findall(r'class="uncovered"', page)) == 1


def test_full_questionnaire_missing_a_control_is_refused(client, login_as, db):
    login_as("admin")
    data, dropped = full_without_one_control(FULL)
    response = upload(client, data, "full.yaml")
    assert response.status_code == 422
    assert dropped in response.get_data(as_text=True)
    assert version_count(db, FULL) == 2


# --- preview -----------------------------------------------------------------------------------


def test_preview_renders_every_question_of_the_lite_questionnaire_read_only(client, login_as, db):
    login_as("admin")
    response = client.get(f"/admin/questionnaires/{LITE}/v/2/preview")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    qn = db.session.scalar(select(Questionnaire).filter_by(key=LITE, version=2))
    keys = [q.key for q in qn.questions]
    assert len(keys) == 30
    rendered = re.findall(r'<div class="question" id="q-([a-z0-9_]+)"', page)
    assert rendered == keys
    for q in qn.questions:
        assert q.text.split()[0] in page
        for option in q.options:
            assert f'value="{option["value"]}"' in page
    # read-only: every fieldset disabled, nothing hidden, no save or submit button
    assert page.count("<fieldset disabled") == 30
    assert not re.search(r'<div class="question"[^>]*\bhidden\b', page)
    assert "Save answers" not in page and "Submit for review" not in page


def test_preview_of_unknown_version_is_404(client, login_as):
    login_as("admin")
    assert client.get(f"/admin/questionnaires/{LITE}/v/9/preview").status_code == 404
    assert client.get("/admin/questionnaires/nope/v/1/coverage").status_code == 404


# --- roles -------------------------------------------------------------------------------------

ADMIN_PAGES = [
    "/admin/library",
    "/admin/library/upload",
    f"/admin/questionnaires/{LITE}/v/2/preview",
    f"/admin/questionnaires/{LITE}/v/2/coverage",
    f"/admin/questionnaires/{LITE}/v/2/export.xlsx",
    f"/admin/questionnaires/{LITE}/v/2/export.csv",
]


@pytest.mark.parametrize("role", ["procurement", "risk", "vendor"])
def test_admin_library_pages_refuse_other_roles(client, login_as, make, db, role):
    login_as(role, vendor=make.vendor() if role == "vendor" else None)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    before = version_count(db)
    response = client.post(
        "/admin/library/upload",
        data={"file": (io.BytesIO(lite_yaml_changed()), "lite.yaml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert version_count(db) == before


def test_admin_library_pages_open_for_admin(client, login_as):
    login_as("admin")
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 200, path


def test_library_pages_need_sign_in(client):
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_control_catalog_is_loaded(db):
    assert db.session.scalar(select(func.count()).select_from(Control)) == 38


def test_upload_without_csrf_token_is_refused(app, client, login_as, db):
    login_as("admin")
    app.config["WTF_CSRF_ENABLED"] = True
    before = version_count(db, LITE)
    response = client.post(
        "/admin/library/upload",
        data={"file": (io.BytesIO(lite_yaml_changed()), "lite.yaml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert version_count(db, LITE) == before


def test_upload_page_prefills_the_key(client, login_as):
    login_as("admin")
    page = client.get(f"/admin/library/upload?key={LITE}").get_data(as_text=True)
    assert re.search(rf'<input[^>]*name="key"[^>]*value="{LITE}"', page)
