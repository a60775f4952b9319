"""The deterministic demo data set: two sellers, and an order in every state the bot must explain.

The README's table of demo data is written from this file; tests rely on it too. Re-seeding replaces
everything, so a demo always starts from the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.backend.models import (
    Dispute,
    DisputeStatus,
    ExpectedResult,
    Order,
    OrderStatus,
    Refund,
    RefundMethod,
    RefundStatus,
    Seller,
    WalletEntry,
)

SELLERS = (
    Seller(id="S1001", name="Ava's Gadget Store", email="ava@example.com"),
    Seller(id="S1002", name="Bruno Home & Living", email="bruno@example.com"),
)


@dataclass(frozen=True)
class DemoDispute:
    number: str
    expected: ExpectedResult
    reason: str
    status: DisputeStatus
    opened: datetime
    refund_type: RefundMethod | None = None
    resolved: datetime | None = None
    refund_status: RefundStatus | None = None
    refund_completed: datetime | None = None


@dataclass(frozen=True)
class DemoOrder:
    seller: str
    number: str
    status: OrderStatus
    amount_cents: int
    created: datetime
    dispute: DemoDispute | None = None


def _at(day: int, hour: int = 10) -> datetime:
    return datetime(2024, 10, day, hour, 0)


_CARRIER = "YunExpress"

ORDERS = (
    DemoOrder("S1001", "CJ2410180012345", OrderStatus.COMPLETED, 4250, _at(1), DemoDispute(
        "SH2410200045", ExpectedResult.REFUND, "Damaged product", DisputeStatus.REFUNDED, _at(12),
        RefundMethod.BALANCE, _at(14), RefundStatus.DONE, _at(15))),
    DemoOrder("S1001", "CJ2410180012346", OrderStatus.COMPLETED, 1890, _at(2), DemoDispute(
        "SH2410200046", ExpectedResult.REFUND, "Wrong product", DisputeStatus.REFUNDED, _at(13),
        RefundMethod.BALANCE, _at(16), RefundStatus.PENDING)),
    DemoOrder("S1001", "CJ2410180012347", OrderStatus.COMPLETED, 6500, _at(3), DemoDispute(
        "SH2410200047", ExpectedResult.REFUND, "Lost package", DisputeStatus.REFUNDED, _at(14),
        RefundMethod.ORIGINAL, _at(17), RefundStatus.DONE, _at(19))),
    DemoOrder("S1001", "CJ2410180012348", OrderStatus.PAID, 2730, _at(20), DemoDispute(
        "SH2410200048", ExpectedResult.REFUND, "Buyer cancelled before dispatch", DisputeStatus.REFUNDED,
        _at(21), RefundMethod.ORIGINAL, _at(22), RefundStatus.PENDING)),
    DemoOrder("S1001", "CJ2410180012349", OrderStatus.DISPATCHED, 3300, _at(5), DemoDispute(
        "SH2410200049", ExpectedResult.REFUND, "Delayed order", DisputeStatus.OPEN, _at(23),
        RefundMethod.BALANCE)),
    DemoOrder("S1001", "CJ2410180012350", OrderStatus.COMPLETED, 2175, _at(6), DemoDispute(
        "SH2410200050", ExpectedResult.RESEND, "Missing product", DisputeStatus.RESENT, _at(15),
        resolved=_at(18))),
    DemoOrder("S1001", "CJ2410180012351", OrderStatus.COMPLETED, 1999, _at(7), DemoDispute(
        "SH2410200051", ExpectedResult.REFUND, "Buyer changed mind", DisputeStatus.REJECTED, _at(16),
        RefundMethod.BALANCE, _at(19))),
    DemoOrder("S1001", "CJ2410180012352", OrderStatus.DISPATCHED, 5420, _at(8), DemoDispute(
        "SH2410200052", ExpectedResult.REFUND, "Delayed order", DisputeStatus.CANCELLED, _at(17),
        RefundMethod.ORIGINAL, _at(18))),
    DemoOrder("S1001", "CJ2410180012353", OrderStatus.UNPAID, 1200, _at(24)),
    DemoOrder("S1001", "CJ2410180012354", OrderStatus.CLOSED, 1540, _at(9)),
    DemoOrder("S1001", "CJ2410180012355", OrderStatus.DISPATCHED, 3860, _at(19)),
    DemoOrder("S1002", "CJ2410190020001", OrderStatus.COMPLETED, 8800, _at(4), DemoDispute(
        "SH2410210001", ExpectedResult.REFUND, "Damaged product", DisputeStatus.REFUNDED, _at(12),
        RefundMethod.BALANCE, _at(13), RefundStatus.DONE, _at(14))),
    DemoOrder("S1002", "CJ2410190020002", OrderStatus.PAID, 2310, _at(22)),
)


def _order_row(demo: DemoOrder) -> Order:
    paid = demo.status is not OrderStatus.UNPAID
    dispatched = demo.status in (OrderStatus.DISPATCHED, OrderStatus.COMPLETED)
    return Order(
        number=demo.number,
        seller_id=demo.seller,
        status=demo.status,
        amount_cents=demo.amount_cents,
        currency="USD",
        created_at=demo.created,
        paid_at=demo.created.replace(hour=11) if paid or demo.status is OrderStatus.CLOSED else None,
        dispatched_at=demo.created.replace(hour=16) if dispatched else None,
        carrier=_CARRIER if dispatched else None,
        tracking_number=f"YT{demo.number[2:]}" if dispatched else None,
    )


def _dispute_rows(session: Session, order: Order, demo: DemoDispute) -> None:
    dispute = Dispute(
        number=demo.number, order=order, expected_result=demo.expected, refund_type=demo.refund_type,
        reason=demo.reason, status=demo.status, opened_at=demo.opened, resolved_at=demo.resolved,
    )
    session.add(dispute)
    if demo.refund_status is None:
        return
    refund = Refund(
        dispute=dispute, amount_cents=order.amount_cents, currency=order.currency, method=demo.refund_type,
        status=demo.refund_status, approved_at=demo.resolved, completed_at=demo.refund_completed,
    )
    session.add(refund)
    if demo.refund_type is RefundMethod.BALANCE and demo.refund_status is RefundStatus.DONE:
        session.add(WalletEntry(
            seller_id=order.seller_id, refund=refund, amount_cents=refund.amount_cents, currency=refund.currency,
            description=f"Refund for dispute {dispute.number}", created_at=demo.refund_completed,
        ))


def seed(session: Session) -> None:
    """Replace all data with the demo set (inside the caller's transaction)."""
    for table in (WalletEntry, Refund, Dispute, Order, Seller):
        session.execute(delete(table))
    session.add_all(Seller(id=s.id, name=s.name, email=s.email) for s in SELLERS)
    session.flush()
    for demo in ORDERS:
        order = _order_row(demo)
        session.add(order)
        if demo.dispute is not None:
            _dispute_rows(session, order, demo.dispute)
