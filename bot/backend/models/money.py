"""Refunds and the ledger: the CJ Wallet's billing history and refunds returned to the original payment method.

A paid-out refund has exactly one ledger entry, on the account its method names, for exactly its amount. The
schema holds that: a UNIQUE refund_id, and a composite foreign key from (refund_id, account, amount, currency)
to the refund's (id, method, amount, currency), so no entry can credit the wrong account or the wrong sum.
"""

from __future__ import annotations

import enum

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from bot.backend.models.base import MONEY_CHECK_CURRENCY, Base, db_enum, utcnow
from bot.backend.models.disputes import RefundMethod


class RefundStatus(str, enum.Enum):
    PENDING = "pending"  # approved, not paid out yet
    DONE = "done"  # paid out: the ledger entry exists


class LedgerAccount(str, enum.Enum):
    """Where money moved: the seller's CJ Wallet, or their original payment account (outside the wallet).
    The values equal RefundMethod's, which is what the composite foreign key compares."""

    BALANCE = "balance"
    ORIGINAL = "original"


class LedgerKind(str, enum.Enum):
    REFUND = "refund"
    TOP_UP = "top_up"
    ORDER_PAYMENT = "order_payment"
    ADJUSTMENT = "adjustment"  # a correction by the platform


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(MONEY_CHECK_CURRENCY, name="currency_is_iso"),
        CheckConstraint("(status = 'done') = (completed_at IS NOT NULL)", name="completed_at_iff_done"),
        UniqueConstraint("dispute_id"),
        UniqueConstraint("id", "method", "amount_cents", "currency", name="uq_refunds_ledger_match"),
    )

    id = Column(Integer, primary_key=True)
    dispute_id = Column(Integer, ForeignKey("disputes.id"), nullable=False)
    amount_cents = Column(Integer, nullable=False)  # exact money: minor units, never floats
    currency = Column(String(3), nullable=False)
    method = Column(db_enum(RefundMethod), nullable=False)
    status = Column(db_enum(RefundStatus), nullable=False)
    approved_at = Column(DateTime, nullable=False)
    completed_at = Column(DateTime)

    dispute = relationship("Dispute", back_populates="refund")
    ledger_entry = relationship("LedgerEntry", back_populates="refund", uselist=False)


class LedgerEntry(Base):
    """One movement of money for a seller; entries on the `balance` account are the wallet's billing history."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("refund_id"),
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        CheckConstraint(MONEY_CHECK_CURRENCY, name="currency_is_iso"),
        CheckConstraint("(kind = 'refund') = (refund_id IS NOT NULL)", name="refund_entries_name_their_refund"),
        CheckConstraint("kind <> 'refund' OR amount_cents > 0", name="refunds_credit"),
        CheckConstraint("kind <> 'order_payment' OR (amount_cents < 0 AND order_id IS NOT NULL)",
                        name="payments_debit_an_order"),
        ForeignKeyConstraint(
            ["refund_id", "account", "amount_cents", "currency"],
            ["refunds.id", "refunds.method", "refunds.amount_cents", "refunds.currency"],
            name="fk_ledger_entries_matches_refund",
        ),
    )

    id = Column(Integer, primary_key=True)
    seller_id = Column(String(32), ForeignKey("sellers.id"), nullable=False, index=True)
    account = Column(db_enum(LedgerAccount), nullable=False)
    kind = Column(db_enum(LedgerKind), nullable=False)
    refund_id = Column(Integer)
    order_id = Column(Integer, ForeignKey("orders.id"))
    amount_cents = Column(Integer, nullable=False)  # signed: credits positive, debits negative
    currency = Column(String(3), nullable=False)
    description = Column(String(200), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    seller = relationship("Seller", back_populates="ledger_entries")
    refund = relationship(
        "Refund", back_populates="ledger_entry", foreign_keys=[refund_id],
        primaryjoin="LedgerEntry.refund_id == Refund.id",
    )
