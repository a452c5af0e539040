"""`flask --app app scoring rescore [--model FILE]`: rescore the portfolio in one batch."""

from __future__ import annotations

import sys
import time
from datetime import date

import click
from flask.cli import AppGroup

scoring_cli = AppGroup("scoring", help="Scoring model operations.")


@scoring_cli.command("rescore")
@click.option(
    "--model", "model_path", default=None, help="Scoring model file (default: the one in force)."
)
@click.option("--as-of", default=None, help="Scoring date YYYY-MM-DD (default: today).")
@click.option(
    "--stale-only",
    is_flag=True,
    help="Only assessments scored with another model version (after an upgrade).",
)
def rescore(model_path: str | None, as_of: str | None, stale_only: bool):
    """Rescore every scored assessment with a model and report how many ratings changed."""
    from .scoring import ModelError, load_model
    from .services.library import scoring_model
    from .services.rescore import rescore_all

    try:
        model = load_model(model_path) if model_path else scoring_model()
    except (ModelError, OSError) as exc:
        for problem in getattr(exc, "problems", [str(exc)]):
            click.echo(f"model: {problem}", err=True)
        sys.exit(1)
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        click.echo("--as-of must be YYYY-MM-DD", err=True)
        sys.exit(2)
    started = time.perf_counter()
    report = rescore_all(model, day, stale_only=stale_only)
    took = time.perf_counter() - started
    click.echo(
        f"Rescored {report.assessments} assessment(s) with model {report.model_version} "
        f"in {took:.2f} s; {report.ratings_changed} rating(s) changed."
    )
    for aid, before, after in report.changes[:50]:
        click.echo(f"  assessment {aid}: {before} -> {after}")
