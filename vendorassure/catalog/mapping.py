"""Suggest Annex A controls for imported questions: crosswalk references first, else text.

Pure Python (PyYAML, NumPy, scikit-learn; no Flask, no database). Two sources, in this order:

1. the file's own mapping columns: an ISO/IEC 42001 column (plain refs, lists, ranges such as
   ``A.2.2 - A.2.4`` expanded in catalog order, Annex B refs read as Annex A) and columns naming a
   framework we ship a crosswalk for (``NIST AI RMF``, ``EU AI Act``), translated by reverse
   lookup in ``questionnaires/controls/crosswalk-*.yaml``; see :func:`resolve_refs`;
2. otherwise text similarity (TF-IDF over words and word pairs, cosine) against the catalog's
   titles and summaries, the phrases in ``controls/mapping-hints.yaml`` and the questions of our
   own questionnaires with their control refs; see :func:`suggest_mappings`.

A question closer to the out-of-scope topics of plain information security than to any
control, or one whose group of questions never speaks about AI, gets no suggestion: it stays
unmapped rather than forced. See docs/QUESTIONNAIRES.md, "Importing a foreign questionnaire".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .validate import load_control_catalog, read_yaml

HINTS_FILE = "mapping-hints.yaml"
OWN_QUESTIONNAIRE_GLOB = "iso42001-ai-vendor*.yaml"

# The mapper's cut: a suggestion at or above it is pre-selected for the reviewer.
SUGGEST_CUT = 0.5
DEFAULT_ACCEPT_ABOVE = 0.6

# --------------------------------------------------------------------------- references in cells

_REF_TOKEN = r"[AB]\.?\s?\d{1,2}(?:\.\d{1,2}){0,2}"  # noqa: S105 - a pattern, not a secret
_RANGE_RE = re.compile(rf"(?<![\w.])({_REF_TOKEN})\s*[-\u2013\u2014]\s*({_REF_TOKEN})(?![\w]|\.\d)")
_REF_RE = re.compile(rf"(?<![\w.])({_REF_TOKEN})(?![\w]|\.\d)")
_OTHER_STANDARD_RE = re.compile(
    r"\b(27001|27002|27017|27018|27701|soc\s*2|nist\s*(?:csf|800)|csf|800-53|pci|hipaa|gdpr|"
    r"cobit|cis)\b",
    re.IGNORECASE,
)
_CLAUSE_RE = re.compile(r"\bclause\b|^\s*\d+(?:\.\d+)+\s*$", re.IGNORECASE)
_NOTHING = {"", "n/a", "na", "none", "-", "\u2013", "not applicable"}


def ref_sort_key(ref: str) -> tuple[int, ...]:
    """Catalog order of Annex A refs (A.6.1.2 < A.6.2.2 < A.10.2)."""
    return tuple(int(p) for p in re.findall(r"\d+", ref))


def _canonical(token: str) -> tuple[str, str]:
    """('A.7.5', 'A') for 'A7.5', 'A.7.5' or 'B.7.5'; the letter says which annex was written."""
    compact = re.sub(r"\s+", "", token)
    letter, digits = compact[0].upper(), compact[1:].lstrip(".")
    return "A." + digits, letter


@dataclass
class Resolution:
    """What the mapping cells of one row resolve to."""

    controls: list[str] = field(default_factory=list)  # catalog order, no duplicates
    unknown: list[str] = field(default_factory=list)  # as written in the cell
    ignored: list[str] = field(default_factory=list)  # other standards and clauses, as written
    converted: list[tuple[str, str]] = field(default_factory=list)  # (Annex B as written, A ref)
    # control ref -> how it was found ("ISO/IEC 42001 column", "NIST AI RMF GOVERN 1.1")
    reasons: dict[str, str] = field(default_factory=dict)
    # control refs that came from a framework crosswalk rather than the ISO column itself
    translated: set[str] = field(default_factory=set)


def _split_segments(cell: str) -> list[str]:
    return [s.strip() for s in re.split(r"[;,\n]", cell) if s.strip()]


def resolve_iso_cell(cell: str, refs: Sequence[str], out: Resolution | None = None) -> Resolution:
    """Read an ISO/IEC 42001 mapping cell: refs, lists, ranges; report unknown and ignored parts."""
    out = out or Resolution()
    ordered = sorted(set(refs), key=ref_sort_key)
    known = set(ordered)
    if (cell or "").strip().lower() in _NOTHING:
        return out
    for segment in _split_segments(cell):
        if segment.lower() in _NOTHING:
            continue
        if (_OTHER_STANDARD_RE.search(segment) and "42001" not in segment) or _CLAUSE_RE.search(
            segment
        ):
            out.ignored.append(segment)
            continue
        found_any = False
        rest = segment
        for m in _RANGE_RE.finditer(segment):
            found_any = True
            lo, hi = _canonical(m.group(1))[0], _canonical(m.group(2))[0]
            bad = [m.group(i) for i, r in ((1, lo), (2, hi)) if r not in known]
            if bad:
                out.unknown.extend(bad)
            else:
                a, b = sorted((ordered.index(lo), ordered.index(hi)))
                for ref in ordered[a : b + 1]:
                    out.reasons.setdefault(ref, f"range {m.group(0).strip()}")
                    _add(out, ref)
            rest = rest.replace(m.group(0), " ")
        for m in _REF_RE.finditer(rest):
            found_any = True
            ref, letter = _canonical(m.group(1))
            if ref in known:
                out.reasons.setdefault(ref, "ISO/IEC 42001 column")
                _add(out, ref)
                if letter == "B":
                    out.converted.append((m.group(1), ref))
            else:
                out.unknown.append(m.group(1))
        if not found_any:
            out.ignored.append(segment)
    out.controls.sort(key=ref_sort_key)
    return out


def _add(out: Resolution, ref: str) -> None:
    if ref not in out.controls:
        out.controls.append(ref)


def _norm_framework_ref(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).upper()


def reverse_crosswalk(crosswalk: dict) -> dict[str, list[str]]:
    """{framework ref (upper case): [Annex A refs]} from a crosswalk's {control: [refs]}."""
    reverse: dict[str, list[str]] = {}
    for control, targets in crosswalk.get("mappings", {}).items():
        for target in targets:
            reverse.setdefault(_norm_framework_ref(target), []).append(control)
    return {k: sorted(set(v), key=ref_sort_key) for k, v in reverse.items()}


def resolve_crosswalk_cell(
    cell: str, framework: str, reverse: dict[str, list[str]], out: Resolution | None = None
) -> Resolution:
    """Translate a NIST AI RMF / EU AI Act cell into Annex A controls by reverse lookup."""
    out = out or Resolution()
    for segment in _split_segments(cell or ""):
        if segment.lower() in _NOTHING:
            continue
        targets = reverse.get(_norm_framework_ref(segment))
        if not targets:
            out.unknown.append(segment)
            continue
        for ref in targets:
            out.reasons.setdefault(ref, f"{framework} {segment}")
            if ref not in out.controls:
                out.translated.add(ref)
            _add(out, ref)
    out.controls.sort(key=ref_sort_key)
    return out


def resolve_refs(
    iso_cell: str,
    crosswalk_cells: dict[str, str],
    refs: Sequence[str],
    crosswalks: dict[str, dict],
) -> Resolution:
    """Resolve a row's ISO column and framework columns ({crosswalk key: cell}) together."""
    out = resolve_iso_cell(iso_cell or "", refs)
    for key, cell in crosswalk_cells.items():
        spec = crosswalks.get(key)
        if spec is None or not (cell or "").strip():
            continue
        resolve_crosswalk_cell(cell, spec.get("framework", key), reverse_crosswalk(spec), out)
    return out


# --------------------------------------------------------------------------- the text model


@dataclass(frozen=True)
class Example:
    """A reference text and the controls it evidences (weight 1.0 primary, less secondary)."""

    text: str
    controls: tuple[tuple[str, float], ...]
    source: str  # "catalog", "hint" or "question KEY"


@dataclass
class Knowledge:
    """Everything the mapper compares with: catalog, hints, our questions, crosswalks."""

    controls: list[dict]  # [{ref, title, summary}] in catalog order
    examples: list[Example]
    out_of_scope: list[str]
    ai_terms: list[str]
    crosswalks: dict[str, dict]

    @property
    def refs(self) -> list[str]:
        return [c["ref"] for c in self.controls]


@dataclass(frozen=True)
class MapperSettings:
    """The mapper's knobs; the defaults and how they were chosen are in docs/QUESTIONNAIRES.md."""

    # a question is in scope when its best control score beats margin x its out-of-scope score
    margin: float = 1.0
    # weight of the mean of the question's group (same control ID in the file) when smoothing
    group_weight: float = 1.0
    # a second or third control is suggested when it scores at least this share of the best
    second_ratio: float = 0.9
    max_suggestions: int = 3
    # alternatives shown to the reviewer beside the suggestions
    alternatives: int = 4


@dataclass(frozen=True)
class Suggestion:
    ref: str
    confidence: float  # 0..1; >= SUGGEST_CUT means suggested (pre-selected)
    source: str  # "file", "crosswalk" or "text"
    reason: str


@dataclass
class QuestionInput:
    """One imported question as the mapper sees it."""

    key: str
    text: str
    help: str = ""
    section: str = ""  # section title in the file
    group: str = ""  # the file's own control ID or ID stem; questions in a group share a topic
    resolution: Resolution | None = None  # from the file's mapping columns, if it has any


@dataclass
class QuestionMapping:
    key: str
    suggestions: list[Suggestion]  # ranked; the first ones at or above SUGGEST_CUT are suggested
    in_scope: bool
    unknown: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def suggested(self) -> list[Suggestion]:
        return [s for s in self.suggestions if s.confidence >= SUGGEST_CUT]


def _read_yaml_file(path: Path):
    data, problems = read_yaml(path)
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    return data


def load_knowledge(library_root: str | Path) -> Knowledge:
    """Read the catalog, crosswalks, hints and our own mapped questions from a library folder."""
    root = Path(library_root)
    catalog, problems = load_control_catalog(root / "controls")
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    controls = [
        {"ref": c["ref"], "title": c["title"], "summary": c.get("summary", "")}
        for c in catalog.controls
    ]
    known = {c["ref"] for c in controls}
    examples = [
        Example(f"{c['title']}. {c['summary']}", ((c["ref"], 1.0),), "catalog") for c in controls
    ]
    hints = _read_yaml_file(root / "controls" / HINTS_FILE) or {}
    for ref, phrases in (hints.get("controls") or {}).items():
        if ref not in known:
            raise ValueError(f"{HINTS_FILE}: unknown Annex A control {ref!r}")
        examples += [Example(str(p), ((ref, 1.0),), "hint") for p in phrases]
    seen: set[str] = set()
    for path in sorted(root.glob(OWN_QUESTIONNAIRE_GLOB)):
        data = _read_yaml_file(path) or {}
        for section in data.get("sections") or []:
            for q in section.get("questions") or []:
                links = tuple(
                    (c["ref"], float(c.get("weight", 1.0)))
                    for c in q.get("controls") or []
                    if c.get("ref") in known
                )
                if not links or q.get("key") in seen:
                    continue
                seen.add(q["key"])
                text = f"{q.get('text', '')} {q.get('help', '') or ''}".strip()
                examples.append(Example(text, links, f"question {q['key']}"))
    return Knowledge(
        controls=controls,
        examples=examples,
        out_of_scope=[str(p) for p in hints.get("out_of_scope") or []],
        ai_terms=[str(t) for t in hints.get("ai_terms") or []],
        crosswalks=catalog.crosswalks,
    )


_STOP_WORDS = (
    "a an the and or of to for in on at by with from into is are be been was were do does did "
    "you your we our their its it this that these those as any each every all how what which "
    "who whom when where whether there such than then so not no can may must should would "
    "will shall have has had us they them per via also other same more most about over under "
    "e g eg i ie"
)
_STOP = frozenset(_STOP_WORDS.split(" "))
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ers", "er", "ed")
_SUFFIXES += ("es", "s")


def _stem(word: str) -> str:
    # A few English suffixes are enough to meet "logs"/"logging" or "assess"/"assessments".
    for suffix in _SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def analyze(text: str) -> list[str]:
    """Stemmed words without stop words, plus adjacent word pairs."""
    words = [_stem(w) for w in re.findall(r"[a-z][a-z0-9]+", text.lower()) if w not in _STOP]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _ai_pattern(terms: Iterable[str]) -> re.Pattern | None:
    parts = [re.escape(t.strip()).replace(r"\ ", r"\s+") for t in terms if t.strip()]
    if not parts:
        return None
    return re.compile(r"\b(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")\b", re.I)


def suggest_mappings(
    questions: list[QuestionInput],
    knowledge: Knowledge,
    settings: MapperSettings | None = None,
) -> list[QuestionMapping]:
    """Suggest controls for every question; deterministic for the same input and knowledge."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    settings = settings or MapperSettings()
    if not questions:
        return []
    refs = knowledge.refs
    col = {r: j for j, r in enumerate(refs)}
    texts = [" ".join(filter(None, (q.text, q.help, q.section))) for q in questions]
    docs = [e.text for e in knowledge.examples]
    negatives = knowledge.out_of_scope or ["information security"]

    # The vocabulary and IDF come from the reference texts and the imported file together:
    # unsupervised, and words the whole file repeats ("vendor", "AI") weigh less.
    vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True)
    vectorizer.fit(docs + negatives + texts)
    Q = vectorizer.transform(texts)
    sim_docs = (Q @ vectorizer.transform(docs).T).toarray()
    sim_neg = (Q @ vectorizer.transform(negatives).T).toarray()

    weights = np.zeros((len(docs), len(refs)))
    for i, e in enumerate(knowledge.examples):
        for ref, w in e.controls:
            weights[i, col[ref]] = max(weights[i, col[ref]], w)
    scores = np.zeros((len(questions), len(refs)))
    best_doc = np.zeros((len(questions), len(refs)), dtype=int)
    for j in range(len(refs)):
        members = np.flatnonzero(weights[:, j])
        if members.size == 0:
            continue
        s = sim_docs[:, members] * weights[members, j]
        order = np.argsort(-s, axis=1, kind="stable")
        top1 = np.take_along_axis(s, order[:, :1], axis=1)[:, 0]
        top2 = np.take_along_axis(s, order[:, :2], axis=1).mean(axis=1)
        scores[:, j] = 0.7 * top1 + 0.3 * top2
        best_doc[:, j] = members[order[:, 0]]
    out_of_scope = sim_neg.max(axis=1)

    # Questions under one control ID of the file ask about one topic: smooth within the group.
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        groups.setdefault(q.group or f"#{i}", []).append(i)
    lam = settings.group_weight
    pattern = _ai_pattern(knowledge.ai_terms)
    speaks_ai = np.array(
        [bool(pattern.search(f"{q.text} {q.help}")) if pattern else True for q in questions]
    )
    smoothed, smoothed_neg = scores.copy(), out_of_scope.copy()
    group_ai = speaks_ai.copy()
    for ids in groups.values():
        if len(ids) > 1:
            smoothed[ids] = (scores[ids] + lam * scores[ids].mean(axis=0)) / (1 + lam)
            smoothed_neg[ids] = (out_of_scope[ids] + lam * out_of_scope[ids].mean()) / (1 + lam)
        # A group counts as AI when at least half of its questions speak about AI.
        group_ai[ids] = speaks_ai[ids].mean() >= 0.5

    results = []
    for i, q in enumerate(questions):
        res = q.resolution
        unknown = list(res.unknown) if res else []
        ignored = list(res.ignored) if res else []
        row = smoothed[i]
        order = [int(j) for j in np.argsort(-row, kind="stable")]
        top = float(row[order[0]])
        if res is not None and res.controls:
            suggestions = _from_file(res, row, col, top)
            results.append(QuestionMapping(q.key, suggestions, True, unknown, ignored))
            continue
        margin_ok = top > 0 and top > settings.margin * float(smoothed_neg[i])
        in_scope = bool(margin_ok and group_ai[i])
        # Confidence: 0.5 at the edge of scope, rising to 1.0 as the out-of-scope pull vanishes;
        # below 0.5 for questions judged out of scope (shown as alternatives only).
        lead = 1.0 - settings.margin * float(smoothed_neg[i]) / top if top > 0 else -1.0
        base = 0.5 + 0.5 * min(max(lead, 0.0), 1.0) if in_scope else 0.45 * max(min(lead, 1.0), 0)
        suggestions = []
        for rank, j in enumerate(order[: max(settings.max_suggestions, settings.alternatives)]):
            ratio = float(row[j]) / top if top > 0 else 0.0
            conf = base if rank == 0 else base * ratio
            if rank > 0 and (rank >= settings.max_suggestions or ratio < settings.second_ratio):
                conf = min(conf, SUGGEST_CUT - 0.01)  # an alternative, not a suggestion
            example = knowledge.examples[int(best_doc[i, j])]
            suggestions.append(
                Suggestion(refs[j], round(conf, 3), "text", _text_reason(example, float(row[j])))
            )
        results.append(QuestionMapping(q.key, suggestions, in_scope, unknown, ignored))
    return results


def _from_file(res: Resolution, row, col: dict[str, int], top: float) -> list[Suggestion]:
    # A ref the file names is taken at its word; a framework ref translated through our crosswalk
    # is good evidence too but often names several controls, so text agreement ranks them.
    out = []
    for ref in res.controls:
        if ref in res.translated:
            agreement = float(row[col[ref]]) / top if top > 0 else 0.0
            conf = 0.7 + 0.25 * agreement
            source = "crosswalk"
        else:
            conf, source = 1.0, "file"
        out.append(Suggestion(ref, round(conf, 3), source, res.reasons.get(ref, "")))
    return sorted(out, key=lambda s: (-s.confidence, ref_sort_key(s.ref)))


def _text_reason(example: Example, score: float) -> str:
    if example.source == "catalog":
        where = "the control's summary"
    elif example.source == "hint":
        where = f"hint \u201c{example.text}\u201d"
    else:
        where = f"our {example.source}"
    return f"text similar to {where} ({score:.2f})"


def hints_problems(library_root: str | Path) -> list[str]:
    """Check controls/mapping-hints.yaml: known refs, lists of phrases."""
    path = Path(library_root) / "controls" / HINTS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        return [f"{HINTS_FILE}: {exc}"]
    catalog, _ = load_control_catalog(Path(library_root) / "controls")
    problems = []
    for ref, phrases in (data.get("controls") or {}).items():
        if ref not in catalog.control_refs:
            problems.append(f"{HINTS_FILE}: unknown Annex A control {ref!r}")
        if not isinstance(phrases, list) or not all(isinstance(p, str) for p in phrases):
            problems.append(f"{HINTS_FILE}: {ref}: must be a list of phrases")
    for name in ("out_of_scope", "ai_terms"):
        value = data.get(name) or []
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            problems.append(f"{HINTS_FILE}: {name}: must be a list of phrases")
    return problems
