"""Shared column helpers for the models."""

from datetime import UTC, datetime

RATINGS = ("low", "medium", "high", "critical")


def utcnow() -> datetime:
    """Return the current UTC time as a naive datetime (stored the same way on every database)."""
    return datetime.now(UTC).replace(tzinfo=None)
