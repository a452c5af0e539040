"""Pure validation of the questionnaire library (no Flask, no database).

Everything in ``questionnaires/`` is data; this module checks it against the contract in
docs/QUESTIONNAIRES.md and turns a questionnaire into a normalized dict with every default filled.
Validators never raise on bad input: they collect every problem they find and return them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .qtypes import OPTION_TYPES
from .qtypes import QUESTION_TYPES as _REGISTRY
from .rules import (
    FILE_RULES,
    KEY_RE,
    QUESTION_FIELDS,
    QUESTION_RULES,
    FileContext,
    QuestionContext,
    check_coverage_field,
    check_translations,
    nonempty_str,
)

QUESTION_TYPES = tuple(_REGISTRY)


CATALOG_FILE = "iso42001-annex-a.yaml"
CROSSWALK_GLOB = "crosswalk-*.yaml"
EXPECTED_CONTROL_COUNT = 38
NOT_QUESTIONNAIRES = frozenset({"intake.yaml", "vocabulary.yaml"})

QUESTIONNAIRE_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
CONTROL_REF_RE = re.compile(r"^A\.\d+\.\d+(\.\d+)?$")
OBJECTIVE_REF_RE = re.compile(r"^A\.\d+$")

QUESTIONNAIRE_FIELDS = frozenset({"key", "title", "description", "coverage", "sections"})
SECTION_FIELDS = frozenset({"key", "title", "description", "questions", "translations"})


@dataclass
class Problem:
    """One thing wrong with a file. ``kind`` says what ``key`` names (question, section ...)."""

    file: str
    key: str | None
    field: str | None
    message: str
    line: int | None = None
    kind: str = "question"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.key is not None:
            parts.append(f"{self.kind} {self.key}" if self.kind else str(self.key))
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)


# --------------------------------------------------------------------------- YAML reading


class _LineDict(dict):
    """A dict that remembers the 1-based line where its YAML mapping started."""

    line: int | None = None


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records mapping line numbers and duplicate mapping keys."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> _LineDict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                k = key_node.value
                if k in seen:
                    self.duplicates.append((k, key_node.start_mark.line + 1))
                seen.add(k)
        mapping = _LineDict(super().construct_mapping(node, deep=deep))
        mapping.line = node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)


def _line_of(obj: Any) -> int | None:
    return getattr(obj, "line", None)


def read_yaml(path: str | Path, filename: str | None = None) -> tuple[Any | None, list[Problem]]:
    """Read one YAML file. Never raises: I/O and syntax errors come back as problems with a line."""
    path = Path(path)
    name = filename or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(name, None, None, f"cannot read file: {exc}", kind="")]
    loader = _LineLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(name, None, None, f"invalid YAML: {reason}", line=line, kind="")]
    finally:
        loader.dispose()
    problems = [
        Problem(name, None, None, f"duplicate mapping key '{k}'", line=ln, kind="")
        for k, ln in loader.duplicates
    ]
    if data is None:
        problems.append(Problem(name, None, None, "file is empty", kind=""))
    return data, problems


# --------------------------------------------------------------------------- small checks


# --------------------------------------------------------------------------- control catalog


@dataclass
class ControlCatalog:
    """The Annex A objectives and controls plus every crosswalk found next to them."""

    framework: str = ""
    objectives: list[dict[str, str]] = field(default_factory=list)
    controls: list[dict[str, str]] = field(default_factory=list)
    crosswalks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def control_refs(self) -> set[str]:
        return {c["ref"] for c in self.controls}

    @property
    def objective_refs(self) -> set[str]:
        return {o["ref"] for o in self.objectives}

    def objective_of(self, control_ref: str) -> str:
        return ".".join(control_ref.split(".")[:2])


def load_control_catalog(controls_dir: str | Path) -> tuple[ControlCatalog, list[Problem]]:
    """Load and check ``controls/iso42001-annex-a.yaml`` and every ``crosswalk-*.yaml``."""
    controls_dir = Path(controls_dir)
    catalog = ControlCatalog()
    problems: list[Problem] = []
    fname = f"{controls_dir.name}/{CATALOG_FILE}"
    data, probs = read_yaml(controls_dir / CATALOG_FILE, fname)
    problems += probs
    if isinstance(data, dict):
        _check_catalog(data, fname, catalog, problems)
    elif data is not None:
        problems.append(Problem(fname, None, None, "top level must be a mapping", kind=""))

    known = catalog.control_refs
    for path in sorted(controls_dir.glob(CROSSWALK_GLOB)):
        cname = f"{controls_dir.name}/{path.name}"
        cdata, probs = read_yaml(path, cname)
        problems += probs
        if cdata is None:
            continue
        _check_crosswalk(cdata, cname, known, catalog, problems)
    return catalog, problems


def _check_catalog(
    data: dict, fname: str, catalog: ControlCatalog, problems: list[Problem]
) -> None:
    def bad(key: str | None, fld: str | None, msg: str, obj: Any = None, kind: str = "") -> None:
        problems.append(Problem(fname, key, fld, msg, line=_line_of(obj), kind=kind))

    if nonempty_str(data.get("framework")):
        catalog.framework = data["framework"].strip()
    else:
        bad(None, "framework", "missing framework name", data)

    objectives = data.get("objectives")
    if not isinstance(objectives, list) or not objectives:
        bad(None, "objectives", "must be a non-empty list", data)
        objectives = []
    for i, obj in enumerate(objectives):
        if not isinstance(obj, dict):
            bad(None, f"objectives[{i}]", "must be a mapping")
            continue
        ref = obj.get("ref")
        if not isinstance(ref, str) or not OBJECTIVE_REF_RE.match(ref):
            bad(None, f"objectives[{i}].ref", f"invalid objective ref {ref!r}", obj)
            continue
        if ref in catalog.objective_refs:
            bad(ref, "ref", "duplicate objective ref", obj, "objective")
            continue
        for fld in ("title", "summary"):
            if not nonempty_str(obj.get(fld)):
                bad(ref, fld, "missing", obj, "objective")
        catalog.objectives.append(
            {
                "ref": ref,
                "title": str(obj.get("title") or ""),
                "summary": str(obj.get("summary") or ""),
            }
        )

    controls = data.get("controls")
    if not isinstance(controls, list) or not controls:
        bad(None, "controls", "must be a non-empty list", data)
        controls = []
    for i, ctl in enumerate(controls):
        if not isinstance(ctl, dict):
            bad(None, f"controls[{i}]", "must be a mapping")
            continue
        ref = ctl.get("ref")
        if not isinstance(ref, str) or not CONTROL_REF_RE.match(ref):
            bad(None, f"controls[{i}].ref", f"invalid control ref {ref!r}", ctl)
            continue
        if ref in catalog.control_refs:
            bad(ref, "ref", "duplicate control ref", ctl, "control")
            continue
        objective = ctl.get("objective")
        expected = catalog.objective_of(ref)
        if objective not in catalog.objective_refs:
            bad(ref, "objective", f"unknown objective {objective!r}", ctl, "control")
        elif objective != expected:
            bad(
                ref,
                "objective",
                f"must be {expected} (the first two parts of the ref)",
                ctl,
                "control",
            )
        for fld in ("title", "summary"):
            if not nonempty_str(ctl.get(fld)):
                bad(ref, fld, "missing", ctl, "control")
        catalog.controls.append(
            {
                "ref": ref,
                "objective": str(objective or ""),
                "title": str(ctl.get("title") or ""),
                "summary": str(ctl.get("summary") or ""),
            }
        )
    if len(catalog.controls) != EXPECTED_CONTROL_COUNT:
        bad(
            None,
            "controls",
            f"expected {EXPECTED_CONTROL_COUNT} Annex A controls, found {len(catalog.controls)}",
            data,
        )
    with_controls = {c["objective"] for c in catalog.controls}
    for obj in catalog.objectives:
        if obj["ref"] not in with_controls:
            bad(obj["ref"], None, "objective has no controls", None, "objective")


def _check_crosswalk(
    data: Any, cname: str, known: set[str], catalog: ControlCatalog, problems: list[Problem]
) -> None:
    def bad(key: str | None, fld: str | None, msg: str, obj: Any = None) -> None:
        problems.append(Problem(cname, key, fld, msg, line=_line_of(obj), kind="control"))

    if not isinstance(data, dict):
        bad(None, None, "top level must be a mapping")
        return
    key = data.get("key")
    if not isinstance(key, str) or not QUESTIONNAIRE_KEY_RE.match(key):
        bad(None, "key", f"invalid crosswalk key {key!r}", data)
        return
    if key in catalog.crosswalks:
        bad(None, "key", f"crosswalk key {key!r} is used by another file", data)
        return
    framework = data.get("framework")
    if not nonempty_str(framework):
        bad(None, "framework", "missing framework name", data)
    mappings = data.get("mappings")
    if not isinstance(mappings, list):
        bad(None, "mappings", "must be a list", data)
        mappings = []
    result: dict[str, list[str]] = {}
    notes: dict[str, str] = {}
    for i, m in enumerate(mappings):
        if not isinstance(m, dict):
            bad(None, f"mappings[{i}]", "must be a mapping")
            continue
        ref = m.get("control")
        if not isinstance(ref, str) or ref not in known:
            bad(None, f"mappings[{i}].control", f"unknown Annex A control {ref!r}", m)
            continue
        if ref in result:
            bad(ref, "control", "mapped twice in this crosswalk", m)
            continue
        refs = m.get("refs")
        if not isinstance(refs, list) or not refs:
            bad(ref, "refs", "must be a non-empty list", m)
            continue
        clean: list[str] = []
        for j, r in enumerate(refs):
            if not nonempty_str(r):
                bad(ref, f"refs[{j}]", "must be a non-empty string", m)
            else:
                clean.append(r.strip())
        note = m.get("note")
        if note is not None and not isinstance(note, str):
            bad(ref, "note", "must be text", m)
        elif note:
            notes[ref] = note
        result[ref] = clean
    catalog.crosswalks[key] = {
        "framework": str(framework or key),
        "mappings": result,
        "notes": notes,
    }


# --------------------------------------------------------------------------- questionnaires


def validate_questionnaire(
    data: Any,
    control_refs: set[str],
    filename: str,
    require_full_coverage: bool | None = None,
) -> tuple[dict | None, list[Problem]]:
    """Check one questionnaire; return (normalized, problems). normalized is None on any problem.

    What coverage of the catalog is required comes from the file's own ``coverage`` field;
    ``require_full_coverage`` True adds "every control covered" on top (False or None: the
    file decides).
    """
    problems: list[Problem] = []

    def top(fld: str | None, msg: str) -> None:
        problems.append(Problem(filename, None, fld, msg, line=_line_of(data), kind=""))

    if not isinstance(data, dict):
        top(None, "top level must be a mapping with key, title and sections")
        return None, problems

    for extra in sorted(set(map(str, data)) - QUESTIONNAIRE_FIELDS):
        top(extra, "unknown field")
    qkey = data.get("key")
    if not isinstance(qkey, str) or not QUESTIONNAIRE_KEY_RE.match(qkey):
        top("key", f"missing or invalid questionnaire key {qkey!r} (use a-z, 0-9, - and _)")
    if not nonempty_str(data.get("title")):
        top("title", "missing title")
    description = data.get("description", "")
    if description is None:
        description = ""
    if not isinstance(description, str):
        top("description", "must be text")
        description = ""

    sections_in = data.get("sections")
    if not isinstance(sections_in, list) or not sections_in:
        top("sections", "must be a non-empty list of sections")
        sections_in = []

    sections: list[dict] = []
    questions: list[dict] = []
    raw_questions: list[tuple[dict, dict]] = []  # (raw question, normalized question)
    first_seen: dict[str, int] = {}
    section_keys: set[str] = set()

    for si, sec in enumerate(sections_in):
        if not isinstance(sec, dict):
            top(f"sections[{si}]", "must be a mapping")
            continue
        skey = sec.get("key")

        def sbad(fld: str | None, msg: str, _skey: Any = skey, _sec: dict = sec) -> None:
            problems.append(
                Problem(
                    filename,
                    str(_skey) if _skey is not None else None,
                    fld,
                    msg,
                    line=_line_of(_sec),
                    kind="section",
                )
            )

        if not isinstance(skey, str) or not KEY_RE.match(skey):
            problems.append(
                Problem(
                    filename,
                    None,
                    f"sections[{si}].key",
                    f"missing or invalid section key {skey!r} (use a-z, 0-9 and _)",
                    line=_line_of(sec),
                    kind="",
                )
            )
            skey = f"section_{si + 1}"
        elif skey in section_keys:
            sbad("key", "duplicate section key")
        section_keys.add(skey)
        for extra in sorted(set(map(str, sec)) - SECTION_FIELDS):
            sbad(extra, "unknown field")
        if not nonempty_str(sec.get("title")):
            sbad("title", "missing title")
        sdesc = sec.get("description", "")
        if sdesc is None:
            sdesc = ""
        if not isinstance(sdesc, str):
            sbad("description", "must be text")
            sdesc = ""
        section_entry = {
            "key": skey,
            "title": str(sec.get("title") or "").strip(),
            "description": sdesc.strip(),
        }
        translated = check_translations(sec.get("translations"), ("title", "description"), sbad)
        if translated:  # only then: files without translations keep their content hash
            section_entry["translations"] = translated
        sections.append(section_entry)
        qs = sec.get("questions")
        if not isinstance(qs, list) or not qs:
            sbad("questions", "must be a non-empty list of questions")
            continue
        for qi, q in enumerate(qs):
            if not isinstance(q, dict):
                sbad(f"questions[{qi}]", "must be a mapping")
                continue
            order = len(questions) + 1
            nq = _normalize_question(
                q,
                skey,
                order,
                control_refs,
                filename,
                problems,
                first_seen,
                f"sections[{si}].questions[{qi}]",
            )
            questions.append(nq)
            raw_questions.append((q, nq))

    _check_show_if(raw_questions, filename, problems)

    coverage, coverage_problems = check_coverage_field(data.get("coverage"))
    for fld, msg in coverage_problems:
        top(fld, msg)
    if require_full_coverage:
        coverage["controls"] = "all"

    def report(key, fld, msg, *, kind="question", raw=None):
        problems.append(Problem(filename, key, fld, msg, line=_line_of(raw), kind=kind))

    file_ctx = FileContext(questions, [r for r, _ in raw_questions], coverage, control_refs, report)
    for rule in FILE_RULES:
        rule.check(file_ctx)

    if problems:
        return None, problems
    normalized = {
        "key": qkey,
        "title": data["title"].strip(),
        "description": description.strip(),
        "sections": sections,
        "questions": questions,
    }
    if coverage:
        normalized["coverage"] = coverage
    return normalized, problems


def _normalize_question(
    q: dict,
    section_key: str,
    order: int,
    control_refs: set[str],
    filename: str,
    problems: list[Problem],
    first_seen: dict[str, int],
    position: str,
) -> dict:
    """Run the question rules (catalog/rules.py) over one raw question; return it normalized."""
    line = _line_of(q)
    key = q.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        problems.append(
            Problem(
                filename,
                None,
                f"{position}.key",
                f"missing or invalid question key {key!r} (use a-z, 0-9 and _)",
                line=line,
                kind="",
            )
        )
        key = f"<question {order}>"
    elif key in first_seen:
        problems.append(
            Problem(
                filename,
                key,
                "key",
                f"duplicate question key (first used by question {first_seen[key]})",
                line=line,
            )
        )
    else:
        first_seen[key] = order

    def report(fld: str | None, msg: str) -> None:
        problems.append(Problem(filename, key, fld, msg, line=line))

    for extra in sorted(set(map(str, q)) - QUESTION_FIELDS):
        report(extra, "unknown field")
    ctx = QuestionContext(control_refs, report)
    for rule in QUESTION_RULES:
        ctx.normalized.update(rule.apply(q, ctx))
    n = ctx.normalized
    return {
        "key": key,
        "section": section_key,
        "order": order,
        "text": n["text"],
        "help": n["help"],
        "type": n["type"],
        "required": n["required"],
        "allows_na": n["allows_na"],
        "options": n["options"],
        "evidence_kinds": n["evidence_kinds"],
        "show_if": n["show_if"],
        "controls": n["controls"],
        "weight": n["weight"],
        "knockout": n["knockout"],
        "score_mode": n["score_mode"],
        "scored": n["scored"],
        # Only when present, so files without translations keep their content hash.
        **({"translations": n["translations"]} if n.get("translations") else {}),
    }


def _check_show_if(
    raw_questions: list[tuple[dict, dict]], filename: str, problems: list[Problem]
) -> None:
    by_key: dict[str, dict] = {}
    for _, nq in raw_questions:
        by_key.setdefault(nq["key"], nq)
    edges: dict[str, list[str]] = {}
    for raw, nq in raw_questions:
        if not nq["show_if"]:
            continue
        key = nq["key"]
        line = _line_of(raw)
        for i, cond in enumerate(nq["show_if"]):
            target_key = cond["question"]
            if not target_key:
                continue
            target = by_key.get(target_key)
            fld = f"show_if[{i}].question"
            if target is None:
                problems.append(
                    Problem(
                        filename, key, fld, f"refers to unknown question {target_key!r}", line=line
                    )
                )
                continue
            edges.setdefault(key, []).append(target_key)
            if target_key == key:
                continue  # reported as a cycle below
            if target["order"] > nq["order"]:
                problems.append(
                    Problem(
                        filename,
                        key,
                        fld,
                        f"refers to {target_key!r}, which comes later; show_if may only name an "
                        f"earlier question",
                        line=line,
                    )
                )
            if target["type"] not in OPTION_TYPES:
                problems.append(
                    Problem(
                        filename,
                        key,
                        fld,
                        f"refers to {target_key!r}, which is not an option question",
                        line=line,
                    )
                )
                continue
            offered = {o["value"] for o in target["options"]}
            for v in cond["in"]:
                if v not in offered:
                    problems.append(
                        Problem(
                            filename,
                            key,
                            f"show_if[{i}].in",
                            f"{v!r} is not an option of question {target_key!r}",
                            line=line,
                        )
                    )

    # cycle detection (iterative DFS, each cycle reported once)
    lines = {nq["key"]: _line_of(raw) for raw, nq in raw_questions}
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()
    for start in edges:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        state[start] = 1
        while stack:
            node, idx = stack[-1]
            nexts = edges.get(node, [])
            if idx < len(nexts):
                stack[-1] = (node, idx + 1)
                nxt = nexts[idx]
                if state.get(nxt) == 1:
                    cycle = path[path.index(nxt) :] + [nxt]
                    sig = frozenset(cycle)
                    if sig not in reported:
                        reported.add(sig)
                        problems.append(
                            Problem(
                                filename,
                                nxt,
                                "show_if",
                                "show_if cycle: " + " -> ".join(cycle),
                                line=lines.get(nxt),
                            )
                        )
                elif not state.get(nxt):
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                stack.pop()
                path.pop()


def content_hash(normalized: dict) -> str:
    """sha256 hex digest of a canonical JSON dump of a normalized questionnaire."""
    canonical = json.dumps(normalized, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- the whole library


def questionnaire_files(root: str | Path) -> list[Path]:
    """Top-level questionnaire files of a library folder (intake.yaml is not a questionnaire)."""
    root = Path(root)
    return sorted(p for p in root.glob("*.yaml") if p.name not in NOT_QUESTIONNAIRES)


def validate_library(root: str | Path = "questionnaires") -> list[Problem]:
    """Check the control catalog, the crosswalks and every top-level questionnaire file."""
    root = Path(root)
    if not root.is_dir():
        return [Problem(str(root), None, None, "library folder not found", kind="")]
    catalog, problems = load_control_catalog(root / "controls")
    refs = catalog.control_refs
    keys_seen: dict[str, str] = {}
    questionnaires: list[dict] = []
    for path in questionnaire_files(root):
        data, probs = read_yaml(path)
        problems += probs
        if data is None:
            continue
        key = data.get("key") if isinstance(data, dict) else None
        if isinstance(key, str):
            if key in keys_seen:
                problems.append(
                    Problem(
                        path.name,
                        None,
                        "key",
                        f"questionnaire key {key!r} is also used by {keys_seen[key]}",
                        kind="",
                    )
                )
            keys_seen.setdefault(key, path.name)
        normalized, probs = validate_questionnaire(data, refs, path.name)
        problems += probs
        if normalized is not None:
            questionnaires.append(normalized)
    for path in sorted((root / "history").glob("*.yaml")):  # earlier versions, kept as they were
        data, probs = read_yaml(path)
        problems += probs
        if data is not None:
            problems += validate_questionnaire(data, refs, f"history/{path.name}")[1]
    problems += _validate_vocabulary(root / "vocabulary.yaml")
    intake, _ = read_yaml(root / "intake.yaml") if (root / "intake.yaml").exists() else (None, [])
    for path in sorted((root / "scoring").glob("*.yaml")):
        model, probs = read_yaml(path)
        problems += probs
        if isinstance(model, dict):
            problems += validate_model_rules(model, questionnaires, intake or {}, path.name)
    return problems


def _validate_vocabulary(path: Path) -> list[Problem]:
    from ..scoring.vocabulary import load_vocabulary

    if not path.exists():  # a library without one uses the shipped vocabulary
        return []
    try:
        load_vocabulary.__wrapped__(str(path))
    except (ValueError, OSError, yaml.YAMLError) as exc:
        return [Problem(path.name, None, None, str(exc), kind="")]
    return []


def validate_model_rules(
    model: dict, questionnaires: list[dict], intake: dict, filename: str
) -> list[Problem]:
    """Check a scoring model's red flags and checks against the questionnaires and the intake.

    Every question a rule names must be asked by some questionnaire, with the values it names;
    a red flag must never fire on a question's best answer; intake conditions must name intake
    questions and their options.
    """
    problems: list[Problem] = []
    by_key: dict[str, list[dict]] = {}
    for qn in questionnaires:
        for q in qn["questions"]:
            by_key.setdefault(q["key"], []).append(q)
    intake_opts = {
        str(q.get("key")): {str(o.get("value")) for o in q.get("options") or []}
        for q in (intake.get("questions") or [])
        if isinstance(q, dict)
    }
    for section in ("red_flags", "checks"):
        for i, rule in enumerate(model.get(section) or []):
            if not isinstance(rule, dict):
                continue
            where = f"{section}.{rule.get('key', i)}"
            # with a certificate condition, a best answer can be what is contradicted
            on_certificate = any(isinstance(c, dict) and "certificate" in c
                                 for c in rule.get("when") or [])  # fmt: skip
            for c in rule.get("when") or []:
                if not isinstance(c, dict):
                    continue
                values = {str(v) for v in c.get("in") or []}
                if "question" in c:
                    qs = by_key.get(str(c["question"]))
                    if not qs:
                        problems.append(Problem(filename, where, "when",
                            f"question {c['question']!r} is not asked by any questionnaire",
                            kind=""))  # fmt: skip
                        continue
                    for q in qs:
                        offered = {str(o["value"]) for o in q["options"]}
                        for v in sorted(values - offered):
                            problems.append(Problem(filename, where, "when",
                                f"{c['question']} has no option {v!r}", kind=""))  # fmt: skip
                        if section == "red_flags" and q["options"] and not on_certificate:
                            top = max(o.get("score", 0) for o in q["options"])
                            best = {str(o["value"]) for o in q["options"]
                                    if o.get("score", 0) == top}  # fmt: skip
                            if values & best and top > 0:
                                problems.append(Problem(filename, where, "when",
                                    f"fires on the best answer of {c['question']} "
                                    f"({', '.join(sorted(values & best))})", kind=""))  # fmt: skip
                elif "intake" in c:
                    opts = intake_opts.get(str(c["intake"]))
                    if opts is None:
                        problems.append(Problem(filename, where, "when",
                            f"intake question {c['intake']!r} does not exist", kind=""))  # fmt: skip
                    else:
                        for v in sorted(values - opts):
                            problems.append(Problem(filename, where, "when",
                                f"intake question {c['intake']} has no option {v!r}",
                                kind=""))  # fmt: skip
    return problems


def control_coverage(normalized: dict) -> dict[str, list[str]]:
    """Map each control ref to the keys of the questions that evidence it."""
    result: dict[str, list[str]] = {}
    for q in normalized["questions"]:
        for c in q["controls"]:
            result.setdefault(c["ref"], []).append(q["key"])
    return result
