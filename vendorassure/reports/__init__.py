"""Excel and CSV reports: pure builders (frames in, bytes out) and a loader (one query a sheet)."""

from .builders import (
    AssessmentFrames,
    EvidencePackFrames,
    PortfolioFrames,
    build_assessment_workbook,
    build_evidence_pack,
    build_portfolio_workbook,
)
from .sheets import to_csv

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

__all__ = [
    "XLSX_MIMETYPE",
    "AssessmentFrames",
    "EvidencePackFrames",
    "PortfolioFrames",
    "build_assessment_workbook",
    "build_evidence_pack",
    "build_portfolio_workbook",
    "to_csv",
]
