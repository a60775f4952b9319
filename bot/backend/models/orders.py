"""Orders of every kind the platform has, their lines, and the order log sellers read (seed 001 §14)."""

from __future__ import annotations

import enum

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from bot.backend.models.base import MONEY_CHECK_CURRENCY, Base, db_enum, utcnow


class OrderKind(str, enum.Enum):
    """Seed 002: store orders, sample orders, wholesale orders (numbers begin with ZF) and preorders."""

    STORE = "store"
    SAMPLE = "sample"
    WHOLESALE = "wholesale"
    PREORDER = "preorder"


class OrderStatus(str, enum.Enum):
    UNPAID = "unpaid"
    PAID = "paid"  # paid, not yet dispatched
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Processing(str, enum.Enum):
    """Seed 002 §6: the platform stops processing an order while a dispute on it is open."""

    RUNNING = "running"
    STOPPED_BY_DISPUTE = "stopped_by_dispute"


class PaymentMethod(str, enum.Enum):
    BALANCE = "balance"  # the CJ Wallet
    PAYPAL = "paypal"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"


class Actor(str, enum.Enum):
    """Who did something, as the logs and timelines tell it."""

    SELLER = "seller"
    PLATFORM = "platform"
    AGENT = "agent"
    SYSTEM = "system"


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("shipping_cents >= 0", name="shipping_not_negative"),
        CheckConstraint(MONEY_CHECK_CURRENCY, name="currency_is_iso"),
        CheckConstraint("(kind = 'wholesale') = (number LIKE 'ZF%')", name="wholesale_numbers_begin_with_zf"),
        CheckConstraint("(status IN ('unpaid', 'cancelled')) = (paid_at IS NULL)", name="paid_iff_paid_at"),
        CheckConstraint("(paid_at IS NULL) = (payment_method IS NULL)", name="payment_method_iff_paid"),
        CheckConstraint(
            "status NOT IN ('dispatched', 'delivered', 'completed') OR dispatched_at IS NOT NULL",
            name="dispatched_has_dispatched_at",
        ),
        CheckConstraint(
            "(dispatched_at IS NULL) = (tracking_number IS NULL) AND (dispatched_at IS NULL) = (carrier IS NULL)",
            name="dispatched_iff_tracking",
        ),
        CheckConstraint("status <> 'delivered' OR delivered_at IS NOT NULL", name="delivered_has_delivered_at"),
        CheckConstraint("status <> 'completed' OR completed_at IS NOT NULL", name="completed_has_completed_at"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_iff_closed_at"),
        CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_iff_cancelled_at"),
        CheckConstraint(
            "processing = 'running' OR status NOT IN ('unpaid', 'cancelled')", name="unpaid_orders_never_stopped"
        ),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False, unique=True)
    seller_id = Column(String(32), ForeignKey("sellers.id"), nullable=False, index=True)
    kind = Column(db_enum(OrderKind), nullable=False)
    status = Column(db_enum(OrderStatus), nullable=False)
    processing = Column(db_enum(Processing), nullable=False, default=Processing.RUNNING)
    currency = Column(String(3), nullable=False)
    shipping_cents = Column(Integer, nullable=False, default=0)  # exact money: minor units, never floats
    store_name = Column(String(120))  # the seller's shop a store order came from
    payment_method = Column(db_enum(PaymentMethod))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    paid_at = Column(DateTime)
    dispatched_at = Column(DateTime)
    carrier = Column(String(60))
    tracking_number = Column(String(60))
    delivered_at = Column(DateTime)
    completed_at = Column(DateTime)
    closed_at = Column(DateTime)
    cancelled_at = Column(DateTime)

    seller = relationship("Seller", back_populates="orders")
    lines = relationship("OrderLine", back_populates="order", order_by="OrderLine.line_no")
    disputes = relationship("Dispute", back_populates="order", order_by="Dispute.opened_at")
    returns = relationship(
        "ReturnRequest", back_populates="order", order_by="ReturnRequest.created_at",
        foreign_keys="ReturnRequest.order_id",
    )
    log = relationship("OrderLogEntry", back_populates="order", order_by="OrderLogEntry.id")

    @property
    def subtotal_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def amount_cents(self) -> int:
        """What the seller pays for the order: its lines plus shipping."""
        return self.subtotal_cents + self.shipping_cents


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("line_no >= 1", name="line_no_positive"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_not_negative"),
    )

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False)
    line_no = Column(Integer, nullable=False)
    sku = Column(String(60), nullable=False)
    product = Column(String(200), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price_cents = Column(Integer, nullable=False)

    order = relationship("Order", back_populates="lines")

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_price_cents


class OrderLogEntry(Base):
    """One line of the order log: what happened to the order, when, and who did it."""

    __tablename__ = "order_log"

    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    dispute_id = Column(Integer, ForeignKey("disputes.id"), index=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    event = Column(String(40), nullable=False)
    actor = Column(db_enum(Actor), nullable=False)
    message = Column(String(300), nullable=False)

    order = relationship("Order", back_populates="log")
