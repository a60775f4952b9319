"""Reads scoped to one seller, shaped as the API's JSON.

Every query filters by seller: another seller's object is indistinguishable from one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.backend.models import Dispute, Order, Refund


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def refund_view(refund: Refund | None) -> dict[str, Any] | None:
    if refund is None:
        return None
    return {
        "amount": _money(refund.amount_cents),
        "currency": refund.currency,
        "method": refund.method.value,
        "status": refund.status.value,
        "approved_at": _iso(refund.approved_at),
        "completed_at": _iso(refund.completed_at),
        "wallet_entry_id": refund.wallet_entry.id if refund.wallet_entry else None,
    }


def dispute_view(dispute: Dispute) -> dict[str, Any]:
    return {
        "number": dispute.number,
        "order_number": dispute.order.number,
        "expected_result": dispute.expected_result.value,
        "refund_type": dispute.refund_type.value if dispute.refund_type else None,
        "reason": dispute.reason,
        "status": dispute.status.value,
        "opened_at": _iso(dispute.opened_at),
        "resolved_at": _iso(dispute.resolved_at),
        "refund": refund_view(dispute.refund),
    }


def order_view(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "status": order.status.value,
        "amount": _money(order.amount_cents),
        "currency": order.currency,
        "created_at": _iso(order.created_at),
        "paid_at": _iso(order.paid_at),
        "dispatched_at": _iso(order.dispatched_at),
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "disputes": [dispute_view(d) for d in order.disputes],
    }


_DISPUTE_LOADS = (
    selectinload(Dispute.order),
    selectinload(Dispute.refund).selectinload(Refund.wallet_entry),
)


def find_order(session: Session, seller_id: str, number: str) -> dict[str, Any] | None:
    order = session.execute(
        select(Order)
        .where(Order.seller_id == seller_id, Order.number == number)
        .options(selectinload(Order.disputes).options(*_DISPUTE_LOADS))
    ).scalar_one_or_none()
    return order_view(order) if order else None


def find_dispute(session: Session, seller_id: str, number: str) -> dict[str, Any] | None:
    dispute = session.execute(
        select(Dispute)
        .join(Dispute.order)
        .where(Order.seller_id == seller_id, Dispute.number == number)
        .options(*_DISPUTE_LOADS)
    ).scalar_one_or_none()
    return dispute_view(dispute) if dispute else None


def list_disputes(session: Session, seller_id: str, limit: int, offset: int) -> list[dict[str, Any]]:
    disputes = session.execute(
        select(Dispute)
        .join(Dispute.order)
        .where(Order.seller_id == seller_id)
        .order_by(Dispute.opened_at.desc(), Dispute.id.desc())
        .limit(limit)
        .offset(offset)
        .options(*_DISPUTE_LOADS)
    ).scalars()
    return [dispute_view(d) for d in disputes]
