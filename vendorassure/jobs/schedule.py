"""The schedule without cron: the day's reminders, hourly upkeep, and the queue sweeper.

`tick()` runs every SCHEDULE_TICK_SECONDS in each worker (and, with the in-process runner, in
each web worker). Several hosts ticking at once is fine: scheduled jobs are keyed by their day
or hour in the ledger, so each is enqueued once, and the sweeper only re-queues what it owns by
the row's state."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import or_, select

from ..extensions import db
from ..models import Job
from ..models._base import utcnow

TICK_SECONDS = 30
# A queued job whose message is older than this and no longer in Redis was lost: queue it again.
LOST_AFTER = timedelta(minutes=2)


def _reminder_time() -> time:
    hours, _, minutes = current_app.config.get("REMINDERS_AT", "07:15").partition(":")
    return time(int(hours), int(minutes or 0))


def due_jobs(now: datetime) -> list[tuple[str, str, dict]]:
    """(job name, ledger key, args) of the scheduled jobs owed at `now` (UTC)."""
    hour = f"{now:%Y-%m-%dT%H}"
    owed = [
        ("exports.expire", f"exports.expire:{hour}", {}),
        ("snapshots.prune", f"snapshots.prune:{hour}", {}),
    ]
    if now.time() >= _reminder_time():
        day = now.date().isoformat()
        owed.append(("reminders.send", f"reminders.send:{day}", {"today": day}))
        owed.append(("notifications.sweep", f"notifications.sweep:{day}", {"today": day}))
    owed += webhook_jobs(now)
    return owed


def webhook_jobs(now: datetime) -> list[tuple[str, str, dict]]:
    """Webhook work owed: a dispatch while deliveries are due, the day's expiring certificates."""
    from ..services import webhooks

    owed = []
    if webhooks.due(now, limit=1):
        slot = f"{now:%Y-%m-%dT%H:%M}:{now.second // 30}"
        owed.append(("webhooks.dispatch", f"webhooks.dispatch:{slot}", {}))
    if webhooks.subscribed("evidence.expiring"):
        day = now.date().isoformat()
        owed.append(("webhooks.expiring", f"webhooks.expiring:{day}", {"today": day}))
    return owed


def sweep(now: datetime) -> int:
    """Re-queue jobs whose worker died mid-run or whose Redis message was lost; return how many."""
    from . import backend, dispatch
    from .rq_backend import is_queued

    if backend() != "rq":
        return 0
    # RQ stops a job at its timeout; a row still running at twice that lost its worker.
    stale = now - timedelta(seconds=2 * current_app.config["JOBS_TIMEOUT_SECONDS"])
    # A worker that died mid-run leaves its row running; give it back (or give up) after timeout.
    dead = db.session.scalars(
        select(Job).where(Job.status == "running", Job.started_at < stale).with_for_update()
    ).all()
    revive = []
    for row in dead:
        row.last_error = "the worker stopped while running it"
        if row.attempts < row.max_attempts:
            row.status = "queued"
            revive.append(row)
        else:
            row.status, row.finished_at = "failed", now
    db.session.commit()
    for row in revive:
        dispatch(row)
    candidates = db.session.scalars(
        select(Job).where(
            Job.status == "queued",
            or_(Job.enqueued_at.is_(None), Job.enqueued_at < now - LOST_AFTER),
            Job.created_at < now - timedelta(seconds=5),
        )
    ).all()
    requeued = len(revive)
    for row in candidates:
        if not is_queued(row.queue_ref):
            dispatch(row)
            requeued += 1
    return requeued


def tick(now: datetime | None = None) -> dict:
    """Enqueue what the schedule owes now and sweep the queue; safe to run anywhere, any time."""
    from . import enqueue

    now = now or utcnow()
    enqueued = []
    for name, key, args in due_jobs(now):
        if db.session.scalar(select(Job.id).filter_by(key=key)) is None:
            enqueue(name, key=key, **args)
            enqueued.append(key)
    return {"enqueued": enqueued, "requeued": sweep(now)}


def run_forever(app, stop: threading.Event, every: float = TICK_SECONDS) -> None:
    """Tick until stopped, each time in an app context of its own; errors are logged, not fatal."""
    while not stop.is_set():
        with app.app_context():
            try:
                tick()
            except Exception:
                app.logger.exception("Scheduler tick failed")
                db.session.rollback()
        stop.wait(every)


def start_background(app, every: float = TICK_SECONDS) -> threading.Event:
    """Run the schedule in a daemon thread of this process; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(app, stop, every), name="va-scheduler", daemon=True
    )
    thread.start()
    return stop
