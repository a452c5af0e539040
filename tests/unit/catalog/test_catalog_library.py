"""The shipped questionnaire library: catalog, crosswalks and both AI-vendor questionnaires."""

from collections import Counter
from pathlib import Path

import pytest

from vendorassure.catalog import (
    OPTION_TYPES,
    content_hash,
    control_coverage,
    load_control_catalog,
    read_yaml,
    validate_library,
    validate_questionnaire,
)

ROOT = Path(__file__).resolve().parents[3] / "questionnaires"
FULL = "iso42001-ai-vendor"
LITE = "iso42001-ai-vendor-lite"


@pytest.fixture(scope="module")
def catalog():
    cat, problems = load_control_catalog(ROOT / "controls")
    assert problems == []
    return cat


def _load(name, catalog, full_coverage=False):
    data, problems = read_yaml(ROOT / f"{name}.yaml")
    assert problems == []
    normalized, problems = validate_questionnaire(
        data, catalog.control_refs, f"{name}.yaml", require_full_coverage=full_coverage
    )
    assert problems == [], [str(p) for p in problems]
    return normalized


@pytest.fixture(scope="module")
def full(catalog):
    return _load(FULL, catalog, full_coverage=True)


@pytest.fixture(scope="module")
def lite(catalog):
    return _load(LITE, catalog)


def _objective(ref):
    return ".".join(ref.split(".")[:2])


def test_library_validates_clean():
    problems = validate_library(ROOT)
    assert problems == [], "\n".join(str(p) for p in problems)


def test_catalog_has_9_objectives_and_38_controls(catalog):
    assert [o["ref"] for o in catalog.objectives] == [f"A.{n}" for n in range(2, 11)]
    assert len(catalog.controls) == 38
    counts = Counter(c["objective"] for c in catalog.controls)
    assert counts == {
        "A.2": 3, "A.3": 2, "A.4": 5, "A.5": 4, "A.6": 9,
        "A.7": 5, "A.8": 4, "A.9": 3, "A.10": 3,
    }  # fmt: skip
    refs = catalog.control_refs
    assert {"A.6.1.2", "A.6.1.3"} | {f"A.6.2.{n}" for n in range(2, 9)} <= refs
    titles = {c["ref"]: c["title"] for c in catalog.controls}
    assert titles["A.5.4"] == "Assessing AI system impact on individuals or groups of individuals"
    assert titles["A.6.1.3"] == "Processes for responsible AI system design and development"
    assert titles["A.10.3"] == "Suppliers"
    assert all(c["summary"] for c in catalog.controls)


def test_crosswalks(catalog):
    nist = catalog.crosswalks["nist-ai-rmf"]["mappings"]
    assert set(nist) == catalog.control_refs
    assert nist["A.10.3"][:3] == ["GOVERN 1.2", "GOVERN 4.1", "GOVERN 6.1"]
    eu = catalog.crosswalks["eu-ai-act"]["mappings"]
    assert set(eu) <= catalog.control_refs
    assert catalog.control_refs - set(eu) == {"A.3.3", "A.4.4", "A.4.5"}
    assert eu["A.8.4"] == ["Art. 17", "Art. 73"]
    assert all(r.startswith("Art. ") for refs in eu.values() for r in refs)


def test_every_control_is_covered_by_the_full_questionnaire(full, catalog):
    coverage = control_coverage(full)
    missing = sorted(catalog.control_refs - set(coverage))
    assert missing == [], f"controls without a question: {missing}"
    # and by at least one scored (option) question
    scored = {
        c["ref"] for q in full["questions"] if q["type"] in OPTION_TYPES for c in q["controls"]
    }
    assert catalog.control_refs <= scored


def test_full_questionnaire_shape(full):
    questions = full["questions"]
    assert 80 <= len(questions) <= 120
    a10 = [q for q in questions if any(c["ref"].startswith("A.10.") for c in q["controls"])]
    assert len(a10) >= 12
    knockouts = [q for q in questions if q["knockout"]]
    assert 3 <= len(knockouts) <= 6
    by_key = {q["key"]: q for q in questions}
    assert by_key["training_on_customer_data"]["knockout"] == {
        "values": ["yes_without_consent"],
        "min_rating": "high",
    }
    option_share = sum(q["type"] in OPTION_TYPES for q in questions) / len(questions)
    assert option_share > 0.8
    assert sum(q["required"] for q in questions) / len(questions) > 0.8


def test_certifications_come_first(full):
    first = full["sections"][0]
    assert first["key"] == "certifications"
    cert_qs = [q for q in full["questions"] if q["section"] == "certifications"]
    kinds = {k for q in cert_qs for k in q["evidence_kinds"]}
    assert {"iso42001_certificate", "iso27001_certificate", "soc2_type2_report"} <= kinds
    assert full["questions"][0]["evidence_kinds"] == ["iso42001_certificate"]


def test_worse_practice_scores_lower(full, lite):
    for q in full["questions"] + lite["questions"]:
        for opt in q["options"]:
            assert 0.0 <= opt["score"] <= 1.0
        if q["type"] in ("yes_no", "yes_no_partial") and q["key"] != "uses_third_party_models":
            scores = {o["value"]: o["score"] for o in q["options"]}
            assert scores["yes"] > scores["no"], q["key"]


def test_lite_questionnaire(lite, full, catalog):
    questions = lite["questions"]
    assert len(questions) <= 25
    covered = {c["ref"] for q in questions for c in q["controls"]}
    assert {o["ref"] for o in catalog.objectives} == {_objective(r) for r in covered}
    assert {"A.10.2", "A.10.3", "A.10.4"} <= covered
    full_by_key = {q["key"]: q for q in full["questions"]}
    for q in questions:
        assert q["key"] in full_by_key, q["key"]
        twin = full_by_key[q["key"]]
        for fld in ("text", "help", "type", "options", "controls", "knockout", "show_if"):
            assert q[fld] == twin[fld], (q["key"], fld)


def test_content_hash_is_stable_and_sensitive(full):
    h = content_hash(full)
    assert len(h) == 64 and h == content_hash(dict(full))
    changed = dict(full, title=full["title"] + " v2")
    assert content_hash(changed) != h
