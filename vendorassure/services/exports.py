"""Exports prepared in the background: request one, build it in a job, fetch it by its link."""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import STAFF_ROLES, Job, User
from ..models._base import utcnow
from ..storage import MissingObject, StoreError, get_storage
from . import audit, links
from .access import get_assessment, require_role
from .errors import Conflict, InvalidValues, NotFound, Unavailable

EXPORT_JOB = "exports.build"
KINDS = {
    "portfolio": "Portfolio register",
    "evidence_pack": "A.10 supplier evidence pack",
    "assessment": "Assessment workbook",
}


def request_export(actor, kind: str, assessment_id: int | None = None) -> Job:
    """Queue a workbook for a staff member; they get a link (page, API, email) when it is ready."""
    from .. import jobs

    require_role(actor, *STAFF_ROLES)
    if kind not in KINDS:
        raise InvalidValues(f"kind must be one of: {', '.join(KINDS)}.", {"kind": "Unknown."})
    if kind == "assessment":
        if assessment_id is None:
            raise InvalidValues(
                "An assessment export needs assessment_id.", {"assessment_id": "Required."}
            )
        get_assessment(actor, assessment_id)  # 404 for an unknown one
    elif assessment_id is not None:
        raise InvalidValues(
            f"A {kind} export takes no assessment_id.", {"assessment_id": "Leave it out."}
        )
    audit.record(actor, "export.requested", None, object_type="export",
                 details={"kind": kind, "assessment_id": assessment_id})  # fmt: skip
    db.session.commit()
    return jobs.enqueue(EXPORT_JOB, requested_by=actor, kind=kind, assessment_id=assessment_id)


def _workbook(kind: str, assessment_id: int | None) -> tuple[bytes, str]:
    from ..models import Assessment
    from ..reports import (
        build_assessment_workbook,
        build_evidence_pack,
        build_portfolio_workbook,
        loader,
    )

    today = date.today().isoformat()
    if kind == "portfolio":
        return build_portfolio_workbook(loader.load_portfolio()), f"portfolio-{today}.xlsx"
    if kind == "evidence_pack":
        return build_evidence_pack(loader.load_evidence_pack()), f"a10-evidence-pack-{today}.xlsx"
    a = db.session.get(Assessment, assessment_id)
    if a is None:
        raise LookupError(f"assessment {assessment_id} no longer exists")
    return build_assessment_workbook(loader.load_assessment(a)), f"assessment-{a.id}.xlsx"


def export_link(job_id: int) -> str:
    return links.url("main.export_status", job_id=job_id)


def build_and_store(job: Job, kind: str, assessment_id: int | None) -> dict:
    """The export job: build the workbook, save it in the evidence store, email the link."""
    from ..reports import XLSX_MIMETYPE
    from .mail import send_mail

    data, filename = _workbook(kind, assessment_id)
    key = get_storage().save(data)
    user = db.session.get(User, job.requested_by_id) if job.requested_by_id else None
    if user is not None and user.active:
        send_mail(
            user.email,
            f"VendorAssure: your {KINDS[kind].lower()} is ready",
            f"The {KINDS[kind].lower()} you asked for is ready:\n{export_link(job.id)}\n\n"
            f"The link works for {current_app.config['EXPORT_TTL_HOURS']} hours.\n\n"
            "-- VendorAssure\n",
        )
    return {
        "storage_key": key,
        "filename": filename,
        "size": len(data),
        "media_type": XLSX_MIMETYPE,
    }


def get_export(actor, job_id: int) -> Job:
    """The export job of the signed-in staff member who asked for it; 404 for anyone else's."""
    require_role(actor, *STAFF_ROLES)
    job = db.session.get(Job, job_id) if isinstance(job_id, int) else None
    if job is None or job.name != EXPORT_JOB or job.requested_by_id != actor.id:
        raise NotFound(f"Export {job_id} does not exist.")
    return job


def open_export(actor, job_id: int):
    """(filename, media type, bytes) of a finished export, or a clear 409/404 why not."""
    job = get_export(actor, job_id)
    if job.status in ("queued", "running"):
        raise Conflict("The export is still being prepared; try again in a moment.",
                       {"status": job.status})  # fmt: skip
    if job.status == "failed":
        raise Conflict("The export failed; ask for a new one.", {"status": job.status})
    result = job.result or {}
    if result.get("expired"):
        raise NotFound("The export has expired; ask for a new one.")
    try:
        data = get_storage().read(result["storage_key"])
    except MissingObject:
        raise NotFound("The export file is no longer in the store; ask for a new one.") from None
    except StoreError:
        raise Unavailable("The evidence store is unavailable; try again.") from None
    return result["filename"], result["media_type"], data


def expire(ttl: timedelta) -> int:
    """Remove the files of exports finished more than ttl ago; their rows say expired."""
    cutoff = utcnow() - ttl
    rows = db.session.scalars(
        select(Job).where(Job.name == EXPORT_JOB, Job.status == "done", Job.finished_at < cutoff)
    ).all()
    count = 0
    for job in rows:
        result = dict(job.result or {})
        if result.get("expired") or "storage_key" not in result:
            continue
        get_storage().delete(result["storage_key"])
        job.result = {**result, "expired": True}
        count += 1
    db.session.commit()
    return count
