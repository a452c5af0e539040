"""services.library for the admin library: versions and usage, uploads, export fidelity,
coverage, and bounded query counts."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from vendorassure import catalog
from vendorassure.models import Assessment, AuditEvent, Questionnaire
from vendorassure.services import library
from vendorassure.services.errors import Forbidden
from vendorassure.services.library import LibraryInvalid

ROOT = Path(__file__).resolve().parents[3] / "questionnaires"
FULL = "iso42001-ai-vendor"
LITE = "iso42001-ai-vendor-lite"


@contextmanager
def count_queries(db):
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def lite_bytes(change: str | None = None) -> bytes:
    text = (ROOT / f"{LITE}.yaml").read_text(encoding="utf-8")
    if change:
        text = text.replace("title: ISO/IEC 42001 AI vendor assessment (short)", f"title: {change}")
    return text.encode("utf-8")


def test_library_versions_counts_questions_and_assessments(make, db):
    make.assessment(make.vendor(), LITE)
    done = make.assessment(make.vendor(), LITE)
    done.status = "cancelled"
    db.session.commit()
    library.import_upload(make.user("admin"), lite_bytes("Short v2"), "lite.yaml")
    rows, total = library.library_versions(1, 50)
    # the shipped library: version 1 (history/) and 2 of each, then the upload as version 3
    assert total == 5
    by = {(r["questionnaire"].key, r["questionnaire"].version): r for r in rows}
    assert [k for k in by] == [(FULL, 2), (FULL, 1), (LITE, 3), (LITE, 2), (LITE, 1)]
    assert by[(LITE, 2)]["assessment_count"] == 2 and by[(LITE, 2)]["open_count"] == 1
    assert by[(LITE, 3)]["assessment_count"] == 0 and by[(LITE, 1)]["assessment_count"] == 0
    assert by[(LITE, 3)]["latest"] and not by[(LITE, 2)]["latest"] and by[(FULL, 2)]["latest"]
    assert by[(LITE, 2)]["question_count"] == by[(LITE, 3)]["question_count"] == 30
    assert by[(LITE, 1)]["question_count"] == 24  # version 1 as it was
    page3, _ = library.library_versions(3, 2)
    assert [(r["questionnaire"].key, r["questionnaire"].version) for r in page3] == [(LITE, 1)]


def test_library_versions_uses_two_queries_whatever_the_size(make, db):
    for n in range(3):
        library.import_upload(None, lite_bytes(f"Short v{n + 2}"), "lite.yaml")
        make.assessment(make.vendor(), LITE)
    db.session.expire_all()
    with count_queries(db) as statements:
        rows, _ = library.library_versions(1, 50)
        for r in rows:
            (r["questionnaire"].title, r["question_count"], r["assessment_count"])
    assert len(rows) == 7
    assert len(statements) == 2, statements


@pytest.mark.parametrize("key", [FULL, LITE])
def test_stored_version_rebuilds_to_the_same_content_hash(db, key):
    qn = library.latest_questionnaire(key)
    normalized = library.questionnaire_normalized(qn)
    assert catalog.content_hash(normalized) == qn.content_hash
    data, _ = catalog.read_yaml(ROOT / f"{key}.yaml")
    refs = {c.ref for c in library.control_catalog()["controls"]}
    from_file, problems = catalog.validate_questionnaire(data, refs, key, False)
    assert problems == []
    assert normalized == from_file


def test_unchanged_upload_stores_nothing_and_audits_nothing(make, db):
    admin = make.user("admin")
    result = library.import_upload(admin, lite_bytes(), "lite.yaml")
    assert not result.created and result.questionnaire.version == 2
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).filter_by(action="questionnaire.loaded")
        )
        == 0
    )


def test_changed_upload_is_next_version_audited_and_issued_assessment_keeps_its_own(make, db):
    issued = make.assessment(make.vendor(), LITE)
    admin = make.user("admin")
    result = library.import_upload(admin, lite_bytes("Short, revised"), "lite.yaml")
    assert result.created and result.questionnaire.version == 3
    assert result.questionnaire.source == "upload: lite.yaml"
    event_ = db.session.scalar(select(AuditEvent).filter_by(action="questionnaire.loaded"))
    assert event_.actor_id == admin.id and event_.details["version"] == 3
    db.session.expire_all()
    assert db.session.get(Assessment, issued.id).questionnaire.version == 2


def test_invalid_upload_raises_with_located_problems_and_stores_nothing(make, db):
    before = db.session.scalar(select(func.count()).select_from(Questionnaire))
    bad = lite_bytes().replace(b"score: 1.0", b"score: 1.5", 1)
    with pytest.raises(LibraryInvalid) as info:
        library.import_upload(make.user("admin"), bad, "lite.yaml")
    [problem] = info.value.details
    assert problem.file == "lite.yaml" and problem.line and problem.key
    assert problem.field.endswith(".score") and "between 0 and 1" in problem.message
    assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == before


def test_only_admins_may_upload(make, db):
    for role in ("procurement", "risk"):
        with pytest.raises(Forbidden):
            library.import_upload(make.user(role), lite_bytes("x"), "lite.yaml")


def test_key_and_title_override_the_file(make, db):
    result = library.import_upload(
        make.user("admin"), lite_bytes(), "lite.yaml", key="lite-copy", title="A copy"
    )
    assert result.created
    assert (result.questionnaire.key, result.questionnaire.version) == ("lite-copy", 1)
    assert result.questionnaire.title == "A copy"


def test_parse_upload_refuses_unknown_types_and_empty_files(db):
    _, problems, _ = library.parse_upload(b"data", "x.docx")
    assert "not accepted" in problems[0].message
    _, problems, _ = library.parse_upload(b"", "x.yaml")
    assert "empty" in problems[0].message


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_reads_back_to_the_same_questionnaire(db, fmt):
    data, filename = library.export_questionnaire(LITE, 2, fmt)
    assert filename == f"{LITE}-v2.{fmt}"
    normalized, problems, notes = library.parse_upload(data, filename, key=LITE)
    assert problems == [] and notes == []
    assert catalog.content_hash(normalized) == library.latest_questionnaire(LITE).content_hash


def test_coverage_matrix_matches_the_catalog_coverage(db):
    for key in (FULL, LITE):
        qn = library.latest_questionnaire(key)
        matrix = library.coverage_matrix(qn)
        expected = catalog.control_coverage(library.questionnaire_normalized(qn))
        assert matrix["total"] == 38
        assert matrix["covered"] == len(expected)
        for group in matrix["groups"]:
            for row in group["rows"]:
                keys = [q["key"] for q in row["questions"]]
                assert keys == expected.get(row["control"].ref, [])
    full = library.coverage_matrix(library.latest_questionnaire(FULL))
    assert full["covered"] == 38 and full["uncovered"] == []
    lite = library.coverage_matrix(library.latest_questionnaire(LITE))
    assert lite["uncovered"] and lite["covered"] + len(lite["uncovered"]) == 38


def test_coverage_weight_is_question_weight_times_mapping_weight(db):
    qn = library.latest_questionnaire(FULL)
    normalized = library.questionnaire_normalized(qn)
    expected: dict[str, float] = {}
    for q in normalized["questions"]:
        for c in q["controls"]:
            expected[c["ref"]] = expected.get(c["ref"], 0.0) + q["weight"] * c["weight"]
    matrix = library.coverage_matrix(qn)
    got = {r["control"].ref: r["weight"] for g in matrix["groups"] for r in g["rows"]}
    assert got == pytest.approx(expected)


def test_preview_and_coverage_queries_are_bounded(db):
    qn = library.latest_questionnaire(FULL)
    db.session.expire_all()
    qn = library.latest_questionnaire(FULL)
    with count_queries(db) as statements:
        questions = library.questions_with_controls(qn)
        [link.control.ref for q in questions for link in q.control_links]
    assert len(questions) > 100 and len(statements) <= 3
    with count_queries(db) as statements:
        library.coverage_matrix(qn)
    assert len(statements) <= 4
