"""Import a foreign questionnaire, review the mapper's Annex A suggestions, publish a version."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..catalog import mapping
from ..catalog.validate import QUESTION_FIELDS, validate_questionnaire
from ..extensions import db
from ..models import Control, ImportQuestion, Questionnaire, QuestionnaireImport
from . import audit, library
from .access import require_role
from .errors import Conflict, InvalidValues, NotFound

MAP_MODES = ("none", "suggest", "accept-above")
DECISIONS = ("pending", "accepted", "changed", "dropped", "unmapped")
DECISION_LABELS = {
    "pending": "To review",
    "accepted": "Accepted",
    "changed": "Changed",
    "dropped": "No control (dropped)",
    "unmapped": "No suggestion",
}
ACTIONS = ("accept", "set", "drop")
PRIMARY_WEIGHT, SECONDARY_WEIGHT = 1.0, 0.5


@dataclass
class ImportOutcome:
    """What an import did: a published version, a draft awaiting review, or both."""

    questionnaire: Questionnaire | None
    created: bool
    notes: list[str] = field(default_factory=list)
    draft: QuestionnaireImport | None = None


def _require_admin(actor) -> None:
    if actor is not None:  # the CLI runs as the system
        require_role(actor, "admin")


def parse_threshold(value) -> float:
    """A confidence threshold in (0, 1]; anything else is a 422 naming the field."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (0 < number <= 1):
        raise InvalidValues(
            "The confidence threshold must be a number above 0 and at most 1.",
            {"threshold": "Between 0 (exclusive) and 1."},
        )
    return number


def knowledge() -> mapping.Knowledge:
    """The mapper's reference texts, read once per library load from questionnaires/."""
    cache = library._cache()
    if "mapping" not in cache:
        cache["mapping"] = mapping.load_knowledge(library.library_root())
    return cache["mapping"]


def import_file(
    actor,
    data: bytes,
    filename: str,
    key: str | None = None,
    title: str | None = None,
    map_mode: str = "none",
    threshold=mapping.DEFAULT_ACCEPT_ABOVE,
) -> ImportOutcome:
    """Import a questionnaire file; with a map mode, an industry layout goes through the mapper.

    ``none`` stores the file as it is (its own mapping column only). ``suggest`` keeps it as an
    import awaiting review. ``accept-above`` accepts the suggestions at or above ``threshold``,
    leaves the other questions unmapped and publishes at once."""
    _require_admin(actor)
    if map_mode not in MAP_MODES:
        raise InvalidValues(
            f"Unknown mapping mode {map_mode!r}.", {"map": "Use none, suggest or accept-above."}
        )
    threshold = parse_threshold(threshold)
    suffix = Path(filename or "").suffix.lower()
    if map_mode == "none" or suffix not in (".xlsx", ".csv"):
        result = library.import_upload(actor, data, filename, key, title)
        notes = list(result.notes)
        if map_mode != "none":
            notes.append("the file is YAML; its own control mapping was used as it is")
        return ImportOutcome(result.questionnaire, result.created, notes)
    table = library.read_table(data, filename, (key or "").strip() or None, (title or "").strip())
    if not data or table.layout != "industry" or table.normalized is None:
        # Empty files, our own layout and files with problems take the plain path, which
        # reports problems the same way as an upload without mapping.
        result = library.import_upload(actor, data, filename, key, title)
        notes = [*result.notes, "the file is in our own layout; its controls were used as they are"]
        return ImportOutcome(result.questionnaire, result.created, notes)
    draft = _create_draft(actor, table, Path(filename).name[:200])
    if map_mode == "suggest":
        db.session.commit()
        return ImportOutcome(None, False, list(table.notes), draft)
    _accept_above(draft, threshold)
    qn, created = _publish_and_commit(actor, draft, leave_rest_unmapped=True)
    return ImportOutcome(qn, created, list(table.notes), draft)


def _create_draft(actor, table, filename: str) -> QuestionnaireImport:
    normalized = table.normalized
    results = {m.key: m for m in mapping.suggest_mappings(table.rows, knowledge())}
    draft = QuestionnaireImport(
        key=normalized["key"],
        title=normalized["title"],
        description=normalized.get("description", ""),
        filename=filename,
        sections=normalized["sections"],
        notes=list(table.notes),
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(draft)
    counts = dict.fromkeys(DECISIONS, 0)
    for position, q in enumerate(normalized["questions"], start=1):
        result = results.get(q["key"])
        suggestions = [
            {"ref": s.ref, "confidence": s.confidence, "source": s.source, "reason": s.reason}
            for s in (result.suggestions if result else [])
        ]
        decision = "pending" if result and result.suggested else "unmapped"
        counts[decision] += 1
        content = {k: v for k, v in q.items() if k != "controls"}
        db.session.add(
            ImportQuestion(
                questionnaire_import=draft,
                key=q["key"],
                position=position,
                content=content,
                suggestions=suggestions,
                unknown_refs=list(result.unknown) if result else [],
                decision=decision,
                controls=[],
            )
        )
    db.session.flush()
    audit.record(
        actor,
        "questionnaire.import_created",
        draft,
        details={
            "key": draft.key,
            "file": filename,
            "questions": len(normalized["questions"]),
            "with_suggestions": counts["pending"],
            "without_suggestions": counts["unmapped"],
        },
    )
    return draft


def get_import(actor, import_id: int, *, lock: bool = False) -> QuestionnaireImport:
    """Load one import (admin only), or 404; ``lock`` takes the row lock for a change."""
    _require_admin(actor)
    draft = db.session.get(QuestionnaireImport, import_id, with_for_update=lock or None)
    if draft is None:
        raise NotFound(f"Import {import_id} does not exist.")
    return draft


def _open(actor, import_id: int) -> QuestionnaireImport:
    draft = get_import(actor, import_id, lock=True)
    if draft.status != "review":
        raise Conflict(
            f"Import {import_id} is {draft.status}; its mapping can no longer change.",
            {"status": draft.status},
        )
    return draft


def decision_counts(draft: QuestionnaireImport) -> dict[str, int]:
    """Questions per decision for one import (one query)."""
    counts = dict.fromkeys(DECISIONS, 0)
    rows = db.session.execute(
        select(ImportQuestion.decision, func.count())
        .where(ImportQuestion.import_id == draft.id)
        .group_by(ImportQuestion.decision)
    )
    for decision, n in rows:
        counts[decision] = n
    return counts


def import_questions(
    draft: QuestionnaireImport, decision: str | None = None, page: int = 1, per_page: int = 50
) -> tuple[list[ImportQuestion], int]:
    """One page of an import's questions in file order, optionally of one decision."""
    stmt = select(ImportQuestion).where(ImportQuestion.import_id == draft.id)
    count = select(func.count()).select_from(ImportQuestion)
    count = count.where(ImportQuestion.import_id == draft.id)
    if decision:
        stmt = stmt.where(ImportQuestion.decision == decision)
        count = count.where(ImportQuestion.decision == decision)
    rows = db.session.scalars(
        stmt.order_by(ImportQuestion.position).limit(per_page).offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(rows), db.session.scalar(count) or 0


def open_imports(limit: int = 20) -> list[tuple[QuestionnaireImport, int]]:
    """Imports awaiting review, newest first, with how many questions still need a decision."""
    pending = (
        select(ImportQuestion.import_id.label("iid"), func.count().label("n"))
        .where(ImportQuestion.decision == "pending")
        .group_by(ImportQuestion.import_id)
        .subquery()
    )
    rows = db.session.execute(
        select(QuestionnaireImport, func.coalesce(pending.c.n, 0))
        .outerjoin(pending, pending.c.iid == QuestionnaireImport.id)
        .where(QuestionnaireImport.status == "review")
        .order_by(QuestionnaireImport.id.desc())
        .limit(limit)
    ).all()
    return [(draft, n) for draft, n in rows]


def _ordered(question: ImportQuestion, refs: list[str]) -> list[str]:
    rank = {s["ref"]: -s["confidence"] for s in question.suggestions}
    unique = list(dict.fromkeys(refs))
    return sorted(unique, key=lambda r: (rank.get(r, 0.0), mapping.ref_sort_key(r)))


def suggested_refs(question: ImportQuestion, threshold: float = mapping.SUGGEST_CUT) -> list[str]:
    return [s["ref"] for s in question.suggestions if s["confidence"] >= threshold]


def decide_questions(actor, import_id: int, decisions: list[dict]) -> int:
    """Accept, set or drop the controls of some questions: [{key, action, controls?}]."""
    draft = _open(actor, import_id)
    known = set(db.session.scalars(select(Control.ref)))
    by_key = {q.key: q for q in draft.questions}
    errors: dict[str, str] = {}
    plan = []
    for i, item in enumerate(decisions):
        question = by_key.get(item.get("key") or "")
        action = item.get("action")
        refs = list(item.get("controls") or [])
        if question is None:
            errors[f"decisions.{i}.key"] = f"No question {item.get('key')!r} in this import."
        elif action not in ACTIONS:
            errors[f"decisions.{i}.action"] = "Use accept, set or drop."
        elif unknown := [r for r in refs if r not in known]:
            errors[f"decisions.{i}.controls"] = f"Unknown Annex A control(s): {', '.join(unknown)}."
        elif action == "accept" and not suggested_refs(question):
            errors[f"decisions.{i}.action"] = (
                f"Question {question.key} has no suggestion to accept; set its controls instead."
            )
        else:
            plan.append((question, action, refs))
    if errors:
        raise InvalidValues(
            "Some decisions cannot be applied; nothing was changed: "
            + "; ".join(f"{k}: {v}" for k, v in errors.items()),
            errors,
        )
    for question, action, refs in plan:
        if action == "accept":
            question.controls, question.decision = suggested_refs(question), "accepted"
        elif action == "drop" or not refs:
            question.controls, question.decision = [], "dropped"
        else:
            question.controls = _ordered(question, refs)
            same = question.controls == suggested_refs(question)
            question.decision = "accepted" if same else "changed"
    audit.record(
        actor,
        "questionnaire.import_reviewed",
        draft,
        details={
            "decisions": [{"key": q.key, "action": a, "controls": q.controls} for q, a, _ in plan]
        },
    )
    db.session.commit()
    return len(plan)


def _accept_above(draft: QuestionnaireImport, threshold: float) -> int:
    accepted = 0
    for question in draft.questions:
        if question.decision != "pending":
            continue
        refs = suggested_refs(question, max(threshold, mapping.SUGGEST_CUT))
        if refs:
            question.controls, question.decision = refs, "accepted"
            accepted += 1
    return accepted


def accept_above(actor, import_id: int, threshold) -> int:
    """Accept, on every question still to review, the suggestions at or above the threshold."""
    threshold = parse_threshold(threshold)
    draft = _open(actor, import_id)
    accepted = _accept_above(draft, threshold)
    audit.record(
        actor,
        "questionnaire.import_reviewed",
        draft,
        details={"accept_above": threshold, "accepted": accepted},
    )
    db.session.commit()
    return accepted


def _publish(actor, draft: QuestionnaireImport, leave_rest_unmapped: bool):
    pending = [q for q in draft.questions if q.decision == "pending"]
    if pending and not leave_rest_unmapped:
        raise Conflict(
            f"{len(pending)} question(s) still have suggestions to review (first: "
            f"{pending[0].key}). Decide them, or publish leaving them unmapped.",
            {"pending": [q.key for q in pending[:50]]},
        )
    for question in pending:
        question.controls, question.decision = [], "dropped"
    sections: dict[str, dict] = {
        s["key"]: {
            "key": s["key"],
            "title": s.get("title", ""),
            "description": s.get("description", ""),
            "questions": [],
        }
        for s in draft.sections
    }
    for question in draft.questions:
        raw = {k: v for k, v in question.content.items() if k in QUESTION_FIELDS}
        raw["controls"] = [
            {"ref": ref, "weight": PRIMARY_WEIGHT if i == 0 else SECONDARY_WEIGHT}
            for i, ref in enumerate(question.controls)
        ]
        sections[question.content["section"]]["questions"].append(raw)
    raw_questionnaire = {
        "key": draft.key,
        "title": draft.title,
        "description": draft.description,
        "sections": [s for s in sections.values() if s["questions"]],
    }
    refs = set(db.session.scalars(select(Control.ref)))
    normalized, problems = validate_questionnaire(raw_questionnaire, refs, draft.filename, False)
    if problems or normalized is None:
        raise library.LibraryInvalid(problems)
    qn, created = library.import_questionnaire(normalized, f"import: {draft.filename}", actor)
    mapped = sum(1 for q in draft.questions if q.controls)
    draft.status, draft.published_id = "published", qn.id
    audit.record(
        actor,
        "questionnaire.import_published",
        draft,
        details={
            "key": qn.key,
            "version": qn.version,
            "mapped": mapped,
            "unmapped": len(draft.questions) - mapped,
            "left_pending": len(pending),
        },
    )
    return qn, created


def _publish_and_commit(actor, draft, leave_rest_unmapped: bool):
    """Publish and commit; a version loaded by someone else at the same moment is a 409."""
    try:
        out = _publish(actor, draft, leave_rest_unmapped)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            f"Another version of {draft.key!r} was loaded at the same moment; try again."
        ) from None
    return out


def publish_import(actor, import_id: int, leave_rest_unmapped: bool = False):
    """Publish the reviewed import as the next version of its questionnaire."""
    draft = _open(actor, import_id)
    qn, created = _publish_and_commit(actor, draft, leave_rest_unmapped)
    return qn, created


def discard_import(actor, import_id: int) -> QuestionnaireImport:
    """Set an import aside without publishing it."""
    draft = _open(actor, import_id)
    draft.status = "discarded"
    audit.record(actor, "questionnaire.import_discarded", draft, details={"key": draft.key})
    db.session.commit()
    return draft


def import_json(draft: QuestionnaireImport, questions: list[ImportQuestion] | None = None) -> dict:
    """The API shape of an import, with its questions when given."""
    body = {
        "id": draft.id,
        "key": draft.key,
        "title": draft.title,
        "status": draft.status,
        "filename": draft.filename,
        "created_at": draft.created_at.isoformat(timespec="seconds") + "Z",
        "published_version": draft.published.version if draft.published else None,
        "counts": decision_counts(draft),
        "notes": list(draft.notes or []),
    }
    if questions is not None:
        body["questions"] = [
            {
                "key": q.key,
                "section": q.content.get("section"),
                "text": q.content.get("text"),
                "help": q.content.get("help", ""),
                "type": q.content.get("type"),
                "decision": q.decision,
                "controls": list(q.controls),
                "suggestions": list(q.suggestions),
                "unknown_refs": list(q.unknown_refs),
            }
            for q in questions
        ]
    return body
