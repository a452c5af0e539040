"""The AI supply chain and what watches it: upstream links, change events, outgoing webhooks,
signing keys and imported answer packages."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..scoring.upstream import LINK_KINDS as LINK_KINDS
from ._base import utcnow

LINK_SOURCES = ("staff", "suggested")
CHANGE_KINDS = ("model_changed", "new_sub_processor", "incident", "certificate_suspended", "other")
CHANGE_SOURCES = ("portal", "staff", "api")
DELIVERY_STATUSES = ("pending", "retrying", "delivered", "failed")
KEY_PURPOSES = ("signing", "pinned")
IMPORT_STATUSES = ("pending", "accepted", "rejected")


class SupplyLink(db.Model):
    """``upstream`` provides ``kind`` to ``vendor`` (the dependant)."""

    __tablename__ = "supply_links"
    __table_args__ = (
        UniqueConstraint("vendor_id", "upstream_id", "kind"),
        CheckConstraint("vendor_id <> upstream_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"), index=True)
    upstream_id: Mapped[int] = mapped_column(
        ForeignKey("vendors.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(20), default="staff")
    # for a suggested link: the question whose answer named the provider
    source_question: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    vendor = relationship("Vendor", foreign_keys=[vendor_id])
    upstream = relationship("Vendor", foreign_keys=[upstream_id])


class ChangeEvent(db.Model):
    """A change at a vendor that may need a scoped reassessment, on top of the tier's cadence."""

    __tablename__ = "change_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text, default="")
    occurred_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(20))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # the controls the change touches and the questions of the scoped reassessment
    controls: Mapped[list] = mapped_column(JSON, default=list)
    question_keys: Mapped[list] = mapped_column(JSON, default=list)
    # {assessment, rating_before, rating_after, suspended: [evidence ids]}
    provisional: Mapped[dict] = mapped_column(JSON, default=dict)
    reassessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL"), index=True
    )
    # open -> issuing (claimed by one request) -> issued; back to open if issuing fails
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    vendor = relationship("Vendor")
    reassessment = relationship("Assessment")
    reported_by = relationship("User")


class WebhookEndpoint(db.Model):
    """A receiver of signed event deliveries, registered by an admin."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list] = mapped_column(JSON, default=list)
    # the HMAC key; it has to be readable to sign, so it is shown once and kept like SECRET_KEY
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(db.Model):
    """One event sent (or being sent) to one endpoint, with its last response."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(60))
    event_id: Mapped[str] = mapped_column(String(40), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    response_status: Mapped[int | None]
    response_body: Mapped[str] = mapped_column(Text, default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    replay_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    endpoint = relationship("WebhookEndpoint")


class PackageKey(db.Model):
    """A vendor's Ed25519 key: ``signing`` (this instance signs its packages, private key
    encrypted with the app's secret) or ``pinned`` (trusted on first use for imports)."""

    __tablename__ = "package_keys"
    __table_args__ = (UniqueConstraint("vendor_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    public_key: Mapped[str] = mapped_column(String(100))
    private_key: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(100))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PackageImport(db.Model):
    """An answer package imported into an assessment; it counts once a reviewer accepts it."""

    __tablename__ = "package_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(100))
    package_sha256: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]

    assessment = relationship("Assessment")
    vendor = relationship("Vendor")
