"""`flask --app app worker` runs background jobs; `flask --app app jobs ...` looks at the ledger."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

jobs_cli = AppGroup("jobs", help="The background job ledger.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run what is queued, then stop.")
@click.option("--no-schedule", is_flag=True, help="Do not run the schedule (reminders, upkeep).")
@with_appcontext
def worker(burst: bool, no_schedule: bool):
    """Run queued jobs from Redis (JOBS_BACKEND=rq) and the schedule, until stopped."""
    from .jobs import rq_backend, schedule

    app = current_app._get_current_object()
    if app.config["JOBS_BACKEND"] != "rq":
        click.echo("JOBS_BACKEND is inprocess: jobs run in the web processes; no worker needed.")
        sys.exit(2)
    from rq import SimpleWorker

    rq_backend.set_worker_app(app)
    stop = None
    if app.config["SCHEDULER_ENABLED"] and not no_schedule and not burst:
        stop = schedule.start_background(app)
    # SimpleWorker runs jobs in this process (no fork per job): the app, its connection pools
    # and imports are made once; RQ's job timeout still applies.
    worker = SimpleWorker([rq_backend.queue()], connection=rq_backend.connection())
    try:
        worker.work(burst=burst, with_scheduler=not burst, logging_level="WARNING")
    finally:
        if stop is not None:
            stop.set()


@jobs_cli.command("list")
@click.option("--status", default=None, help="queued, running, done or failed.")
def jobs_list(status: str | None):
    """Print the newest ledger jobs (of one status)."""
    from sqlalchemy import select

    from .extensions import db
    from .models import Job
    from .services.jobs import counts

    stmt = select(Job).order_by(Job.id.desc()).limit(50)
    if status:
        stmt = stmt.where(Job.status == status)
    for job in db.session.scalars(stmt):
        click.echo(f"{job.id}\t{job.status}\t{job.name}\tattempts {job.attempts}\t{job.last_error}")
    click.echo(" ".join(f"{k}: {v}" for k, v in counts().items()))


@jobs_cli.command("tick")
def jobs_tick():
    """Run the schedule once now (what the worker does every 30 seconds)."""
    from .jobs.schedule import tick

    result = tick()
    click.echo(
        f"enqueued: {', '.join(result['enqueued']) or 'nothing'}; requeued: {result['requeued']}"
    )
