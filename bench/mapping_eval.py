"""Measure the Annex A mapper on the labelled foreign questionnaire; print the figures.

    .venv/bin/python bench/mapping_eval.py [--library DIR] [--cv]

Precision and recall of the suggested controls against tests/fixtures/foreign/labels.yaml, the
share of AI-governance rows (non-empty labels) that got a suggestion, and how many no-counterpart
rows stayed unmapped. ``--cv`` chooses the thresholds by grouped cross-validation (the file's
domains as groups: thresholds are picked on the other domains, then measured on the held-out one).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vendorassure.catalog import mapping  # noqa: E402
from vendorassure.catalog.tabular import read_import_table  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "foreign"
GRID = {
    "margin": (0.8, 0.9, 1.0, 1.1, 1.2, 1.3),
    "group_weight": (0.0, 0.5, 1.0, 2.0),
    "second_ratio": (0.85, 0.9, 0.95, 1.01),
}


@dataclass
class Figures:
    rows: int
    suggested: int  # suggested refs in all
    correct_any: int  # suggested refs found in the row's labels
    first_primary: int  # rows whose first suggestion is the primary label
    first_any: int  # rows whose first suggestion is one of the labels
    mapped_rows: int  # rows with at least one suggestion
    labels: int
    found_labels: int
    ai_rows: int
    ai_mapped: int
    negative_rows: int
    negative_unmapped: int

    @property
    def precision_any(self) -> float:
        return self.correct_any / self.suggested if self.suggested else 0.0

    @property
    def precision_primary(self) -> float:
        return self.first_primary / self.mapped_rows if self.mapped_rows else 0.0

    @property
    def precision_first(self) -> float:
        return self.first_any / self.mapped_rows if self.mapped_rows else 0.0

    @property
    def recall(self) -> float:
        return self.found_labels / self.labels if self.labels else 0.0

    def line(self) -> str:
        return (
            f"precision (any label) {self.precision_any:.3f} | first suggestion = primary label "
            f"{self.precision_primary:.3f} | first suggestion in labels {self.precision_first:.3f}"
            f" | recall {self.recall:.3f} | AI rows mapped {self.ai_mapped}/{self.ai_rows} "
            f"({self.ai_mapped / max(self.ai_rows, 1):.1%}) | no-counterpart rows unmapped "
            f"{self.negative_unmapped}/{self.negative_rows} | suggested refs {self.suggested}"
        )


def load_fixture():
    table = read_import_table(FIXTURE / "ai-security-questionnaire.csv", "ai.csv", key="ai")
    assert table.normalized is not None, table.problems
    labels = yaml.safe_load((FIXTURE / "labels.yaml").read_text(encoding="utf-8"))
    by_key = {k.lower().replace("-", "_").replace(".", "_"): v or [] for k, v in labels.items()}
    return table.rows, by_key


def measure(results, labels, keys=None) -> Figures:
    f = Figures(*([0] * 12))
    for m in results:
        if keys is not None and m.key not in keys:
            continue
        truth = labels[m.key]
        got = [s.ref for s in m.suggested]
        f.rows += 1
        f.suggested += len(got)
        f.correct_any += sum(r in truth for r in got)
        f.labels += len(truth)
        f.found_labels += sum(r in got for r in truth)
        if got:
            f.mapped_rows += 1
            f.first_primary += bool(truth) and got[0] == truth[0]
            f.first_any += got[0] in truth
        if truth:
            f.ai_rows += 1
            f.ai_mapped += bool(got)
        else:
            f.negative_rows += 1
            f.negative_unmapped += not got
    return f


def objective(f: Figures) -> float:
    # What we ask of the thresholds: map nearly every AI row, then be as precise as possible.
    coverage = f.ai_mapped / max(f.ai_rows, 1)
    return f.precision_any + (0 if coverage >= 0.95 else coverage - 1.0)


def cross_validate(rows, labels, knowledge):
    domains = sorted({r.key.split("_")[0] for r in rows})
    cache = {}
    for values in itertools.product(*GRID.values()):
        settings = mapping.MapperSettings(**dict(zip(GRID, values, strict=True)))
        cache[values] = mapping.suggest_mappings(rows, knowledge, settings)
    pooled = []
    chosen = []
    for held_out in domains:
        train = {r.key for r in rows if r.key.split("_")[0] != held_out}
        best = max(cache, key=lambda v: (objective(measure(cache[v], labels, train)), v))
        chosen.append(best)
        pooled += [m for m in cache[best] if m.key.split("_")[0] == held_out]
    return measure(pooled, labels), chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", default=str(ROOT / "questionnaires"))
    parser.add_argument("--cv", action="store_true", help="grouped cross-validation of thresholds")
    args = parser.parse_args()
    rows, labels = load_fixture()
    knowledge = mapping.load_knowledge(args.library)
    results = mapping.suggest_mappings(rows, knowledge)
    print(f"defaults {mapping.MapperSettings()}")
    print("all rows, default thresholds:", measure(results, labels).line())
    for cut in (0.6, 0.7, 0.8):
        kept = [
            replace(m, suggestions=[s for s in m.suggestions if s.confidence >= cut])
            for m in results
        ]
        print(f"accepting only confidence >= {cut}:", measure(kept, labels).line())
    if args.cv:
        figures, chosen = cross_validate(rows, labels, knowledge)
        print("grouped CV by domain (23 folds):", figures.line())
        print("thresholds chosen per fold (margin, group_weight, second_ratio):")
        for values in sorted(set(chosen)):
            print(f"  {values}: {chosen.count(values)} folds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
