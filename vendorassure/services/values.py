"""Small value parsers shared by the services, with the messages users see."""

from __future__ import annotations

from datetime import date

from .errors import InvalidValues


def parse_date(value, field: str) -> date | None:
    """Parse an ISO date (YYYY-MM-DD); empty gives None; anything else is a 422 naming the field."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidValues(
            f"{field} must be a date in the form YYYY-MM-DD.", {field: "Use YYYY-MM-DD."}
        ) from None
