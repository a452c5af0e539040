"""The scoring-model file: the default loads, malformed models are refused with clear messages."""

import copy

import pytest
import yaml

from vendorassure.scoring import ModelError, load_model, validate_model
from vendorassure.scoring.model import DEFAULT_MODEL_PATH


@pytest.fixture()
def raw():
    return yaml.safe_load(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))


def test_default_model_is_valid(raw):
    assert validate_model(raw) == []
    model = load_model()
    assert model.version == "default-2"
    assert model.band_names == ("strong", "adequate", "weak", "poor")
    assert model.questionnaire_for_tier("low") == "iso42001-ai-vendor-lite"
    for tier in ("medium", "high", "critical"):
        assert model.questionnaire_for_tier(tier) == "iso42001-ai-vendor"
    assert "iso42001_certificate" in model.evidence_kinds_certificates


def test_load_model_accepts_a_dict(raw):
    raw["version"] = "test-2"
    assert load_model(raw).version == "test-2"


def test_unknown_tier_for_questionnaire_is_refused():
    with pytest.raises(ValueError, match="unknown tier"):
        load_model().questionnaire_for_tier("extreme")


def test_missing_key_is_named(raw):
    del raw["bands"]
    del raw["version"]
    problems = validate_model(raw)
    assert "missing key: bands" in problems
    assert "missing key: version" in problems


def test_band_out_of_order(raw):
    raw["bands"][1]["min"] = 0.9  # adequate above strong
    problems = validate_model(raw)
    assert any("bands: out of order at 'adequate'" in p for p in problems), problems


def test_last_band_must_start_at_zero(raw):
    raw["bands"][-1]["min"] = 0.1
    assert any("last (weakest) band must have min 0.0" in p for p in validate_model(raw))


def test_non_monotone_matrix_in_band(raw):
    raw["matrix"]["medium"]["weak"] = "low"  # weak better than adequate (medium)
    problems = validate_model(raw)
    assert any("not monotone: tier medium, band 'weak'" in p for p in problems), problems


def test_non_monotone_matrix_in_tier(raw):
    raw["matrix"]["high"]["adequate"] = "low"  # high tier better than medium tier
    problems = validate_model(raw)
    assert any("not monotone: band 'adequate', tier high" in p for p in problems), problems


def test_unknown_rating(raw):
    raw["matrix"]["low"]["strong"] = "negligible"
    problems = validate_model(raw)
    assert "matrix.low.strong: unknown rating 'negligible'" in problems


def test_unknown_rating_in_knockout_and_tiering(raw):
    raw["knockouts"] = [{"question": "x", "values": ["yes"], "min_rating": "severe"}]
    raw["tiering"]["escalation"]["tier"] = "extreme"
    problems = validate_model(raw)
    assert "knockouts[0].min_rating: unknown rating 'severe'" in problems
    assert "tiering.escalation.tier: unknown tier 'extreme'" in problems


def test_missing_matrix_cell(raw):
    del raw["matrix"]["critical"]["poor"]
    assert "matrix.critical: missing band 'poor'" in validate_model(raw)


def test_evidence_factors_checked(raw):
    raw["evidence"]["factors"]["none"] = 1.4
    raw["evidence"]["factors"].pop("rejected")
    problems = validate_model(raw)
    assert "evidence.factors.none: must be in [0, 1]" in problems
    assert "evidence.factors: missing key: rejected" in problems


def test_evidence_factors_must_not_reward_rejection(raw):
    raw["evidence"]["factors"]["rejected"] = 0.9
    assert any("must not decrease" in p for p in validate_model(raw))


def test_certificate_credit_checked(raw):
    raw["certificates"]["iso42001_certificate"]["floor"] = 2
    raw["certificates"]["made_up_certificate"] = {"controls": ["A.2.*"], "floor": 0.5, "bonus": 0}
    problems = validate_model(raw)
    assert "certificates.iso42001_certificate.floor: must be in [0, 1]" in problems
    assert any("unknown evidence kind 'made_up_certificate'" in p for p in problems)


def test_corner_rules_are_enforced(raw):
    raw["matrix"]["critical"]["poor"] = "critical"
    raw["matrix"]["high"]["poor"] = "high"  # worst answers at high tier must be critical
    problems = validate_model(raw)
    assert any("worst answers at high tier must rate critical" in p for p in problems)


def test_best_answers_corner(raw):
    raw["matrix"]["critical"]["strong"] = "high"
    problems = validate_model(raw)
    assert any("best answers with verified evidence must never rate above medium" in p
               for p in problems), problems  # fmt: skip


def test_critical_tier_with_adequate_controls_may_rate_high(raw):
    assert raw["matrix"]["critical"]["adequate"] == "high"
    assert validate_model(raw) == []


RED_FLAG = {
    "key": "x", "min_rating": "high", "reason": "Because.",
    "when": [{"question": "event_logging", "in": ["none"]}],
}  # fmt: skip


@pytest.mark.parametrize(
    "flag, message",
    [
        ({**RED_FLAG, "min_rating": "low"}, "min_rating: a minimum of low sets no floor"),
        ({**RED_FLAG, "min_rating": "severe"}, "min_rating: unknown rating 'severe'"),
        ({**RED_FLAG, "reason": " "}, "reason: write the reason a reviewer reads"),
        ({**RED_FLAG, "strength": "nuclear"}, "strength: one of"),
        ({**RED_FLAG, "when": []}, "when: must be a non-empty list"),
        ({**RED_FLAG, "when": [{"question": "a", "intake": "b", "in": ["x"]}]},
         "name exactly one of"),
        ({**RED_FLAG, "when": [{"question": "a", "in": []}]}, "`in` must be a non-empty list"),
        ({**RED_FLAG, "when": [{"question": "a", "in": ["x"], "value": 1}]},
         "unknown field(s) value"),
        ({**RED_FLAG, "when": [{"tier": ["high"]}, {"question": "a", "in": ["x"]}]},
         "a tier condition must list a tier and every higher one"),
        ({**RED_FLAG, "when": [{"tier": ["high", "critical"]}]},
         "needs a question or certificate condition"),
        ({**RED_FLAG, "when": [{"intake": "use", "in": ["x"]}]},
         "needs a question or certificate condition"),
        ({**RED_FLAG, "when": [{"certificate": "iso42001_certificate", "in": ["current"]}]},
         "a red flag must not fire on a current certificate"),
        ({**RED_FLAG, "when": [{"certificate": "iso42001_certificate", "in": ["lapsed"]}]},
         "unknown certificate state(s) ['lapsed']"),
        ({**RED_FLAG, "when": [{"certificate": "policy", "in": ["expired"]}]},
         "unknown certificate kind 'policy'"),
        ({**RED_FLAG, "key": "Bad Key"}, "key must be lower-case"),
        ({**RED_FLAG, "colour": "red"}, "unknown field 'colour'"),
    ],
)  # fmt: skip
def test_validator_refuses_bad_red_flags(raw, flag, message):
    raw["red_flags"] = [flag]
    problems = validate_model(raw)
    assert any(message in p for p in problems), problems


def test_validator_refuses_duplicate_rule_keys(raw):
    raw["red_flags"] = [RED_FLAG, RED_FLAG]
    assert any("red_flags.x: duplicate key" in p for p in validate_model(raw))


CAP = {"key": "c", "at_or_below": "poor", "max_band": "weak", "reason": "Because."}


@pytest.mark.parametrize(
    "cap, message",
    [
        ({**CAP, "at_or_below": "strong"}, "strongest band; best answers would be capped"),
        ({**CAP, "max_band": "strong"}, "capping at the strongest band caps nothing"),
        ({**CAP, "max_band": "dire"}, "max_band: unknown band 'dire'"),
        ({**CAP, "count": 0}, "count: must be a positive integer"),
        ({**CAP, "objectives": ["A10"]}, "objectives: 'any' or a list of objective refs"),
        ({**CAP, "reason": ""}, "reason: write the reason a reviewer reads"),
    ],
)
def test_validator_refuses_bad_caps(raw, cap, message):
    raw["caps"] = [cap]
    problems = validate_model(raw)
    assert any(message in p for p in problems), problems


CHECK = {
    "key": "k", "message": "Both cannot be true.", "penalise": ["a"],
    "when": [{"question": "a", "in": ["yes"]}, {"question": "b", "in": ["no"]}],
}  # fmt: skip


@pytest.mark.parametrize(
    "check, message",
    [
        ({**CHECK, "when": CHECK["when"][:1]}, "a contradiction needs at least two conditions"),
        ({**CHECK, "penalise": ["z"]}, "penalise: 'z' is not one of the check's questions"),
        ({**CHECK, "treat_as": {"z": "yes"}}, "treat_as: 'z' is not one of the check's questions"),
        ({**CHECK, "when": [{"intake": "u", "in": ["x"]}, {"tier": ["critical"]}],
          "penalise": []}, "needs at least one question condition"),
        ({**CHECK, "message": ""}, "message: write what the reviewer should look at"),
    ],
)  # fmt: skip
def test_validator_refuses_bad_checks(raw, check, message):
    raw["checks"] = [check]
    problems = validate_model(raw)
    assert any(message in p for p in problems), problems


def test_validator_refuses_a_bad_consistency_factor(raw):
    raw["consistency"] = {"factor": 1.5}
    assert "consistency.factor: must be in [0, 1]" in validate_model(raw)


def test_default_model_declares_the_severity_rules(raw):
    model = load_model(raw)
    keys = {f.key for f in model.red_flags}
    assert {"incident_notification_best_effort", "no_event_logging_high_tier",
            "training_unless_opt_out", "no_adversarial_testing_llm_high_tier",
            "upstream_retention_unknown", "no_deletion_on_request", "shared_tenancy",
            "ai_act_not_assessed_high_risk_use", "expired_certificate_claimed"} <= keys  # fmt: skip
    assert {c.key for c in model.caps} >= {"objective_failing", "suppliers_weak"}
    assert "third_party_model_denied" in {c.key for c in model.checks}
    assert all(f.reason for f in model.red_flags)


def test_load_model_raises_with_every_problem(raw):
    bad = copy.deepcopy(raw)
    del bad["version"]
    bad["matrix"]["low"]["strong"] = "negligible"
    with pytest.raises(ModelError) as exc:
        load_model(bad)
    assert len(exc.value.problems) >= 2
    assert "missing key: version" in str(exc.value)


def test_load_model_reports_unreadable_file(tmp_path):
    with pytest.raises(ModelError, match="cannot read"):
        load_model(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: [unclosed\n", encoding="utf-8")
    with pytest.raises(ModelError, match="not valid YAML"):
        load_model(broken)


def test_not_a_mapping():
    assert validate_model(["version"]) == ["model: must be a mapping"]


def test_certificate_cannot_replace_answers(raw):
    raw["certificates"]["iso42001_certificate"]["floor"] = 0.8
    problems = validate_model(raw)
    assert any("worst answers must never rate below medium" in p for p in problems), problems
