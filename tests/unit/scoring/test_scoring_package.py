"""The package's public interface and its purity (no web framework, no database)."""

import ast
import sys
from pathlib import Path

import vendorassure.scoring as scoring

PUBLIC = {
    "RATINGS", "ScoringModel", "ModelError", "load_model", "validate_model", "OptionDef",
    "ControlRef", "Condition", "Knockout", "QuestionDef", "ControlDef", "AnswerIn",
    "CertificateIn", "ScoringInput", "ScoreResult", "ControlResult", "TierResult",
    "score_assessment", "inherent_tier", "visible_questions", "score_frame",
}  # fmt: skip
ALLOWED_THIRD_PARTY = {"numpy", "pandas", "yaml"}


def test_public_interface():
    assert set(scoring.__all__) >= PUBLIC
    for name in PUBLIC:
        assert hasattr(scoring, name), name
    assert scoring.RATINGS == ("low", "medium", "high", "critical")


def test_scoring_package_imports_no_framework_or_database():
    package = Path(scoring.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: inside the package
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                stdlib = top in sys.stdlib_module_names
                assert stdlib or top in ALLOWED_THIRD_PARTY, f"{path.name} imports {name}"
