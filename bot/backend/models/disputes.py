"""Disputes (numbers begin with SH, seed 002): the lines they cover, their messages and evidence, and a resend
the platform proposes and the seller must agree to."""

from __future__ import annotations

import enum

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from bot.backend.models.base import Base, db_enum, utcnow
from bot.backend.models.orders import Actor


class ExpectedResult(str, enum.Enum):
    REFUND = "refund"
    RESEND = "resend"


class RefundMethod(str, enum.Enum):
    """Seed 001 §13: Back in Balance (CJ Wallet) or Refund to the original way (the payment account)."""

    BALANCE = "balance"
    ORIGINAL = "original"


class DisputeReason(str, enum.Enum):
    """Seed 001 §16 names the cases the platform refunds or resends; `other` only comes from the platform's
    own records (sellers choose one of the named cases)."""

    DELAYED_ORDER = "delayed_order"
    LOST_PACKAGE = "lost_package"
    DAMAGED_PRODUCT = "damaged_product"
    WRONG_PRODUCT = "wrong_product"
    MISSING_PRODUCT = "missing_product"
    DESTINATION_LIMITATION = "destination_limitation"
    SHIPPING_METHOD_LIMITATION = "shipping_method_limitation"
    CANCEL_BEFORE_DISPATCH = "cancel_before_dispatch"
    OTHER = "other"


class DisputeStatus(str, enum.Enum):
    OPEN = "open"
    RESEND_PROPOSED = "resend_proposed"  # the platform proposed a resend; the seller must agree (seed 002 §5)
    RESEND_AGREED = "resend_agreed"  # the seller agreed; the platform ships it
    REFUNDED = "refunded"
    RESENT = "resent"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


ACTIVE_DISPUTE_STATUSES = (DisputeStatus.OPEN, DisputeStatus.RESEND_PROPOSED, DisputeStatus.RESEND_AGREED)
_ACTIVE_SQL = "status IN ('open', 'resend_proposed', 'resend_agreed')"


class Dispute(Base):
    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint("(expected_result = 'refund') = (refund_type IS NOT NULL)", name="refund_type_iff_refund"),
        CheckConstraint(f"({_ACTIVE_SQL}) = (resolved_at IS NULL)", name="resolved_at_iff_not_active"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False, unique=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    expected_result = Column(db_enum(ExpectedResult), nullable=False)
    refund_type = Column(db_enum(RefundMethod))
    reason = Column(db_enum(DisputeReason), nullable=False)
    reason_detail = Column(String(200))  # the platform's own words where a record predates the reason codes
    buyer_email = Column(String(254))
    status = Column(db_enum(DisputeStatus), nullable=False)
    opened_at = Column(DateTime, nullable=False, default=utcnow)
    resolved_at = Column(DateTime)
    decision_note = Column(String(500))

    order = relationship("Order", back_populates="disputes")
    lines = relationship("DisputeLine", back_populates="dispute", order_by="DisputeLine.id")
    messages = relationship("DisputeMessage", back_populates="dispute", order_by="DisputeMessage.id")
    evidence = relationship("DisputeEvidence", back_populates="dispute", order_by="DisputeEvidence.id")
    refund = relationship("Refund", back_populates="dispute", uselist=False)
    resend = relationship("ResendProposal", back_populates="dispute", uselist=False)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_DISPUTE_STATUSES


class DisputeLine(Base):
    """An order line a dispute covers.

    Our own rule (not the platform's): at most one active dispute per order line. `active_line_id` repeats
    `order_line_id` while the dispute is active and is NULL afterwards; its UNIQUE constraint lets exactly one
    of two concurrent "open dispute" calls for the same line commit, on SQLite and PostgreSQL alike.
    """

    __tablename__ = "dispute_lines"
    __table_args__ = (
        UniqueConstraint("dispute_id", "order_line_id"),
        UniqueConstraint("active_line_id", name="uq_dispute_lines_one_active_dispute_per_order_line"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("active_line_id IS NULL OR active_line_id = order_line_id", name="active_line_is_own_line"),
    )

    id = Column(Integer, primary_key=True)
    dispute_id = Column(Integer, ForeignKey("disputes.id"), nullable=False, index=True)
    order_line_id = Column(Integer, ForeignKey("order_lines.id"), nullable=False, index=True)
    active_line_id = Column(Integer, ForeignKey("order_lines.id"))
    quantity = Column(Integer, nullable=False)

    dispute = relationship("Dispute", back_populates="lines")
    order_line = relationship("OrderLine", foreign_keys=[order_line_id])


class DisputeMessage(Base):
    """A message in the dispute's conversation between the seller and the platform (seed 002: leave us a
    message for review)."""

    __tablename__ = "dispute_messages"

    id = Column(Integer, primary_key=True)
    dispute_id = Column(Integer, ForeignKey("disputes.id"), nullable=False, index=True)
    author = Column(db_enum(Actor), nullable=False)
    body = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    dispute = relationship("Dispute", back_populates="messages")


class DisputeEvidence(Base):
    """Evidence attached to a dispute, when it was opened or with a later message."""

    __tablename__ = "dispute_evidence"
    __table_args__ = (UniqueConstraint("dispute_id", "evidence_id"),)

    id = Column(Integer, primary_key=True)
    dispute_id = Column(Integer, ForeignKey("disputes.id"), nullable=False)
    evidence_id = Column(String(40), ForeignKey("evidence.id"), nullable=False, index=True)
    message_id = Column(Integer, ForeignKey("dispute_messages.id"))

    dispute = relationship("Dispute", back_populates="evidence")
    item = relationship("Evidence")
    message = relationship("DisputeMessage")


class ResendProposal(Base):
    """The resend the platform offers on a dispute; nothing ships until the seller agrees (seed 002 §5)."""

    __tablename__ = "resend_proposals"
    __table_args__ = (
        UniqueConstraint("dispute_id"),
        CheckConstraint("shipped_at IS NULL OR agreed_at IS NOT NULL", name="shipped_only_after_agreement"),
        CheckConstraint("(shipped_at IS NULL) = (tracking_number IS NULL)", name="shipped_iff_tracking"),
    )

    id = Column(Integer, primary_key=True)
    dispute_id = Column(Integer, ForeignKey("disputes.id"), nullable=False)
    details = Column(String(500), nullable=False)
    proposed_at = Column(DateTime, nullable=False, default=utcnow)
    agreed_at = Column(DateTime)
    shipped_at = Column(DateTime)
    carrier = Column(String(60))
    tracking_number = Column(String(60))

    dispute = relationship("Dispute", back_populates="resend")
