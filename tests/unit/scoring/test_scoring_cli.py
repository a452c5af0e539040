"""python -m vendorassure.scoring on CSV and JSON answers, without a database."""

import json

from vendorassure.scoring.__main__ import main
from vendorassure.scoring.files import QUESTIONNAIRE_DIR

FULL = str(QUESTIONNAIRE_DIR / "iso42001-ai-vendor.yaml")


def test_cli_scores_a_csv(tmp_path, capsys):
    answers = tmp_path / "answers.csv"
    answers.write_text(
        "question,value,na,evidence\nai_policy,yes,,verified\nprohibited_practices,yes,,\n",
        encoding="utf-8",
    )
    rc = main(["--questionnaire", FULL, "--answers", str(answers), "--tier", "low",
               "--as-of", "2026-11-27"])  # fmt: skip
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rating"] == "critical"  # the knockout
    assert out["knockouts"][0]["question"] == "prohibited_practices"
    assert len(out["controls"]) == 38
    assert out["model_version"] == "default-2"


def test_cli_scores_json_with_certificates_and_intake(tmp_path, capsys):
    answers = tmp_path / "answers.json"
    answers.write_text(
        json.dumps({"ai_policy": {"value": "yes", "evidence": "provided"},
                    "bias_testing": {"na": True}}),
        encoding="utf-8",
    )  # fmt: skip
    certs = tmp_path / "certs.json"
    certs.write_text(
        json.dumps([{"id": 1, "kind": "iso42001_certificate", "verification": "accepted",
                     "issued_on": "2025-01-10", "expires_on": "2028-01-09",
                     "scope_covers_service": True, "accredited": True}]),
        encoding="utf-8",
    )  # fmt: skip
    intake = tmp_path / "intake.json"
    intake.write_text(
        json.dumps({"eu_ai_act_role": "provider", "eu_ai_act_class": "prohibited",
                    "personal_data": "none", "trains_on_customer_data": "no",
                    "data_retention": "none", "autonomy": "advisory",
                    "model_provenance": "own_model", "audience": "internal",
                    "business_criticality": "low"}),
        encoding="utf-8",
    )  # fmt: skip
    rc = main(["--questionnaire", FULL, "--answers", str(answers), "--certificates", str(certs),
               "--intake", str(intake), "--as-of", "2026-11-27"])  # fmt: skip
    assert rc == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["inherent_tier"] == "critical"
    assert "prohibited" in captured.err
    assert out["certificates"][0]["applied"] is True


def test_cli_reports_a_bad_model(tmp_path, capsys):
    model = tmp_path / "model.yaml"
    model.write_text("version: x\n", encoding="utf-8")
    answers = tmp_path / "a.json"
    answers.write_text("{}", encoding="utf-8")
    rc = main(["--questionnaire", FULL, "--answers", str(answers), "--model", str(model)])
    assert rc == 2
    assert "missing key: bands" in capsys.readouterr().err
