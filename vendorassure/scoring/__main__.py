"""Score answers from a CSV or JSON file without a database and print the result JSON.

    python -m vendorassure.scoring --questionnaire questionnaires/iso42001-ai-vendor.yaml \\
        --answers answers.csv [--tier high | --intake intake.json] [--model FILE] \\
        [--certificates certs.json] [--controls FILE] [--as-of YYYY-MM-DD]

Answers CSV: columns question,value[,na,evidence]; multi_choice values separated by "|".
Answers JSON: {"key": value} or {"key": {"value": ..., "na": ..., "evidence": ...}} or a list of
{"question", "value", "na", "evidence"}. Certificates JSON: a list of {id, kind, verification,
issued_on, expires_on, scope_covers_service, accredited}.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from . import files
from .engine import score_assessment
from .model import ModelError, load_model
from .tiering import inherent_tier
from .types import RATINGS, AnswerIn, CertificateIn, ControlDef, QuestionDef, ScoringInput

_TRUE = {"1", "true", "yes", "y", "t"}


def _flag(v: Any) -> bool:
    return v is True or str(v).strip().lower() in _TRUE


def _date(v: Any) -> date | None:
    if v in (None, ""):
        return None
    return v if isinstance(v, date) else date.fromisoformat(str(v))


def _opt_bool(v: Any) -> bool | None:
    if v in (None, ""):
        return None
    return _flag(v)


def read_answers(path: Path, questions: Sequence[QuestionDef]) -> dict[str, AnswerIn]:
    """Read answers from CSV or JSON."""
    multi = {q.key for q in questions if q.type == "multi_choice"}
    out: dict[str, AnswerIn] = {}
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                key = (row.get("question") or "").strip()
                if not key:
                    continue
                raw = row.get("value")
                value: Any = None if raw in (None, "") else raw
                if key in multi and value is not None:
                    value = [v.strip() for v in str(value).split("|") if v.strip()]
                out[key] = AnswerIn(
                    question=key,
                    value=value,
                    na=_flag(row.get("na") or ""),
                    evidence=(row.get("evidence") or "none").strip() or "none",
                )
        return out
    data = json.loads(path.read_text(encoding="utf-8"))
    items: list[tuple[str, Any]]
    if isinstance(data, dict):
        items = list(data.items())
    else:
        items = [(str(d["question"]), d) for d in data]
    for key, v in items:
        if isinstance(v, dict):
            out[key] = AnswerIn(
                question=key,
                value=v.get("value"),
                na=_flag(v.get("na", False)),
                evidence=v.get("evidence") or "none",
            )
        else:
            out[key] = AnswerIn(question=key, value=v)
    return out


def read_certificates(path: Path) -> list[CertificateIn]:
    """Read certificates from CSV or JSON."""
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as fh:
            rows: list[dict[str, Any]] = list(csv.DictReader(fh))
    else:
        rows = json.loads(path.read_text(encoding="utf-8"))
    return [
        CertificateIn(
            id=r.get("id"),
            kind=str(r["kind"]),
            verification=str(r.get("verification") or "pending"),
            issued_on=_date(r.get("issued_on")),
            expires_on=_date(r.get("expires_on")),
            scope_covers_service=_opt_bool(r.get("scope_covers_service")),
            accredited=_opt_bool(r.get("accredited")),
        )
        for r in rows
    ]


def find_controls(
    questionnaire: Path, explicit: Path | None, questions: list[QuestionDef]
) -> list[ControlDef]:
    """Use the given catalog, else the one beside the questionnaire, else derive from refs."""
    candidates = [explicit] if explicit else []
    candidates += [questionnaire.parent / "controls" / "iso42001-annex-a.yaml", files.CATALOG_PATH]
    for c in candidates:
        if c is not None and c.exists():
            return files.load_controls(c)
    return files.controls_from_questions(questions)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line."""
    p = argparse.ArgumentParser(
        prog="python -m vendorassure.scoring",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--questionnaire", required=True, type=Path, help="questionnaire YAML")
    p.add_argument("--answers", required=True, type=Path, help="answers .csv or .json")
    p.add_argument("--tier", choices=RATINGS, help="inherent tier (default medium)")
    p.add_argument(
        "--intake",
        type=Path,
        help="intake answers JSON {key: value}: the use context of red flags, and the tier",
    )
    p.add_argument("--model", type=Path, help="scoring model YAML (default: default.yaml)")
    p.add_argument("--certificates", type=Path, help="certificates .csv or .json")
    p.add_argument("--controls", type=Path, help="Annex A control catalog YAML")
    p.add_argument("--as-of", type=date.fromisoformat, default=None, help="scoring date")
    args = p.parse_args(argv)
    try:
        model = load_model(args.model)
        _, questions = files.load_questionnaire(args.questionnaire)
        controls = find_controls(args.questionnaire, args.controls, questions)
        answers = read_answers(args.answers, questions)
        certs = read_certificates(args.certificates) if args.certificates else []
        tier = args.tier or "medium"
        intake_answers = json.loads(args.intake.read_text(encoding="utf-8")) if args.intake else {}
        if args.intake and not args.tier:
            tr = inherent_tier(files.load_intake(), intake_answers, model)
            tier = tr.tier
            print(
                f"inherent tier {tr.tier} ({tr.score:.2f}): " + "; ".join(tr.reasons),
                file=sys.stderr,
            )
        result = score_assessment(
            ScoringInput(
                questions=questions,
                controls=controls,
                answers=answers,
                certificates=certs,
                inherent_tier=tier,
                as_of=args.as_of or date.today(),
                intake=intake_answers,
            ),
            model,
        )
    except ModelError as exc:
        print("scoring model problems:\n  - " + "\n  - ".join(exc.problems), file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    json.dump(result.to_dict(), sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
