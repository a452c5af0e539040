"""Human words for the codes stored in the database (statuses, kinds, verifications), in one
place for pages, emails, PDF reports and workbooks. A code without a label reads as a phrase."""

from __future__ import annotations

from .models.findings import FINDING_STATUS_LABELS

ASSESSMENT_STATUS_LABELS = {
    "draft": "Draft",
    "sent": "Sent",
    "in_progress": "In progress",
    "submitted": "Submitted",
    "under_review": "Under review",
    "changes_requested": "Changes requested",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
VERIFICATION_LABELS = {
    "pending": "Not yet verified",
    "accepted": "Verified",
    "rejected": "Rejected",
}
OTHER_LABELS = {
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "critical": "Critical",
    "active": "Active",
    "inactive": "Inactive",
    "admin": "Administrator",
    "procurement": "Procurement",
    "risk": "Risk",
    "vendor": "Vendor",
}


def _evidence_kinds() -> dict[str, str]:
    from .scoring.vocabulary import load_vocabulary

    try:
        return dict(load_vocabulary().sections["evidence_kinds"])
    except Exception:  # no app context or no vocabulary: fall back to the phrase
        return {}


def label(code: str | None, kind: str = "") -> str:
    """The words for a stored code; ``kind`` picks the table where the same code means two
    things (``verification``: "accepted" is "Verified")."""
    if not code:
        return "—"
    if kind == "verification" and code in VERIFICATION_LABELS:
        return VERIFICATION_LABELS[code]
    for table in (ASSESSMENT_STATUS_LABELS, FINDING_STATUS_LABELS, OTHER_LABELS):
        if code in table:
            return table[code]
    kinds = _evidence_kinds()
    if code in kinds:
        return kinds[code]
    if code in VERIFICATION_LABELS:
        return VERIFICATION_LABELS[code]
    return str(code).replace("_", " ").capitalize()
