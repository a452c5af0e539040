"""Job types of the outgoing webhooks: dispatch what is owed, one attempt per delivery job,
and the day's expiring-certificate events."""

from __future__ import annotations

from datetime import date

from . import job


@job("webhooks.dispatch", "Webhook dispatch")
def dispatch() -> dict:
    """Enqueue an attempt for every webhook delivery that is owed now."""
    from ..services.webhooks import dispatch_due

    return {"enqueued": dispatch_due()}


@job("webhooks.deliver", "Webhook delivery")
def deliver(delivery_id: int) -> dict:
    """Make one signed attempt at a webhook delivery (a failure schedules the next one)."""
    from ..services.webhooks import deliver as run

    return run(delivery_id)


@job("webhooks.expiring", "Expiring-certificate webhooks")
def expiring(today: str | None = None) -> dict:
    """Announce certificates that expire within 30 days (each once)."""
    from ..services.webhooks import emit_expiring

    return {"events": emit_expiring(date.fromisoformat(today) if today else None)}
