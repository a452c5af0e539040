"""Small value parsers shared by the services, with the messages users see."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext

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
            gettext("%(field)s must be a date in the form YYYY-MM-DD.", field=field),
            {field: gettext("Use YYYY-MM-DD.")},
        ) from None
