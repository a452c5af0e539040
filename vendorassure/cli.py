"""Command-line interface: questionnaires, users, demo data (flask --app app ...)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .services.errors import ServiceError

questionnaires_cli = AppGroup(
    "questionnaires", help="Validate, load, export and import the questionnaire library."
)
users_cli = AppGroup("users", help="Manage users.")
demo_cli = AppGroup("demo", help="Demo data.")
portfolio_cli = AppGroup(
    "portfolio", help="The portfolio's derived data (latest ratings, snapshots)."
)


@questionnaires_cli.command("validate")
@click.argument("path", required=False)
def questionnaires_validate(path: str | None):
    """Validate the library folder (or one questionnaire file) and report every problem."""
    from . import catalog

    root = Path(path or current_app.config["QUESTIONNAIRE_DIR"])
    if root.is_file():
        cat, problems = catalog.load_control_catalog(
            str(Path(current_app.config["QUESTIONNAIRE_DIR"]) / "controls")
        )
        data, problems = catalog.read_yaml(str(root))
        if data is not None:
            refs = {c["ref"] for c in cat.controls}
            _, more = catalog.validate_questionnaire(
                data, refs, root.name, data.get("key") == "iso42001-ai-vendor"
            )
            problems += more
    else:
        problems = catalog.validate_library(str(root))
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
    click.echo(f"{root}: no problems found.")


@questionnaires_cli.command("load")
@click.option("--path", default=None, help="Library folder (default: questionnaires/).")
def questionnaires_load(path: str | None):
    """Validate, then load controls, crosswalks and questionnaires (unchanged files are skipped)."""
    from .services.library import load_library

    try:
        report = load_library(Path(path) if path else None)
    except ServiceError as exc:
        for problem in exc.fields.get("problems", []):
            click.echo(problem, err=True)
        click.echo(exc.message, err=True)
        sys.exit(1)
    click.echo(
        f"Controls: {report.controls}. New versions: {', '.join(report.created) or 'none'}. "
        f"Unchanged: {', '.join(report.unchanged) or 'none'}."
    )


@questionnaires_cli.command("export")
@click.argument("key")
@click.option("-o", "--output", required=True, help="File to write: .xlsx or .csv.")
@click.option("--version", "version", type=int, default=None, help="Version (default: latest).")
def questionnaires_export(key: str, output: str, version: int | None):
    """Export a questionnaire version to .xlsx or .csv in the documented layout."""
    from .services.library import EXPORT_FORMATS, export_questionnaire

    fmt = Path(output).suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        click.echo("Error: the output file must end in .xlsx or .csv.", err=True)
        sys.exit(2)
    try:
        data, _ = export_questionnaire(key, version, fmt)
    except ServiceError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    Path(output).write_bytes(data)
    click.echo(f"Wrote {output} ({len(data)} bytes).")


@questionnaires_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.argument("threshold", required=False, type=float)
@click.option("--key", required=True, help="Questionnaire key to store the file under.")
@click.option("--title", default=None, help="Title (default: from the file or the latest version).")
@click.option(
    "--map",
    "map_mode",
    type=click.Choice(["none", "suggest", "accept-above"]),
    default="none",
    show_default=True,
    help="Industry spreadsheets: suggest Annex A controls for review, or accept those at or "
    "above THRESHOLD (default 0.6) and publish.",
)
def questionnaires_import(
    file: str, threshold: float | None, key: str, title: str | None, map_mode: str
):
    """Import a questionnaire from .xlsx, .csv or YAML as a new version (unchanged: no-op).

    With --map suggest the file becomes an import awaiting review (see `questionnaires review`);
    with --map accept-above [THRESHOLD] it is published with the suggestions at or above it."""
    from .catalog.mapping import DEFAULT_ACCEPT_ABOVE
    from .services.imports import import_file
    from .services.library import LibraryInvalid

    if threshold is not None and map_mode != "accept-above":
        click.echo("Error: a THRESHOLD goes with --map accept-above.", err=True)
        sys.exit(2)
    path = Path(file)
    try:
        outcome = import_file(
            None,
            path.read_bytes(),
            path.name,
            key=key,
            title=title,
            map_mode=map_mode,
            threshold=DEFAULT_ACCEPT_ABOVE if threshold is None else threshold,
        )
    except LibraryInvalid as exc:
        for note in exc.notes:
            click.echo(f"note: {note}")
        for problem in exc.details:
            click.echo(str(problem), err=True)
        click.echo(exc.message, err=True)
        sys.exit(1)
    except ServiceError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    for note in outcome.notes:
        click.echo(f"note: {note}")
    if outcome.draft is not None:
        _echo_mapping(outcome.draft)
    qn = outcome.questionnaire
    if qn is None:
        click.echo(
            f"Import {outcome.draft.id} of {outcome.draft.key} awaits mapping review: "
            f"/admin/imports/{outcome.draft.id}, or `flask --app app questionnaires review "
            f"{outcome.draft.id} --accept-above 0.6 --publish`."
        )
    elif outcome.created:
        click.echo(f"Loaded {qn.key} as version {qn.version} ({len(qn.questions)} questions).")
    else:
        click.echo(f"{qn.key}: unchanged — already version {qn.version}.")


def _echo_mapping(draft) -> None:
    from .services.imports import DECISION_LABELS, decision_counts

    for q in draft.questions:
        shown = q.controls if q.decision in ("accepted", "changed") else []
        parts = [
            f"{s['ref']} {s['confidence']:.2f} {s['source']}"
            for s in q.suggestions
            if s["ref"] in shown or (not shown and s["confidence"] >= 0.5)
        ]
        click.echo(f"  {q.key}: {DECISION_LABELS[q.decision]}: {'; '.join(parts) or '-'}")
    counts = decision_counts(draft)
    click.echo(
        "Mapping: " + ", ".join(f"{DECISION_LABELS[d].lower()} {n}" for d, n in counts.items())
    )


@questionnaires_cli.command("review")
@click.argument("import_id", type=int)
@click.option("--accept-above", type=float, default=None, help="Accept suggestions >= this.")
@click.option("--publish", is_flag=True, help="Publish the import as a new version.")
@click.option(
    "--leave-rest-unmapped",
    is_flag=True,
    help="With --publish: questions still to review get no control.",
)
def questionnaires_review(
    import_id: int, accept_above: float | None, publish: bool, leave_rest_unmapped: bool
):
    """Show an import's suggested controls; accept those above a threshold; publish it."""
    from .services import imports

    try:
        if accept_above is not None:
            n = imports.accept_above(None, import_id, accept_above)
            click.echo(f"Accepted the suggestions of {n} question(s) at or above {accept_above}.")
        draft = imports.get_import(None, import_id)
        _echo_mapping(draft)
        if publish:
            qn, created = imports.publish_import(None, import_id, leave_rest_unmapped)
            if created:
                click.echo(f"Published {qn.key} as version {qn.version}.")
            else:
                click.echo(f"{qn.key}: unchanged — already version {qn.version}.")
    except ServiceError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "procurement", "risk", "vendor"])
)
@click.option("--vendor-id", type=int, default=None)
@click.option("--password", required=True)
@click.option("--name", default="")
def users_create(email: str, role: str, vendor_id: int | None, password: str, name: str):
    """Create a user with a password."""
    from .services.auth import create_user

    try:
        user = create_user(email, role, password, name, vendor_id)
    except ServiceError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"Created {user.role} user {user.email} (id {user.id}).")


@demo_cli.command("seed")
@click.option(
    "--vendors",
    type=click.IntRange(1, 200_000),
    default=None,
    help="Seed a scored portfolio of this many vendors with bulk inserts (benchmarks, trials).",
)
@click.option("--per-vendor", type=click.FloatRange(1, 8), default=4.0, show_default=True)
@click.option("--seed", "seed_value", type=int, default=13, show_default=True)
def demo_seed(vendors: int | None, per_vendor: float, seed_value: int):
    """Create demo users and vendors in different states (once; later runs change nothing),
    or with --vendors N a realistic portfolio at scale."""
    if vendors is None:
        from .demo import seed

        created, lines = seed()
        for line in lines:
            click.echo(line)
        return
    import time

    from .seeding import DOMAIN, seed_portfolio

    started = time.perf_counter()
    try:
        report = seed_portfolio(
            vendors,
            per_vendor,
            seed_value,
            progress=lambda m: click.echo(f"{time.perf_counter() - started:7.1f}s  {m}"),
        )
    except ValueError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    path = Path(current_app.instance_path) / "seed-credentials.txt"
    path.write_text(f"every user @{DOMAIN} (e.g. risk1@{DOMAIN}): {report.password}\n")
    path.chmod(0o600)
    click.echo(f"Seeded in {time.perf_counter() - started:.1f}s; sign-ins in {path}.")


@portfolio_cli.command("refresh")
def portfolio_refresh():
    """Re-point every vendor at its latest scored assessment and drop the figure snapshots
    (after a rolling upgrade from a release that did not keep them, or a manual data fix)."""
    from .extensions import db
    from .queries import snapshot
    from .services.scoring import refresh_latest_scored

    refresh_latest_scored(None)
    snapshot.drop_all()
    db.session.commit()
    click.echo("Latest ratings re-pointed; snapshots dropped (recomputed on the next view).")


def register(app) -> None:
    for group in (questionnaires_cli, users_cli, demo_cli, portfolio_cli):
        app.cli.add_command(group)
    from .cli_reminders import reminders_cli  # the vendor-portal area owns that module

    app.cli.add_command(reminders_cli)
    from .cli_scoring import scoring_cli

    app.cli.add_command(scoring_cli)
    from .cli_evidence import evidence_cli

    app.cli.add_command(evidence_cli)
    from .cli_jobs import jobs_cli, worker

    app.cli.add_command(jobs_cli)
    app.cli.add_command(worker)
    from .cli_audit import audit_cli

    app.cli.add_command(audit_cli)
