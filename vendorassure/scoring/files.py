"""Minimal readers for questionnaire and control-catalog YAML (for the CLI, bench and tests).

The application's catalog package does the full validation; this only turns the files into
the engine's dataclasses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .compiled import ref_key
from .types import ControlDef, QuestionDef, objective_of

REPO_ROOT = Path(__file__).resolve().parents[2]
QUESTIONNAIRE_DIR = REPO_ROOT / "questionnaires"
CATALOG_PATH = QUESTIONNAIRE_DIR / "controls" / "iso42001-annex-a.yaml"
INTAKE_PATH = QUESTIONNAIRE_DIR / "intake.yaml"


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def questions_from_doc(doc: dict[str, Any]) -> list[QuestionDef]:
    """Flatten a questionnaire document's sections into normalised questions."""
    out: list[QuestionDef] = []
    order = 0
    for section in doc.get("sections") or ():
        for q in section.get("questions") or ():
            order += 1
            d = dict(q)
            d.setdefault("section", section.get("key", ""))
            d.setdefault("order", order)
            out.append(QuestionDef.from_dict(d))
    return out


def load_questionnaire(path: str | Path) -> tuple[dict[str, Any], list[QuestionDef]]:
    """Return (document, questions) of a questionnaire YAML file."""
    doc = read_yaml(path)
    return doc, questions_from_doc(doc)


def load_controls(path: str | Path | None = None) -> list[ControlDef]:
    """Return the controls of an Annex A catalog file (default: the repository's)."""
    doc = read_yaml(path or CATALOG_PATH)
    return [
        ControlDef(
            ref=str(c["ref"]),
            objective=str(c.get("objective") or objective_of(str(c["ref"]))),
            title=str(c.get("title") or ""),
        )
        for c in doc.get("controls") or ()
    ]


def controls_from_questions(questions: list[QuestionDef]) -> list[ControlDef]:
    """Derive a control list from the refs the questions map to (no catalog at hand)."""
    refs = sorted({c.ref for q in questions for c in q.controls}, key=ref_key)
    return [ControlDef(ref=r, objective=objective_of(r)) for r in refs]


def load_intake(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Return the ``questions`` list of the intake file."""
    return list(read_yaml(path or INTAKE_PATH)["questions"])
