"""What happens to score records just before the one writer stores them: weak upstream
providers join the explanation, and changed ratings are announced to webhooks."""

from __future__ import annotations


def before_store(records: list, model=None) -> list:
    """Return the records to store (upstream applied); queue rating-changed webhooks."""
    from .supply_chain import with_upstream
    from .webhooks import capture_rating_changes, subscribed

    records = with_upstream(records, model)
    if records and subscribed("rating.changed"):
        capture_rating_changes(records)
    return records
