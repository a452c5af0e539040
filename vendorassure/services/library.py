"""Load the questionnaire library into the database and serve intake and scoring model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from flask import current_app
from sqlalchemy import delete, func, select

from .. import catalog
from ..extensions import db
from ..models import Control, Crosswalk, Objective, Question, QuestionControl, Questionnaire
from ..scoring import load_model
from . import audit
from .errors import InvalidValues, NotFound


class LibraryInvalid(InvalidValues):
    """The library (or an uploaded questionnaire) has problems; nothing was loaded."""

    def __init__(self, problems):
        self.problems = [str(p) for p in problems]
        super().__init__(
            f"{len(self.problems)} problem(s) found; nothing was loaded.",
            fields={"problems": self.problems},
        )


@dataclass
class LoadReport:
    controls: int = 0
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def library_root() -> Path:
    return Path(current_app.config["QUESTIONNAIRE_DIR"])


def _sync_controls(cat) -> dict[str, Control]:
    existing = {c.ref: c for c in db.session.scalars(select(Control))}
    for pos, obj in enumerate(cat.objectives):
        row = db.session.scalar(select(Objective).filter_by(ref=obj["ref"])) or Objective(
            ref=obj["ref"]
        )
        row.title, row.summary, row.position = obj["title"], obj.get("summary", ""), pos
        db.session.add(row)
    for pos, ctl in enumerate(cat.controls):
        row = existing.get(ctl["ref"]) or Control(ref=ctl["ref"])
        row.objective, row.title = ctl["objective"], ctl["title"]
        row.summary, row.position = ctl.get("summary", ""), pos
        db.session.add(row)
        existing[ctl["ref"]] = row
    db.session.flush()
    db.session.execute(delete(Crosswalk))
    for key, spec in cat.crosswalks.items():
        for ref, targets in spec["mappings"].items():
            for target in dict.fromkeys(targets):
                db.session.add(
                    Crosswalk(
                        control_id=existing[ref].id,
                        framework=key,
                        framework_name=spec["framework"],
                        ref=target,
                    )
                )
    return existing


def import_questionnaire(normalized: dict, source: str, actor=None) -> tuple[Questionnaire, bool]:
    """Store a validated questionnaire as a new version unless its content is unchanged."""
    digest = catalog.content_hash(normalized)
    latest = db.session.scalar(
        select(Questionnaire)
        .filter_by(key=normalized["key"])
        .order_by(Questionnaire.version.desc())
        .limit(1)
    )
    if latest is not None and latest.content_hash == digest:
        return latest, False
    controls = {c.ref: c for c in db.session.scalars(select(Control))}
    qn = Questionnaire(
        key=normalized["key"],
        version=(latest.version + 1) if latest else 1,
        title=normalized["title"],
        description=normalized.get("description", ""),
        sections=normalized.get("sections", []),
        content_hash=digest,
        source=source,
    )
    db.session.add(qn)
    for q in normalized["questions"]:
        question = Question(
            questionnaire=qn,
            key=q["key"],
            section=q["section"],
            order=q["order"],
            text=q["text"],
            help=q.get("help", ""),
            type=q["type"],
            options=q.get("options", []),
            required=q.get("required", True),
            allows_na=q.get("allows_na", False),
            evidence_kinds=q.get("evidence_kinds", []),
            show_if=q.get("show_if"),
            weight=q.get("weight", 1.0),
            knockout=q.get("knockout"),
        )
        db.session.add(question)
        for link in q.get("controls", []):
            db.session.add(
                QuestionControl(
                    question=question, control=controls[link["ref"]], weight=link["weight"]
                )
            )
    db.session.flush()
    audit.record(
        actor,
        "questionnaire.loaded",
        qn,
        details={"key": qn.key, "version": qn.version, "questions": len(normalized["questions"])},
    )
    return qn, True


def questionnaire_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*.yaml") if p.name != "intake.yaml")


def load_library(root: Path | None = None, actor=None) -> LoadReport:
    """Validate the whole library first, then load it in one transaction."""
    root = Path(root or library_root())
    problems = catalog.validate_library(str(root))
    if problems:
        raise LibraryInvalid(problems)
    cat, _ = catalog.load_control_catalog(str(root / "controls"))
    report = LoadReport()
    try:
        controls = _sync_controls(cat)
        report.controls = len(controls)
        refs = set(controls)
        for path in questionnaire_files(root):
            data, _ = catalog.read_yaml(str(path))
            normalized, _ = catalog.validate_questionnaire(data, refs, path.name, False)
            qn, created = import_questionnaire(normalized, path.name, actor)
            (report.created if created else report.unchanged).append(f"{qn.key} v{qn.version}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    _cache().clear()
    return report


def _cache() -> dict:
    return current_app.extensions.setdefault("vendorassure_cache", {})


def intake_definition() -> dict:
    """Return the parsed intake.yaml (questions with options and their risk)."""
    cache = _cache()
    if "intake" not in cache:
        with open(library_root() / "intake.yaml", encoding="utf-8") as handle:
            cache["intake"] = yaml.safe_load(handle)
    return cache["intake"]


def scoring_model():
    """Return the scoring model in force (SCORING_MODEL or questionnaires/scoring/default.yaml)."""
    cache = _cache()
    if "model" not in cache:
        path = (
            current_app.config.get("SCORING_MODEL") or library_root() / "scoring" / "default.yaml"
        )
        cache["model"] = load_model(str(path))
    return cache["model"]


def latest_questionnaire(key: str, version: int | None = None) -> Questionnaire:
    """Return the latest (or the given) version of a questionnaire, or 404."""
    stmt = select(Questionnaire).filter_by(key=key)
    if version is not None:
        stmt = stmt.filter_by(version=version)
    qn = db.session.scalar(stmt.order_by(Questionnaire.version.desc()).limit(1))
    if qn is None:
        suffix = f" version {version}" if version is not None else ""
        raise NotFound(f"Questionnaire {key!r}{suffix} does not exist.")
    return qn


def questionnaire_index() -> list[dict]:
    """List the latest version of every questionnaire with its question count (one query)."""
    latest = (
        select(Questionnaire.key, func.max(Questionnaire.version).label("version"))
        .group_by(Questionnaire.key)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Questionnaire.id,
            Questionnaire.key,
            Questionnaire.version,
            Questionnaire.title,
            func.count(Question.id),
        )
        .join(
            latest,
            (latest.c.key == Questionnaire.key) & (latest.c.version == Questionnaire.version),
        )
        .outerjoin(Question, Question.questionnaire_id == Questionnaire.id)
        .group_by(Questionnaire.id, Questionnaire.key, Questionnaire.version, Questionnaire.title)
        .order_by(Questionnaire.key)
    ).all()
    return [
        {"id": r[0], "key": r[1], "version": r[2], "title": r[3], "question_count": r[4]}
        for r in rows
    ]
