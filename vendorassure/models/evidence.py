"""Evidence files and certificate metadata uploaded by vendors."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..scoring.vocabulary import CERTIFICATE_KINDS as CERTIFICATE_KINDS
from ..scoring.vocabulary import EVIDENCE_KINDS as EVIDENCE_KINDS
from ._base import utcnow

VERIFICATIONS = ("pending", "accepted", "rejected")


class Evidence(db.Model):
    """One evidence record per vendor and file (by sha256), verified once wherever it is used.

    ``assessment_id`` is the assessment the file was uploaded in (None: the vendor's library);
    other assessments use it through an EvidenceLink."""

    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint("vendor_id", "sha256"),
        Index("ix_evidence_kind_expires_on", "kind", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    kind: Mapped[str] = mapped_column(String(40))
    original_name: Mapped[str] = mapped_column(String(255))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    certification_body: Mapped[str] = mapped_column(String(200), default="")
    certificate_number: Mapped[str] = mapped_column(String(100), default="")
    scope: Mapped[str] = mapped_column(Text, default="")
    # The certified standard and its edition, e.g. "ISO/IEC 42001" and "2023".
    standard: Mapped[str] = mapped_column(String(100), default="", server_default="")
    edition: Mapped[str] = mapped_column(String(50), default="", server_default="")
    # The accreditation body that accredits the certification body, or not_accredited.
    accreditation_body: Mapped[str] = mapped_column(String(200), default="", server_default="")
    not_accredited: Mapped[bool] = mapped_column(default=False, server_default=false())
    issued_on: Mapped[date | None]
    expires_on: Mapped[date | None]
    verification: Mapped[str] = mapped_column(String(20), default="pending")
    verification_note: Mapped[str] = mapped_column(Text, default="")
    scope_covers_service: Mapped[bool | None]
    accredited: Mapped[bool | None]
    # Set when the certification body's register shows the certificate suspended or withdrawn.
    suspended_on: Mapped[date | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    question = relationship("Question")
    verified_by = relationship("User", foreign_keys=[verified_by_id])

    @property
    def in_library(self) -> bool:
        """Evidence without an assessment sits in the vendor's certificate library."""
        return self.assessment_id is None

    @property
    def is_certificate(self) -> bool:
        return self.kind in CERTIFICATE_KINDS


class EvidenceLink(db.Model):
    """An evidence record used in an assessment other than the one it was uploaded in
    (a library document attached, or the same file given again), optionally for one question."""

    __tablename__ = "evidence_links"
    __table_args__ = (UniqueConstraint("evidence_id", "assessment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), index=True
    )
    assessment_id: Mapped[int] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    evidence = relationship("Evidence")
    question = relationship("Question")
