"""Background work over the API: exports prepared as jobs, a batch rescore, the job ledger."""

from __future__ import annotations

from typing import Literal

from flask import url_for

from ..models import STAFF_ROLES
from ..services import exports
from ..services import jobs as job_service
from .core import Id, Paging, Schema, current_user, endpoint, page_body
from .reports_routes import send_bytes
from .serializers import iso

ADMIN = ("admin",)


class ExportRequest(Schema):
    kind: Literal["portfolio", "evidence_pack", "assessment"]
    assessment_id: Id | None = None


class RescoreRequest(Schema):
    stale_only: bool = False


class JobQuery(Paging):
    status: str | None = None


def export_json(job) -> dict:
    result = job.result or {}
    ready = job.status == "done" and not result.get("expired")
    return {
        "id": job.id,
        "kind": job.args.get("kind"),
        "assessment_id": job.args.get("assessment_id"),
        "status": job.status,
        "created_at": iso(job.created_at),
        "finished_at": iso(job.finished_at),
        "filename": result.get("filename") if ready else None,
        "size": result.get("size") if ready else None,
        "download_url": url_for("api.export_download", job_id=job.id) if ready else None,
        "error": job.last_error if job.status == "failed" else None,
    }


def job_json(job) -> dict:
    return {
        "id": job.id,
        "name": job.name,
        "status": job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "last_error": job.last_error or None,
        "result": job.result,
        "requested_by_id": job.requested_by_id,
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
    }


@endpoint(
    "/exports",
    "POST",
    "Prepare a workbook in the background (202); poll it or follow the emailed link",
    STAFF_ROLES,
    body=ExportRequest,
    status=202,
)
def export_create(body: ExportRequest):
    job = exports.request_export(current_user(), body.kind, body.assessment_id)
    return export_json(job)


@endpoint("/exports/<int:job_id>", "GET", "One export you asked for, with its link once ready",
          STAFF_ROLES)  # fmt: skip
def export_get(job_id: int):
    return export_json(exports.get_export(current_user(), job_id))


@endpoint(
    "/exports/<int:job_id>/download",
    "GET",
    "The finished workbook (409 while it is being prepared)",
    STAFF_ROLES,
    responses={409: "Still being prepared, or the export failed"},
    produces=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
)
def export_download(job_id: int):
    filename, media_type, data = exports.open_export(current_user(), job_id)
    return send_bytes(data, filename, media_type)


@endpoint(
    "/scoring/rescore",
    "POST",
    "Rescore the portfolio in the background with the model in force (202)",
    ADMIN,
    body=RescoreRequest,
    status=202,
)
def rescore_create(body: RescoreRequest):
    return job_json(job_service.request_rescore(current_user(), body.stale_only))


@endpoint("/jobs", "GET", "The background job ledger, newest first (?status=failed)", ADMIN,
          query=JobQuery)  # fmt: skip
def jobs_list(query: JobQuery):
    rows, total = job_service.list_jobs(current_user(), query.status, query.page, query.per_page)
    return page_body([job_json(j) for j in rows], query.page, query.per_page, total)


@endpoint("/jobs/<int:job_id>", "GET", "One background job", ADMIN)
def job_get(job_id: int):
    return job_json(job_service.get_job(current_user(), job_id))


@endpoint("/jobs/<int:job_id>/retry", "POST", "Queue a failed job again", ADMIN)
def job_retry(job_id: int):
    return job_json(job_service.retry_job(current_user(), job_id))
