"""The backend's tables: sellers, orders, disputes, refunds and the wallet ledger.

SQLAlchemy 1.4 with its 2.0-style API (Rasa pins 1.4). Rules that must never break are constraints in the schema.
"""

from __future__ import annotations

import enum

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


def _enum(cls: type[enum.Enum]) -> Enum:
    """Store enums by value, with a CHECK constraint on every database (native_enum off keeps SQLite honest)."""
    return Enum(cls, values_callable=lambda members: [m.value for m in members], native_enum=False,
                create_constraint=True, length=16)


class OrderStatus(str, enum.Enum):
    UNPAID = "unpaid"
    PAID = "paid"  # paid, not yet dispatched
    DISPATCHED = "dispatched"
    COMPLETED = "completed"
    CLOSED = "closed"


class ExpectedResult(str, enum.Enum):
    REFUND = "refund"
    RESEND = "resend"


class RefundMethod(str, enum.Enum):
    """Seed 001 §13: Back in Balance (CJ Wallet) or Refund to the original way (the payment account)."""

    BALANCE = "balance"
    ORIGINAL = "original"


class DisputeStatus(str, enum.Enum):
    OPEN = "open"
    REFUNDED = "refunded"
    RESENT = "resent"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class RefundStatus(str, enum.Enum):
    PENDING = "pending"
    DONE = "done"


class Seller(Base):
    __tablename__ = "sellers"

    id = Column(String(32), primary_key=True)
    name = Column(String(120), nullable=False)
    email = Column(String(254), nullable=False, unique=True)

    orders = relationship("Order", back_populates="seller", order_by="Order.created_at")
    wallet_entries = relationship("WalletEntry", back_populates="seller", order_by="WalletEntry.created_at")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="order_amount_not_negative"),
        CheckConstraint("status = 'unpaid' OR paid_at IS NOT NULL", name="order_paid_has_paid_at"),
        CheckConstraint(
            "status NOT IN ('dispatched', 'completed') OR dispatched_at IS NOT NULL",
            name="order_dispatched_has_dispatched_at",
        ),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False, unique=True)
    seller_id = Column(String(32), ForeignKey("sellers.id"), nullable=False, index=True)
    status = Column(_enum(OrderStatus), nullable=False)
    amount_cents = Column(Integer, nullable=False)  # exact money: minor units, never floats
    currency = Column(String(3), nullable=False)
    created_at = Column(DateTime, nullable=False)
    paid_at = Column(DateTime)
    dispatched_at = Column(DateTime)
    carrier = Column(String(60))
    tracking_number = Column(String(60))

    seller = relationship("Seller", back_populates="orders")
    disputes = relationship("Dispute", back_populates="order", order_by="Dispute.opened_at")


class Dispute(Base):
    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint(
            "(expected_result = 'refund') = (refund_type IS NOT NULL)",
            name="dispute_refund_type_iff_refund",
        ),
        CheckConstraint(
            "(status = 'open') = (resolved_at IS NULL)", name="dispute_resolved_at_iff_not_open"
        ),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False, unique=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    expected_result = Column(_enum(ExpectedResult), nullable=False)
    refund_type = Column(_enum(RefundMethod))
    reason = Column(String(200), nullable=False)
    status = Column(_enum(DisputeStatus), nullable=False)
    opened_at = Column(DateTime, nullable=False)
    resolved_at = Column(DateTime)

    order = relationship("Order", back_populates="disputes")
    refund = relationship("Refund", back_populates="dispute", uselist=False)


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="refund_amount_positive"),
        CheckConstraint("(status = 'done') = (completed_at IS NOT NULL)", name="refund_completed_at_iff_done"),
        UniqueConstraint("dispute_id", name="one_refund_per_dispute"),
    )

    id = Column(Integer, primary_key=True)
    dispute_id = Column(Integer, ForeignKey("disputes.id"), nullable=False)
    amount_cents = Column(Integer, nullable=False)  # exact money: minor units, never floats
    currency = Column(String(3), nullable=False)
    method = Column(_enum(RefundMethod), nullable=False)
    status = Column(_enum(RefundStatus), nullable=False)
    approved_at = Column(DateTime, nullable=False)
    completed_at = Column(DateTime)

    dispute = relationship("Dispute", back_populates="refund")
    wallet_entry = relationship("WalletEntry", back_populates="refund", uselist=False)


class WalletEntry(Base):
    """One line of the CJ Wallet billing history; a refund back in balance credits exactly one."""

    __tablename__ = "wallet_entries"
    __table_args__ = (UniqueConstraint("refund_id", name="one_wallet_credit_per_refund"),)

    id = Column(Integer, primary_key=True)
    seller_id = Column(String(32), ForeignKey("sellers.id"), nullable=False, index=True)
    refund_id = Column(Integer, ForeignKey("refunds.id"))
    amount_cents = Column(Integer, nullable=False)  # exact money: minor units, never floats
    currency = Column(String(3), nullable=False)
    description = Column(String(200), nullable=False)
    created_at = Column(DateTime, nullable=False)

    seller = relationship("Seller", back_populates="wallet_entries")
    refund = relationship("Refund", back_populates="wallet_entry")

