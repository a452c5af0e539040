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
    # by at least two scored questions and by fewer than twenty (the file's own coverage rule)
    per_control: dict[str, int] = {}
    for q in full["questions"]:
        if q["type"] in OPTION_TYPES and q["scored"]:
            for c in q["controls"]:
                per_control[c["ref"]] = per_control.get(c["ref"], 0) + 1
    assert set(per_control) == catalog.control_refs
    assert min(per_control.values()) >= 2 and max(per_control.values()) < 20
    assert full["coverage"] == {"controls": "all", "questions": "mapped", "per_control": [2, 19]}


def test_full_questionnaire_shape(full):
    questions = full["questions"]
    assert 140 <= len(questions) <= 175
    a10 = [q for q in questions if any(c["ref"].startswith("A.10.") for c in q["controls"])]
    assert len(a10) >= 12
    knockouts = [q for q in questions if q["knockout"]]
    assert len(knockouts) == 4
    # version 2: every question explains itself, every "Partly" says what it means
    assert all(q["help"] for q in questions)
    for q in questions:
        if q["type"] == "yes_no_partial":
            partial = next(o for o in q["options"] if o["value"] == "partial")
            assert partial["label"].startswith("Partly: ") and len(partial["label"]) > 12, q["key"]
    scored = [q for q in questions if q["scored"] and q["type"] in OPTION_TYPES]
    with_evidence = [q for q in scored if q["evidence_kinds"]]
    assert len(with_evidence) / len(scored) > 0.8
    kinds = {k for q in questions for k in q["evidence_kinds"]}
    assert {"contract_dpa", "test_report", "model_card"} <= kinds
    # multi-choice questions score by what is chosen, and "none of these" is exclusive
    for q in questions:
        if q["type"] == "multi_choice" and q["scored"]:
            assert q["score_mode"] == "sum", q["key"]
            assert any(o.get("exclusive") for o in q["options"]), q["key"]
    # certificate questions are informational: the verified certificate earns the credit
    by_key = {q["key"]: q for q in questions}
    for key in ("iso42001_certified", "iso27001_certified", "soc2_type2"):
        assert by_key[key]["scored"] is False and by_key[key]["controls"] == []
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
        if q["type"] in ("yes_no", "yes_no_partial") and q["scored"]:
            scores = {o["value"]: o["score"] for o in q["options"]}
            assert scores["yes"] > scores["no"], q["key"]


def test_lite_questionnaire(lite, full, catalog):
    questions = lite["questions"]
    assert len(questions) <= 30
    covered = {c["ref"] for q in questions for c in q["controls"]}
    assert {o["ref"] for o in catalog.objectives} == {_objective(r) for r in covered}
    # a real triage: every knockout and the severe red-flag questions are asked
    keys = {q["key"] for q in questions}
    assert {"prohibited_practices", "incident_notification", "training_on_customer_data",
            "human_override", "event_logging", "customer_data_deletion", "tenant_isolation",
            "supplier_data_retention", "eu_ai_act_classification", "sso_mfa"} <= keys  # fmt: skip
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


V2_TOPICS = {
    "GPAI provider obligations": ["gpai_downstream_documentation", "gpai_copyright_policy",
                                  "gpai_training_summary"],
    "AI Act role and high-risk duties": ["eu_ai_act_role", "high_risk_conformity_assessment",
                                         "high_risk_registration", "post_market_monitoring"],
    "model provenance": ["model_weights_type", "model_fine_tuned_by", "model_provenance_record"],
    "upstream provider terms": ["supplier_no_training_terms", "supplier_data_retention",
                                "supplier_terms_review"],
    "human access to prompts and outputs": ["human_access_prompts", "human_access_purposes"],
    "retention": ["prompt_output_retention", "embedding_retention", "backup_deletion_deadline"],
    "locations and transfers": ["storage_location_commitment", "inference_location_commitment",
                                "cross_border_transfer_mechanism"],
    "AI incident notification": ["ai_incident_notification", "incident_notification"],
    "red-teaming and evaluation": ["red_teaming_frequency", "red_teaming_scope",
                                   "retest_after_model_change", "evaluation_frequency"],
    "leakage and retrieval": ["sensitive_data_leakage", "system_prompt_leakage",
                              "permission_aware_retrieval"],
    "SSO, MFA, customer keys": ["sso_mfa", "customer_managed_keys"],
    "agent tool supply chain": ["agent_tool_supply_chain", "agent_credential_scoping"],
    "content credentials": ["content_credentials"],
    "version pinning and re-validation": ["model_version_pinning",
                                          "customer_revalidation_window"],
    "AI liability and IP insurance": ["ai_insurance", "ip_indemnity"],
    "export controls": ["export_controls"],
}  # fmt: skip


def test_version_two_asks_the_2026_topics(full):
    keys = {q["key"] for q in full["questions"]}
    for topic, wanted in V2_TOPICS.items():
        assert set(wanted) <= keys, (topic, sorted(set(wanted) - keys))
    # the double-barrelled v1 questions are split
    assert {"aims_internal_audit", "security_test_sharing"}.isdisjoint(keys)
    assert {"red_teaming_results_shared", "pen_test_sharing"} <= keys
