"""Benchmark the scoring engine: one assessment at a time vs the vectorised batch.

    .venv/bin/python bench/scoring.py [--n 20000] [--single-sample 2000]

Scores N synthetic assessments of the full questionnaire (the real
questionnaires/iso42001-ai-vendor.yaml when present, else a synthetic 100-question one) and
prints the time per single assessment (score_assessment), the batch throughput (score_frame)
and the ratio. Targets: single < 2 ms, batch of 20,000 < 5 s.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the app sets it (vendorassure/__init__)

import argparse
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vendorassure.scoring import RATINGS, ScoringInput, load_model, score_assessment, score_frame  # noqa: E402
from vendorassure.scoring.batch import gc_paused  # noqa: E402
from vendorassure.scoring.files import (
    CATALOG_PATH,
    QUESTIONNAIRE_DIR,
    load_controls,
    load_questionnaire,
)  # noqa: E402
from vendorassure.scoring.synthetic import (  # noqa: E402
    answers_frame_rows,
    certificate_frame_rows,
    random_answers,
    random_certificates,
    synthetic_controls,
    synthetic_questionnaire,
)

AS_OF = date(2026, 11, 27)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=20_000)
    p.add_argument("--single-sample", type=int, default=2_000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    rng = random.Random(args.seed)
    model = load_model()

    full = QUESTIONNAIRE_DIR / "iso42001-ai-vendor.yaml"
    if full.exists():
        questions = load_questionnaire(full)[1]
        source = f"real {full.name}"
    else:
        questions = None
        source = "synthetic 100-question questionnaire"
    controls = load_controls() if CATALOG_PATH.exists() else synthetic_controls()
    if questions is None:
        questions = synthetic_questionnaire(rng, 100, controls)

    intake_values = {
        q["key"]: [o["value"] for o in q["options"]]
        for q in yaml.safe_load((QUESTIONNAIRE_DIR / "intake.yaml").read_text())["questions"]
    }
    t0 = time.perf_counter()
    inputs = []
    rows: list[dict] = []
    cert_rows: list[dict] = []
    for aid in range(args.n):
        answers = random_answers(rng, questions, p_unanswered=0.05)
        certs = random_certificates(rng, AS_OF)
        inputs.append(
            ScoringInput(questions, controls, answers, certs, rng.choice(RATINGS), AS_OF,
                         {k: rng.choice(v) for k, v in intake_values.items()})
        )  # fmt: skip
        rows += answers_frame_rows(aid, answers)
        cert_rows += certificate_frame_rows(aid, certs)
    answers_df = pd.DataFrame(rows)
    certs_df = pd.DataFrame(cert_rows)
    tiers = {aid: inp.inherent_tier for aid, inp in enumerate(inputs)}
    intakes = {aid: inp.intake for aid, inp in enumerate(inputs)}
    gen = time.perf_counter() - t0
    print(f"questionnaire: {source}: {len(questions)} questions, {len(controls)} controls")
    print(
        f"generated {args.n:,} assessments, {len(answers_df):,} answer rows, "
        f"{len(certs_df):,} certificates in {gen:.1f} s (not timed below)"
    )

    # One by one: time a sample, repeat to take the median per-assessment figure.
    sample = inputs[: args.single_sample]
    per = []
    for _ in range(3):
        t = time.perf_counter()
        for inp in sample:
            score_assessment(inp, model)
        per.append((time.perf_counter() - t) / len(sample))
    single = statistics.median(per)
    one_by_one_total = single * args.n

    batch_runs, record_runs = [], []
    for _ in range(3):
        t = time.perf_counter()
        fs = score_frame(questions, controls, answers_df, certs_df, tiers, AS_OF, model, intakes)
        batch_runs.append(time.perf_counter() - t)
        with gc_paused():
            explanations = [e.to_dict() for _, e in fs.explanations()]
        record_runs.append(time.perf_counter() - t)
    batch = statistics.median(batch_runs)
    records = statistics.median(record_runs)
    frame, control_scores = fs.assessments, fs.control_scores

    # Spot-check agreement on a sample.
    mismatches = 0
    for aid in range(0, args.n, max(1, args.n // 300)):
        one = score_assessment(inputs[aid], model)
        row = frame.loc[aid]
        if (one.risk_score, one.rating) != (row.risk_score, row.rating):
            mismatches += 1

    print(
        f"single  score_assessment: {single * 1000:.3f} ms per assessment "
        f"(median of 3 x {len(sample):,}; target < 2 ms) -> {one_by_one_total:.2f} s "
        f"for {args.n:,} one by one"
    )
    print(
        f"batch   score_frame:      {batch:.2f} s for {args.n:,} "
        f"({args.n / batch:,.0f} assessments/s, {len(control_scores):,} control scores)"
    )
    print(
        f"batch   + explanations:   {records:.2f} s for {args.n:,} whole score records "
        f"({len(explanations):,} explanations; target < 5 s)"
    )
    print(
        f"ratio   batch / one-by-one: {batch / one_by_one_total:.3f} "
        f"(batch is {one_by_one_total / batch:.1f}x faster)"
    )
    print(f"agreement spot check: {mismatches} mismatches")
    print("ratings:", frame["rating"].value_counts().reindex(RATINGS, fill_value=0).to_dict())


if __name__ == "__main__":
    main()
