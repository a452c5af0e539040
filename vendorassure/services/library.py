"""Load the questionnaire library into the database and serve intake and scoring model."""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from flask import current_app
from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import catalog
from ..extensions import db
from ..models import (
    Assessment,
    Control,
    Crosswalk,
    Objective,
    Question,
    QuestionControl,
    Questionnaire,
)
from ..models.assessments import OPEN_STATES
from ..scoring import load_model
from . import audit
from .access import require_role
from .errors import Conflict, InvalidValues, NotFound


class LibraryInvalid(InvalidValues):
    """The library (or an uploaded questionnaire) has problems; nothing was loaded."""

    def __init__(self, problems, notes: list[str] | None = None):
        # The Problem objects (file, key, field, line) for pages that show them as a table.
        self.details = list(problems)
        self.problems = [str(p) for p in problems]
        self.notes = list(notes or [])
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
        coverage=normalized.get("coverage") or {},
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
            score_mode=q.get("score_mode", "mean"),
            scored=q.get("scored", True),
            translations=q.get("translations") or None,
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
        for path in catalog.questionnaire_files(root):
            data, _ = catalog.read_yaml(str(path))
            normalized, _ = catalog.validate_questionnaire(data, refs, path.name, False)
            for old in _history_to_load(root, normalized["key"], refs):
                qn, _ = import_questionnaire(old, f"history/{old['key']}", actor)
                report.created.append(f"{qn.key} v{qn.version}")
            qn, created = import_questionnaire(normalized, path.name, actor)
            (report.created if created else report.unchanged).append(f"{qn.key} v{qn.version}")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    _cache().clear()
    return report


def _history_to_load(root: Path, key: str, refs: set[str]) -> list[dict]:
    """Earlier versions kept under history/ (``KEY.vN.yaml``), oldest first: loaded only into a
    library that has no version of the questionnaire yet, so version numbers agree everywhere."""
    if db.session.scalar(select(Questionnaire.id).filter_by(key=key).limit(1)) is not None:
        return []
    out = []
    for path in sorted((root / "history").glob(f"{key}.v*.yaml"),
                       key=lambda p: int(p.stem.rsplit(".v", 1)[-1])):  # fmt: skip
        data, _ = catalog.read_yaml(str(path))
        normalized, _ = catalog.validate_questionnaire(data, refs, path.name)
        out.append(normalized)
    return out


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


# --- the admin library: versions, preview, coverage, upload and export -----------------------

UPLOAD_SUFFIXES = (".yaml", ".yml", ".xlsx", ".csv")
EXPORT_FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


@dataclass
class ImportResult:
    questionnaire: Questionnaire
    created: bool
    notes: list[str] = field(default_factory=list)


def library_versions(page: int = 1, per_page: int = 50) -> tuple[list[dict], int]:
    """List questionnaire versions with question and assessment counts (one query per page)."""
    questions = (
        select(Question.questionnaire_id.label("qid"), func.count().label("n"))
        .group_by(Question.questionnaire_id)
        .subquery()
    )
    used = (
        select(
            Assessment.questionnaire_id.label("qid"),
            func.count().label("n"),
            func.count(case((Assessment.status.in_(OPEN_STATES), 1))).label("open"),
        )
        .group_by(Assessment.questionnaire_id)
        .subquery()
    )
    latest = (
        select(Questionnaire.key.label("key"), func.max(Questionnaire.version).label("version"))
        .group_by(Questionnaire.key)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Questionnaire,
            func.coalesce(questions.c.n, 0),
            func.coalesce(used.c.n, 0),
            func.coalesce(used.c.open, 0),
            latest.c.version,
        )
        .outerjoin(questions, questions.c.qid == Questionnaire.id)
        .outerjoin(used, used.c.qid == Questionnaire.id)
        .join(latest, latest.c.key == Questionnaire.key)
        .order_by(Questionnaire.key, Questionnaire.version.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    total = db.session.scalar(select(func.count()).select_from(Questionnaire)) or 0
    return [
        {
            "questionnaire": qn,
            "question_count": n_questions,
            "assessment_count": n_used,
            "open_count": n_open,
            "latest": qn.version == latest_version,
        }
        for qn, n_questions, n_used, n_open, latest_version in rows
    ], total


def questions_with_controls(qn: Questionnaire) -> list[Question]:
    """Load a version's questions in order with their control links (three queries in all)."""
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.questionnaire_id == qn.id)
            .options(selectinload(Question.control_links).selectinload(QuestionControl.control))
            .order_by(Question.order)
        )
    )


def sections_of(qn: Questionnaire, questions: list[Question]) -> list[tuple[dict, list[Question]]]:
    """Group questions under the questionnaire's sections, in the questionnaire's order."""
    by_key: dict[str, list[Question]] = {}
    for q in questions:
        by_key.setdefault(q.section, []).append(q)
    sections = list(qn.sections or [])
    known = {s["key"] for s in sections}
    sections += [
        {"key": k, "title": k.replace("_", " ").capitalize(), "description": ""}
        for k in by_key
        if k not in known
    ]
    return [(s, by_key.get(s["key"], [])) for s in sections]


def control_catalog() -> dict:
    """Return objectives with their controls and each control's crosswalk refs (three queries)."""
    objectives = db.session.scalars(select(Objective).order_by(Objective.position)).all()
    controls = db.session.scalars(select(Control).order_by(Control.position)).all()
    crosswalks: dict[int, dict[str, list[str]]] = {}
    frameworks: dict[str, str] = {}
    for cw in db.session.scalars(select(Crosswalk).order_by(Crosswalk.framework, Crosswalk.id)):
        crosswalks.setdefault(cw.control_id, {}).setdefault(cw.framework, []).append(cw.ref)
        frameworks.setdefault(cw.framework, cw.framework_name or cw.framework)
    by_objective: dict[str, list[Control]] = {}
    for c in controls:
        by_objective.setdefault(c.objective, []).append(c)
    return {
        "objectives": [(o, by_objective.get(o.ref, [])) for o in objectives],
        "controls": controls,
        "crosswalks": crosswalks,
        "frameworks": frameworks,
    }


def coverage_matrix(qn: Questionnaire) -> dict:
    """Map every control of the catalog to the questions of one version that evidence it."""
    objectives = db.session.scalars(select(Objective).order_by(Objective.position)).all()
    controls = db.session.scalars(select(Control).order_by(Control.position)).all()
    links = db.session.execute(
        select(
            QuestionControl.control_id,
            QuestionControl.weight,
            Question.key,
            Question.order,
            Question.section,
            Question.weight,
            Question.text,
        )
        .join(Question, Question.id == QuestionControl.question_id)
        .where(Question.questionnaire_id == qn.id)
        .order_by(Question.order)
    ).all()
    question_total = db.session.scalar(
        select(func.count()).select_from(Question).where(Question.questionnaire_id == qn.id)
    )
    sections = [s["key"] for s in qn.sections or []]
    rows: dict[int, dict] = {
        c.id: {"control": c, "questions": [], "weight": 0.0, "by_section": {}} for c in controls
    }
    mapped_keys: set[str] = set()
    for control_id, link_weight, key, order, section, q_weight, text in links:
        row = rows.get(control_id)
        if row is None:
            continue
        # The engine weighs an answer by question weight x mapping weight; show the same.
        effective = q_weight * link_weight
        row["questions"].append(
            {"key": key, "order": order, "weight": effective, "text": text, "section": section}
        )
        row["weight"] += effective
        row["by_section"][section] = row["by_section"].get(section, 0) + 1
        mapped_keys.add(key)
        if section not in sections:
            sections.append(section)
    groups = []
    for obj in objectives:
        members = [rows[c.id] for c in controls if c.objective == obj.ref]
        groups.append(
            {
                "objective": obj,
                "rows": members,
                "covered": sum(1 for r in members if r["questions"]),
            }
        )
    covered = sum(1 for r in rows.values() if r["questions"])
    return {
        "groups": groups,
        "sections": sections,
        "covered": covered,
        "total": len(controls),
        "uncovered": [r["control"].ref for r in rows.values() if not r["questions"]],
        "question_total": question_total or 0,
        "unmapped_questions": (question_total or 0) - len(mapped_keys),
    }


def unmapped_scored_questions(qn: Questionnaire) -> list[str]:
    """Keys, in order, of the version's scored questions that evidence no Annex A control.

    A question is scored when it is not marked informational (``scored: false``) and offers
    options with different scores: its answer would move the rating if it were mapped. Such a
    question without a control is a gap (one query)."""
    linked = select(QuestionControl.question_id).where(QuestionControl.question_id == Question.id)
    rows = db.session.execute(
        select(Question.key, Question.type, Question.options, Question.weight)
        .where(Question.questionnaire_id == qn.id, Question.scored.is_(True), ~linked.exists())
        .order_by(Question.order)
    )
    return [
        key
        for key, qtype, options, weight in rows
        if qtype in catalog.OPTION_TYPES
        and weight > 0
        and len({o.get("score") for o in options or []}) > 1
    ]


def questionnaire_normalized(qn: Questionnaire) -> dict:
    """Rebuild the normalized form (catalog.validate_questionnaire's output) of a stored version."""
    questions = questions_with_controls(qn)
    out = {
        "key": qn.key,
        "title": qn.title,
        "description": qn.description or "",
        "sections": [
            {
                "key": s["key"],
                "title": s.get("title", ""),
                "description": s.get("description", "") or "",
            }
            for s in qn.sections or []
        ],
        "questions": [q.to_dict() for q in questions],
    }
    if qn.coverage:
        out["coverage"] = dict(qn.coverage)
    return out


def export_questionnaire(key: str, version: int | None = None, fmt: str = "xlsx"):
    """Write one version as .xlsx or .csv in the documented layout; return (bytes, filename)."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidValues(f"Unknown export format {fmt!r}.", {"format": "Use xlsx or csv."})
    qn = latest_questionnaire(key, version)
    normalized = questionnaire_normalized(qn)
    buf = io.BytesIO()
    if fmt == "xlsx":
        catalog.write_questionnaire_xlsx(normalized, buf)
    else:
        buf.write(catalog.questionnaire_to_frame(normalized).to_csv(index=False).encode("utf-8"))
    return buf.getvalue(), f"{qn.key}-v{qn.version}.{fmt}"


def parse_upload(
    data: bytes, filename: str, key: str | None = None, title: str | None = None
) -> tuple[dict | None, list, list[str]]:
    """Read and validate an uploaded YAML, .xlsx or .csv questionnaire; nothing is stored."""
    name = Path(filename or "upload").name[:200] or "upload"
    suffix = Path(name).suffix.lower()
    key = (key or "").strip() or None
    title = (title or "").strip() or None
    if suffix not in UPLOAD_SUFFIXES:
        message = f"file type {suffix or '(none)'} is not accepted; upload .yaml, .xlsx or .csv"
        return None, [catalog.Problem(name, None, None, message, kind="")], []
    if not data:
        return None, [catalog.Problem(name, None, None, "the file is empty", kind="")], []
    notes: list[str] = []
    if suffix in (".yaml", ".yml"):
        refs = set(db.session.scalars(select(Control.ref)))
        with tempfile.TemporaryDirectory(prefix="va-upload-") as folder:
            path = Path(folder) / "upload.yaml"
            path.write_bytes(data)
            raw, problems = catalog.read_yaml(path, name)
        if raw is None or problems:
            return None, problems, notes
        if isinstance(raw, dict):
            if key:
                raw["key"] = key
            if title:
                raw["title"] = title
        normalized, problems = catalog.validate_questionnaire(raw, refs, name)
        return normalized, problems, notes
    table = read_table(data, name, key, title)
    return table.normalized, table.problems, table.notes


def read_table(
    data: bytes, filename: str, key: str | None = None, title: str | None = None
) -> catalog.ImportTable:
    """Read an .xlsx or .csv upload with the catalog in the database; nothing is stored."""
    name = Path(filename or "upload").name[:200] or "upload"
    ordered_refs = list(db.session.scalars(select(Control.ref).order_by(Control.position)))
    description = fallback_title = coverage = None
    if Path(name).suffix.lower() == ".csv":
        # CSV has no Questionnaire sheet: the key must be given, title and description default
        # to the latest version's so that re-importing an unchanged export is a no-op.
        if not key:
            message = "a CSV file does not say which questionnaire it is; give the key"
            return catalog.ImportTable(
                None, [catalog.Problem(name, None, "key", message, kind="")], []
            )
        current = db.session.scalar(
            select(Questionnaire).filter_by(key=key).order_by(Questionnaire.version.desc()).limit(1)
        )
        if current is not None:
            fallback_title = current.title
            description = current.description or ""
            coverage = current.coverage or None
    return catalog.read_import_table(
        io.BytesIO(data),
        name,
        key,
        title,
        description=description,
        control_refs=ordered_refs,
        crosswalks=crosswalk_mappings(),
        fallback_title=fallback_title,
        coverage=coverage,
    )


def crosswalk_mappings() -> dict[str, dict]:
    """The crosswalks in the database as {key: {framework, mappings: {control: [refs]}}}."""
    out: dict[str, dict] = {}
    rows = db.session.execute(
        select(Crosswalk.framework, Crosswalk.framework_name, Control.ref, Crosswalk.ref)
        .join(Control, Control.id == Crosswalk.control_id)
        .order_by(Crosswalk.framework, Control.position, Crosswalk.id)
    )
    for key, name, control, ref in rows:
        spec = out.setdefault(key, {"framework": name or key, "mappings": {}})
        spec["mappings"].setdefault(control, []).append(ref)
    return out


def import_upload(
    actor, data: bytes, filename: str, key: str | None = None, title: str | None = None
) -> ImportResult:
    """Validate an uploaded questionnaire and store it as a new version unless unchanged."""
    if actor is not None:  # the CLI runs as the system
        require_role(actor, "admin")
    normalized, problems, notes = parse_upload(data, filename, key, title)
    if problems or normalized is None:
        raise LibraryInvalid(problems, notes)
    name = Path(filename or "upload").name[:200]
    try:
        qn, created = import_questionnaire(normalized, f"upload: {name}", actor)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            f"Another version of {normalized['key']!r} was loaded at the same moment; try again."
        ) from None
    except Exception:
        db.session.rollback()
        raise
    return ImportResult(qn, created, notes)
