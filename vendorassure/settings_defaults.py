"""Defaults for review and portfolio settings; each can be overridden in app.config.

Until config.py reads them from the environment, an install overrides them by passing the key in
create_app(config) (the tests do) or by adding it to config.load_settings:

- REASSESSMENT_MONTHS: months between assessments of a vendor, by inherent tier (issue 6 §5).
- FINDING_CONTROL_THRESHOLD: a control scoring below this (and assessed) gets a proposed finding.
- FINDING_DUE_DAYS: default days to remediate a proposed finding, by severity.
- EXPIRY_WINDOWS: the "certificates expiring within N days" buckets of the dashboard.
- ORGANISATION_NAME: the buyer's name on the evidence pack and the PDF assessment report.
"""

from __future__ import annotations

from datetime import date

from flask import current_app

DEFAULTS: dict = {
    "REASSESSMENT_MONTHS": {"critical": 6, "high": 12, "medium": 24, "low": 36},
    "FINDING_CONTROL_THRESHOLD": 0.5,
    "FINDING_DUE_DAYS": {"critical": 30, "high": 60, "medium": 90, "low": 180},
    "EXPIRY_WINDOWS": (30, 60, 90),
    # A vendor due for reassessment within this many days shows on the dashboard list.
    "REASSESSMENT_NOTICE_DAYS": 60,
    # The buyer's name on the evidence pack and the PDF assessment report (ORGANISATION_NAME).
    "ORGANISATION_NAME": "",
}


def setting(name: str):
    """Return a setting from app.config, falling back to the default above."""
    return current_app.config.get(name, DEFAULTS[name])


def add_months(day: date, months: int) -> date:
    """Return the same day `months` later (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - day 28 always exists


def next_reassessment(last_assessed: date | None, tier: str | None, today: date) -> date:
    """Return when a vendor is next due: never assessed means due today."""
    if last_assessed is None:
        return today
    months = setting("REASSESSMENT_MONTHS").get(tier or "medium", 12)
    return add_months(last_assessed, months)
