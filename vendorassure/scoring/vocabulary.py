"""The labels people read for the codes in the data (questionnaires/vocabulary.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

VOCABULARY_PATH = Path(__file__).resolve().parents[2] / "questionnaires" / "vocabulary.yaml"
SECTIONS = (
    "ratings",
    "bands",
    "evidence_kinds",
    "evidence_states",
    "certificate_states",
    "certificate_reasons",
)
# Sections a vocabulary file may leave out (codes then read as words).
OPTIONAL_SECTIONS = ("link_kinds", "change_kinds")


@dataclass(frozen=True)
class Vocabulary:
    """code -> label per section; ``label`` falls back to a readable form of the code."""

    sections: Mapping[str, Mapping[str, str]]
    certificate_kinds: tuple[str, ...] = ()

    @property
    def evidence_kinds(self) -> tuple[str, ...]:
        """Every evidence kind, in the order forms offer them."""
        return tuple(self.sections["evidence_kinds"])

    def label(self, section: str, code: object) -> str:
        """The label of a code (unknown codes read as words, never as snake_case)."""
        if code is None:
            return ""
        got = self.sections.get(section, {}).get(str(code))
        return got if got is not None else str(code).replace("_", " ")

    def rating(self, code: object) -> str:
        return self.label("ratings", code)

    def band(self, code: object) -> str:
        return self.label("bands", code)

    def kind(self, code: object) -> str:
        return self.label("evidence_kinds", code)


@lru_cache(maxsize=4)
def load_vocabulary(path: str | None = None) -> Vocabulary:
    """Read the vocabulary file (cached); every section must be present."""
    d = yaml.safe_load(Path(path or VOCABULARY_PATH).read_text(encoding="utf-8")) or {}
    missing = [s for s in SECTIONS if not isinstance(d.get(s), dict)]
    if missing:
        raise ValueError(f"vocabulary: missing section(s) {', '.join(missing)}")
    certs = d.get("certificate_kinds") or []
    unknown = [k for k in certs if k not in d["evidence_kinds"]]
    if not isinstance(certs, list) or unknown:
        raise ValueError(
            f"vocabulary: certificate_kinds must list evidence kinds (unknown: {unknown})"
        )
    return Vocabulary(
        {
            s: {str(k): str(v) for k, v in (d.get(s) or {}).items()}
            for s in (*SECTIONS, *OPTIONAL_SECTIONS)
        },
        tuple(str(k) for k in certs),
    )


# The evidence kinds of the shipped vocabulary: the one list every module uses.
EVIDENCE_KINDS: tuple[str, ...] = load_vocabulary().evidence_kinds
CERTIFICATE_KINDS: tuple[str, ...] = load_vocabulary().certificate_kinds
