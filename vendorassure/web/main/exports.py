"""Views: workbooks prepared in the background, and the page that links them when ready."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField, SubmitField

from ...downloads import send_bytes
from ...extensions import db
from ...models import Job
from ...services import exports
from ...services.errors import ServiceError
from ..forms import Form
from ..helpers import opts, roles_required
from . import bp

STAFF = ("admin", "procurement", "risk")
LABELS = {"queued": "Waiting", "running": "Being prepared", "done": "Ready", "failed": "Failed"}


class ExportRequestForm(Form):
    kind = SelectField(
        "Workbook", choices=opts((k, v) for k, v in exports.KINDS.items() if k != "assessment")
    )
    submit = SubmitField("Prepare it")


@bp.route("/reports/exports", methods=["GET", "POST"])
@roles_required(*STAFF)
def export_list():
    """Ask for a portfolio workbook to be prepared in the background; list my recent ones."""
    form = ExportRequestForm()
    if form.validate_on_submit():
        try:
            job = exports.request_export(current_user, form.kind.data)
        except ServiceError as exc:
            flash(exc.message, "error")
        else:
            return redirect(url_for("main.export_status", job_id=job.id))
    mine = db.session.scalars(
        select(Job)
        .where(Job.name == exports.EXPORT_JOB, Job.requested_by_id == current_user.id)
        .order_by(Job.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "main/exports.html", form=form, jobs=mine, kinds=exports.KINDS, labels=LABELS
    )


@bp.get("/reports/exports/<int:job_id>")
@roles_required(*STAFF)
def export_status(job_id: int):
    """One export: its state while it is prepared (the page reloads itself), then its link."""
    job = exports.get_export(current_user, job_id)
    return render_template("main/export_status.html", job=job, kinds=exports.KINDS, labels=LABELS)


@bp.get("/reports/exports/<int:job_id>/download")
@roles_required(*STAFF)
def export_download(job_id: int):
    """Download a finished export."""
    filename, media_type, data = exports.open_export(current_user, job_id)
    return send_bytes(data, filename, media_type)
