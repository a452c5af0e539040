"""The worked example of docs/SCORING.md, computed by hand, checked against the engine."""

import json
from datetime import date

import pytest

from vendorassure.scoring import (
    AnswerIn,
    CertificateIn,
    ControlDef,
    QuestionDef,
    ScoringInput,
    load_model,
    score_assessment,
)

AS_OF = date(2026, 11, 27)
YNP = [
    {"value": "yes", "label": "Yes", "score": 1.0},
    {"value": "partial", "label": "Partly", "score": 0.5},
    {"value": "no", "label": "No", "score": 0.0},
]

QUESTIONS = [
    QuestionDef.from_dict(d)
    for d in [
        {"key": "ai_policy", "type": "yes_no_partial", "options": YNP,
         "evidence_kinds": ["policy"], "controls": [{"ref": "A.2.2", "weight": 1.0}]},
        {"key": "policy_review", "type": "single_choice",
         "options": [{"value": "annual", "label": "Every year", "score": 1.0},
                     {"value": "ad_hoc", "label": "When needed", "score": 0.5},
                     {"value": "never", "label": "Never", "score": 0.0}],
         "controls": [{"ref": "A.2.2", "weight": 0.5}, {"ref": "A.2.4", "weight": 1.0}]},
        {"key": "supplier_assessment", "type": "yes_no_partial", "options": YNP, "weight": 2.0,
         "evidence_kinds": ["other"], "controls": [{"ref": "A.10.3", "weight": 1.0}]},
        {"key": "supplier_contracts", "type": "yes_no", "allows_na": True,
         "options": YNP[::2], "controls": [{"ref": "A.10.3", "weight": 1.0}]},
        {"key": "customer_information", "type": "yes_no_partial", "options": YNP,
         "controls": [{"ref": "A.10.4", "weight": 1.0}]},
        {"key": "training_on_customer_data", "type": "single_choice",
         "options": [{"value": "never", "label": "Never", "score": 1.0},
                     {"value": "opt_out", "label": "Unless the customer opts out", "score": 0.4},
                     {"value": "yes_without_consent", "label": "Yes", "score": 0.0}],
         "controls": [{"ref": "A.10.4", "weight": 1.0}],
         "knockout": {"values": ["yes_without_consent"], "min_rating": "high"}},
    ]
]  # fmt: skip
CONTROLS = [
    ControlDef("A.2.2", "A.2", "AI policy"),
    ControlDef("A.2.4", "A.2", "Review of the AI policy"),
    ControlDef("A.10.3", "A.10", "Suppliers"),
    ControlDef("A.10.4", "A.10", "Customers"),
]
ANSWERS = {
    "ai_policy": AnswerIn("ai_policy", "yes", evidence="provided"),
    "policy_review": AnswerIn("policy_review", "ad_hoc"),
    "supplier_assessment": AnswerIn("supplier_assessment", "partial"),
    "supplier_contracts": AnswerIn("supplier_contracts", na=True),
    # customer_information left unanswered
    "training_on_customer_data": AnswerIn("training_on_customer_data", "opt_out"),
}
ISO27001 = CertificateIn(
    id=7, kind="iso27001_certificate", verification="accepted", issued_on=date(2025, 3, 1),
    expires_on=date(2028, 2, 28), scope_covers_service=True, accredited=True,
)  # fmt: skip
EXPIRED_42001 = CertificateIn(
    id=8, kind="iso42001_certificate", verification="accepted", issued_on=date(2023, 6, 1),
    expires_on=date(2026, 5, 31), scope_covers_service=True, accredited=True,
)  # fmt: skip


@pytest.fixture(scope="module")
def model():
    return load_model()


def run(model, answers=ANSWERS, certificates=(), tier="medium"):
    inp = ScoringInput(QUESTIONS, CONTROLS, answers, certificates, tier, AS_OF)
    return score_assessment(inp, model)


def by_ref(result):
    return {c.ref: c for c in result.controls}


def test_worked_example_without_certificates(model):
    r = run(model)
    c = by_ref(r)
    # A.2.2: (1 x 1.0*0.85 + 0.5 x 0.5) / 1.5
    assert c["A.2.2"].score == pytest.approx(0.7333, abs=1e-4)
    assert c["A.2.4"].score == 0.5
    # A.10.3: supplier_assessment 0.5 x 0.7 (no evidence); supplier_contracts N/A leaves
    assert c["A.10.3"].score == 0.35 and c["A.10.3"].coverage == 1.0
    # A.10.4: (unanswered 0 + opt_out 0.4) / 2; half the weight answered
    assert c["A.10.4"].score == 0.2 and c["A.10.4"].coverage == 0.5
    objectives = {o.ref: o for o in r.objectives}
    assert objectives["A.2"].score == pytest.approx(0.6167, abs=1e-4)
    # A.10: (1.5 x 0.35 + 1.0 x 0.2) / 2.5
    assert objectives["A.10"].score == 0.29 and objectives["A.10"].band == "poor"
    assert r.third_party["score"] == 0.29
    # (1.0 x 0.61667 + 1.25 x 0.29) / 2.25
    assert r.effectiveness == pytest.approx(0.4352, abs=1e-4)
    assert r.band == "weak"
    assert r.rating == "medium"
    # 100 x 0.5 x (1 - 0.8 x 0.435185)
    assert r.risk_score == 32.6
    assert r.knockouts == []
    # training unless opted out is a red flag (at least medium); A.10 is poor (0.29): two caps
    assert [f.key for f in r.red_flags] == ["training_unless_opt_out"]
    assert [c.key for c in r.caps] == ["objective_failing", "suppliers_weak"]
    assert r.explanation.held_by == ()  # the matrix alone already says medium
    assert [d.control for d in r.drivers] == ["A.10.3", "A.10.4", "A.2.4", "A.2.2"]
    assert r.drivers[0].impact == pytest.approx(0.2167, abs=1e-4)
    assert r.drivers[1].questions == ("customer_information", "training_on_customer_data")
    # To reach low: clear the red flag (training never: A.10.4 = (0 + 1) / 2), raise
    # supplier_assessment to yes with verified evidence (A.10.3 = 1.0, A.10 = 0.8) and review
    # the policy every year (A.2.2 = 0.9, A.2.4 = 1.0, A.2 = 0.95): E = (0.95 + 1.25 x 0.8) /
    # 2.25 = 0.867, strong. Without the policy step E = 0.7185 (adequate: still medium).
    plan = r.plan
    assert plan.target_rating == "low" and plan.possible and plan.more == 0
    assert [(s.action, s.question, s.target) for s in plan.steps] == [
        ("change", "training_on_customer_data", "never"),
        ("improve", "supplier_assessment", "yes"),
        ("improve", "policy_review", "annual"),
    ]
    assert plan.steps[1].effect == pytest.approx(0.2167, abs=1e-4)


def test_worked_example_with_certificates(model):
    r = run(model, certificates=[ISO27001, EXPIRED_42001])
    c = by_ref(r)
    # ISO/IEC 27001 credit on A.10.3: min(1, max(0.35 + 0.05, 0.60))
    assert c["A.10.3"].score == 0.6
    assert c["A.2.2"].score == pytest.approx(0.7333, abs=1e-4)  # the expired 42001 gives nothing
    assert r.third_party["score"] == 0.44
    assert r.effectiveness == pytest.approx(0.5185, abs=1e-4)
    assert r.band == "weak" and r.rating == "medium"
    assert r.risk_score == 29.3
    certs = {x.id: x.to_dict() for x in r.certificates}
    assert certs[7]["applied"] is True and certs[7]["controls"] == ["A.10.3"]
    assert certs[7]["credit"] == {"floor": 0.6, "bonus": 0.05}
    assert certs[8]["applied"] is False and certs[8]["reason"] == "expired"
    # the lapsed ISO/IEC 42001 certificate is suggested for renewal after the required steps
    assert [(s.action, s.question or s.certificate) for s in r.plan.steps] == [
        ("change", "training_on_customer_data"),
        ("improve", "supplier_assessment"),
        ("improve", "policy_review"),
        ("renew", "iso42001_certificate"),
    ]


def test_worked_example_knockout(model):
    answers = dict(ANSWERS)
    answers["training_on_customer_data"] = AnswerIn(
        "training_on_customer_data", "yes_without_consent"
    )
    r = run(model, answers=answers, tier="low")
    # A.10.4 drops to 0, A.10 to 0.21, effectiveness to (0.61667 + 1.25 x 0.21) / 2.25
    assert r.effectiveness == pytest.approx(0.3907, abs=1e-4)
    assert r.band == "poor"  # the matrix alone says low x poor = medium ...
    assert r.rating == "high"  # ... the knockout floors it at high
    assert r.knockouts == [
        {"question": "training_on_customer_data", "value": "yes_without_consent",
         "min_rating": "high"}
    ]  # fmt: skip
    # 100 x 0.25 x (1 - 0.8 x 0.390741) = 17.2, lifted into the range of "high"
    assert r.risk_score == 50.0
    assert r.explanation.held_by == ("knockout.training_on_customer_data",)
    # changing that one answer is enough: E = (0.61667 + 1.25 x 0.41) / 2.25 = 0.502 (weak),
    # and low x weak = medium
    plan = r.plan
    assert plan.target_rating == "medium" and plan.possible
    assert [(s.action, s.question) for s in plan.steps] == [("change", "training_on_customer_data")]


def test_result_json_shape(model):
    d = run(model, certificates=[ISO27001]).to_dict()
    json.dumps(d)
    # every field clients used stays; red flags, caps and contradictions are added
    assert set(d) == {
        "risk_score", "rating", "inherent_tier", "effectiveness", "band", "controls",
        "objectives", "third_party", "drivers", "knockouts", "certificates",
        "what_it_would_take", "model_version", "red_flags", "caps", "contradictions",
        "matrix_band", "matrix_rating", "held_by",
    }  # fmt: skip
    assert set(d["controls"][0]) == {"ref", "objective", "title", "score", "coverage"}
    assert set(d["objectives"][0]) >= {"ref", "score", "coverage"}
    assert set(d["drivers"][0]) == {"control", "title", "gap", "weight", "impact", "questions"}
    assert set(d["certificates"][0]) == {"id", "kind", "applied", "reason", "controls", "credit"}
    assert set(d["red_flags"][0]) >= {"key", "min_rating", "reason", "triggers"}
    assert set(d["what_it_would_take"]) >= {"target_rating", "possible", "reason", "controls"}
    assert d["model_version"] == "default-2"
    assert set(d["third_party"]) >= {"ref", "score", "coverage", "controls"}


def test_every_catalog_control_is_listed_even_without_answers(model):
    controls = CONTROLS + [ControlDef("A.9.2", "A.9", "Processes for responsible use")]
    inp = ScoringInput(QUESTIONS, controls, ANSWERS, (), "medium", AS_OF)
    r = score_assessment(inp, model)
    assert [c.ref for c in r.controls] == [c.ref for c in controls]
    a92 = by_ref(r)["A.9.2"]
    assert (a92.score, a92.coverage) == (0.0, 0.0)
    # an unasked objective does not count in effectiveness
    assert r.effectiveness == pytest.approx(0.4352, abs=1e-4)
