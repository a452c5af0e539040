"""The scoring-model file: the default loads, malformed models are refused with clear messages."""

import copy

import pytest
import yaml

from vendorassure.scoring import RATINGS, ModelError, load_model, validate_model
from vendorassure.scoring.model import DEFAULT_MODEL_PATH


@pytest.fixture()
def raw():
    return yaml.safe_load(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))


def test_default_model_is_valid(raw):
    assert validate_model(raw) == []
    model = load_model()
    assert model.version == "default-1"
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
    for tier in RATINGS:
        raw["matrix"][tier]["adequate"] = "high" if tier != "low" else "medium"
        raw["matrix"][tier]["weak"] = "high" if tier != "critical" else "critical"
        raw["matrix"][tier]["poor"] = "critical" if tier != "low" else "high"
    problems = validate_model(raw)
    assert any("best answers (even without evidence" in p for p in problems), problems


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
