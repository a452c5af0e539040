"""Excel reports over the API: the assessment workbook, the portfolio register, the A.10 pack."""

from __future__ import annotations

from datetime import date

from ..downloads import send_bytes
from ..models import STAFF_ROLES
from ..reports import (
    XLSX_MIMETYPE,
    build_assessment_workbook,
    build_evidence_pack,
    build_portfolio_workbook,
    loader,
)
from ..reports.pdf import PDF_MIMETYPE, build_assessment_report
from ..services import access
from .core import current_user, endpoint


@endpoint(
    "/assessments/<int:assessment_id>/export.xlsx",
    "GET",
    "The assessment workbook (Summary, Answers, Controls, Objectives, Evidence, Findings)",
    STAFF_ROLES,
    produces=(XLSX_MIMETYPE,),
)
def assessment_export(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    data = build_assessment_workbook(loader.load_assessment(a))
    return send_bytes(data, f"assessment-{a.id}.xlsx")


@endpoint(
    "/portfolio/export.xlsx",
    "GET",
    "The portfolio register: one row per vendor",
    STAFF_ROLES,
    produces=(XLSX_MIMETYPE,),
)
def portfolio_export():
    data = build_portfolio_workbook(loader.load_portfolio())
    return send_bytes(data, f"portfolio-{date.today().isoformat()}.xlsx")


@endpoint(
    "/portfolio/evidence-pack.xlsx",
    "GET",
    "The buyer's ISO/IEC 42001 A.10 supplier evidence pack",
    STAFF_ROLES,
    produces=(XLSX_MIMETYPE,),
)
def evidence_pack_export():
    data = build_evidence_pack(loader.load_evidence_pack())
    return send_bytes(data, f"a10-evidence-pack-{date.today().isoformat()}.xlsx")


@endpoint(
    "/assessments/<int:assessment_id>/report.pdf",
    "GET",
    "The filed assessment report (PDF): cover, explanation, objectives and A.10, findings, "
    "evidence with verification, trail summary",
    STAFF_ROLES,
    produces=(PDF_MIMETYPE,),
)
def assessment_report(assessment_id: int):
    a = access.get_assessment(current_user(), assessment_id)
    return send_bytes(build_assessment_report(a), f"assessment-{a.id}-report.pdf", PDF_MIMETYPE)
