"""Admin views: the background job ledger (failed jobs and their errors), retry, batch rescore."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...jobs import registry
from ...models import JOB_STATUSES
from ...services import jobs as job_service
from ...services.errors import ServiceError
from ...services.queries import page_arg
from ..helpers import roles_required
from . import bp
from .forms import ConfirmForm

PER_PAGE = 50


def _queue_depth() -> dict | None:
    if current_app.config["JOBS_BACKEND"] != "rq":
        return None
    from ...jobs.rq_backend import depth

    try:
        return depth()
    except Exception:  # noqa: BLE001  (the page must show even when Redis is away)
        return {"error": "Redis unreachable"}


@bp.get("/jobs")
@roles_required("admin")
def job_list():
    """List background jobs, newest first, with a filter by state (failed ones show the error)."""
    status = request.args.get("status") or None
    if status not in (None, *JOB_STATUSES):
        status = None
    page = page_arg(request.args)
    rows, total = job_service.list_jobs(current_user, status, page, PER_PAGE)
    return render_template(
        "admin/jobs.html",
        jobs=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        status=status,
        statuses=JOB_STATUSES,
        counts=job_service.counts(),
        depth=_queue_depth(),
        backend=current_app.config["JOBS_BACKEND"],
        form=ConfirmForm(),
        labels={name: kind.label for name, kind in registry().items()},
    )


@bp.post("/jobs/<int:job_id>/retry")
@roles_required("admin")
def job_retry(job_id: int):
    """Queue a failed job again."""
    if ConfirmForm().validate_on_submit():
        try:
            job = job_service.retry_job(current_user, job_id)
            flash(f"Job {job.id} queued again.", "success")
        except ServiceError as exc:
            flash(exc.message, "error")
    return redirect(url_for("admin.job_list", status="failed"))


@bp.post("/rescore")
@roles_required("admin")
def rescore_request():
    """Rescore the whole portfolio in the background with the scoring model in force."""
    if ConfirmForm().validate_on_submit():
        job = job_service.request_rescore(current_user)
        flash(f"Rescore queued as job {job.id}.", "success")
    return redirect(url_for("admin.job_list"))
