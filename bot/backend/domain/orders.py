"""Orders: seller-scoped lookups, the seller's cancel, and the platform's steps from payment to closing."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.backend import rules
from bot.backend.errors import ApiError, not_found
from bot.backend.models import (
    Actor,
    Dispute,
    DisputeLine,
    LedgerAccount,
    LedgerEntry,
    LedgerKind,
    Order,
    OrderKind,
    OrderLine,
    OrderLogEntry,
    OrderStatus,
    PaymentMethod,
    Refund,
    Seller,
)
from bot.backend.money import format_cents
from bot.backend.numbering import next_number
from bot.order_numbers import ORDER_KINDS, NumberKind, canonical_of_kind

ORDER_LOADS = (
    selectinload(Order.lines),
    selectinload(Order.returns),
    selectinload(Order.disputes).options(
        selectinload(Dispute.lines).selectinload(DisputeLine.order_line),
        selectinload(Dispute.refund).selectinload(Refund.ledger_entry),
        selectinload(Dispute.order),
    ),
)


def order_number(raw: str) -> str:
    """The canonical order number, or 422 `malformed_number`."""
    number = canonical_of_kind(raw, *ORDER_KINDS)
    if number is None:
        raise ApiError(422, "malformed_number", "That is not an order number (CJ… or ZF…).")
    return number


def find_order(session: Session, number: str, seller_id: str | None, lock: bool = False) -> Order:
    """The order, scoped to the seller when one is given (another seller's order is simply not found).
    `lock`: hold the order's row until the transaction ends (PostgreSQL; SQLite's writer lock already does)."""
    query = select(Order).where(Order.number == order_number(number))
    if seller_id is not None:
        query = query.where(Order.seller_id == seller_id)
    if lock:
        order_id = session.execute(query.with_only_columns(Order.id).with_for_update()).scalar_one_or_none()
        if order_id is None:
            raise not_found("order_not_found", "order for this seller")
        query = select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
    order = session.execute(query.options(*ORDER_LOADS)).scalar_one_or_none()
    if order is None:
        raise not_found("order_not_found", "order for this seller")
    return order


def list_orders(
    session: Session, seller_id: str, status: OrderStatus | None, kind: OrderKind | None, limit: int, offset: int
) -> tuple[Sequence[Order], int]:
    """Newest first."""
    conditions = [Order.seller_id == seller_id]
    if status is not None:
        conditions.append(Order.status == status)
    if kind is not None:
        conditions.append(Order.kind == kind)
    total = session.execute(select(func.count()).select_from(Order).where(*conditions)).scalar_one()
    orders = session.execute(
        select(Order).where(*conditions).order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit).offset(offset).options(*ORDER_LOADS)
    ).scalars().all()
    return orders, total


def order_log(session: Session, order: Order, limit: int, offset: int) -> tuple[Sequence[OrderLogEntry], int]:
    total = session.execute(
        select(func.count()).select_from(OrderLogEntry).where(OrderLogEntry.order_id == order.id)
    ).scalar_one()
    entries = session.execute(
        select(OrderLogEntry).where(OrderLogEntry.order_id == order.id)
        .order_by(OrderLogEntry.at, OrderLogEntry.id).limit(limit).offset(offset)
    ).scalars().all()
    return entries, total


def log(session: Session, order: Order, event: str, actor: Actor, message: str, at: datetime,
        dispute: Dispute | None = None) -> None:
    """Add a line to the order log (seed 001 §14: sellers check refunds in the order logs)."""
    session.add(OrderLogEntry(order_id=order.id, dispute_id=dispute.id if dispute else None, at=at, event=event,
                              actor=actor, message=message[:300]))


# ------------------------------------------------------------------ the seller


def cancel_by_seller(session: Session, order: Order, now: datetime) -> None:
    """Seed 001 §11: orders can be cancelled before payment."""
    verdict = rules.cancel_verdict(order)
    if not verdict.allowed:
        message = {
            "paid_not_dispatched": "This order is already paid, so it can't be cancelled; as it hasn't been "
                                   "dispatched, you can open a dispute for a refund instead.",
            "dispatched": "This order has been dispatched, so it can't be cancelled; open a dispute if "
                          "something went wrong with it.",
            "closed": "This order is closed and can't be cancelled.",
            "already_cancelled": "This order is already cancelled.",
        }[verdict.reason or "closed"]
        raise ApiError(409, "order_not_cancellable", message,
                       {"status": order.status.value, "reason": verdict.reason})
    _set_status(order, OrderStatus.CANCELLED, now)
    log(session, order, "cancelled", Actor.SELLER, "Order cancelled by the seller before payment.", now)


# ------------------------------------------------------------------ the platform


def create_order(
    session: Session, seller: Seller, kind: OrderKind, currency: str, lines: list[tuple[str, str, int, int]],
    shipping_cents: int, store_name: str | None, now: datetime, number: str | None = None,
) -> Order:
    """A new unpaid order; `lines` are (sku, product, quantity, unit price in cents)."""
    prefix = NumberKind.WHOLESALE_ORDER if kind is OrderKind.WHOLESALE else NumberKind.STORE_ORDER
    order = Order(
        number=number or next_number(session, prefix, now), seller_id=seller.id, kind=kind,
        status=OrderStatus.UNPAID, currency=currency, shipping_cents=shipping_cents,
        store_name=store_name if kind is OrderKind.STORE else None, created_at=now,
    )
    order.lines = [OrderLine(line_no=i, sku=sku, product=product, quantity=quantity, unit_price_cents=price)
                   for i, (sku, product, quantity, price) in enumerate(lines, start=1)]
    session.add(order)
    session.flush()
    log(session, order, "created", Actor.PLATFORM,
        f"{kind.value.capitalize()} order created: {format_cents(order.amount_cents)} {currency}.", now)
    return order


def lock_wallet(session: Session, seller_id: str) -> None:
    """Hold the seller's row until the transaction ends, before reading or changing the CJ Wallet balance.

    The balance is a sum over ledger entries, so no single row guards it: two payments that each check the sum
    and then add a debit would both pass on PostgreSQL (READ COMMITTED) and overdraw the wallet. Every write to
    the balance account takes this lock first (payments, top-ups, refunds paid back in balance), so a check
    made under it stays true until the commit. Callers that also lock an order take the order first. SQLite's
    `BEGIN IMMEDIATE` already serialises writers (and ignores FOR UPDATE)."""
    session.execute(select(Seller.id).where(Seller.id == seller_id).with_for_update()).scalar_one()


def wallet_balance_cents(session: Session, seller_id: str) -> int:
    return session.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.seller_id == seller_id, LedgerEntry.account == LedgerAccount.BALANCE)
    ).scalar_one()


def advance(session: Session, order: Order, step: str, now: datetime, *, method: PaymentMethod | None = None,
            carrier: str | None = None, tracking_number: str | None = None) -> None:
    """One platform step (pay, dispatch, deliver, complete, close, cancel), checked by the rules."""
    target = rules.check_order_transition(order, step)
    if step == "pay":
        method = method or PaymentMethod.PAYPAL
        if method is PaymentMethod.BALANCE:
            _pay_from_wallet(session, order, now)
        order.payment_method = method
        order.paid_at = now
        message = f"Paid {format_cents(order.amount_cents)} {order.currency} by {method.value.replace('_', ' ')}."
    elif step == "dispatch":
        order.carrier, order.tracking_number, order.dispatched_at = carrier, tracking_number, now
        message = f"Dispatched with {carrier}, tracking number {tracking_number}."
    elif step == "deliver":
        order.delivered_at = now
        message = "Delivered to the buyer." if order.kind is OrderKind.STORE else "Delivered."
    else:
        message = {"complete": "Order completed.", "close": "Order closed.",
                   "cancel": "Order cancelled before payment."}[step]
    _set_status(order, target, now)
    log(session, order, {"pay": "paid", "dispatch": "dispatched", "deliver": "delivered", "complete": "completed",
                         "close": "closed", "cancel": "cancelled"}[step], Actor.PLATFORM, message, now)


def _pay_from_wallet(session: Session, order: Order, now: datetime) -> None:
    lock_wallet(session, order.seller_id)
    balance = wallet_balance_cents(session, order.seller_id)
    if balance < order.amount_cents:
        raise ApiError(409, "insufficient_balance", "The CJ Wallet balance doesn't cover this order.",
                       {"balance": format_cents(balance), "amount": format_cents(order.amount_cents)})
    session.add(LedgerEntry(
        seller_id=order.seller_id, account=LedgerAccount.BALANCE, kind=LedgerKind.ORDER_PAYMENT,
        order_id=order.id, amount_cents=-order.amount_cents, currency=order.currency,
        description=f"Payment for order {order.number}", created_at=now,
    ))


def _set_status(order: Order, status: OrderStatus, now: datetime) -> None:
    order.status = status
    if status is OrderStatus.COMPLETED:
        order.completed_at = now
    elif status is OrderStatus.CLOSED:
        order.closed_at = now
    elif status is OrderStatus.CANCELLED:
        order.cancelled_at = now


PATH_TO: dict[OrderStatus, tuple[str, ...]] = {
    OrderStatus.UNPAID: (),
    OrderStatus.PAID: ("pay",),
    OrderStatus.DISPATCHED: ("pay", "dispatch"),
    OrderStatus.DELIVERED: ("pay", "dispatch", "deliver"),
    OrderStatus.COMPLETED: ("pay", "dispatch", "deliver", "complete"),
    OrderStatus.CLOSED: ("pay", "dispatch", "deliver", "complete", "close"),
    OrderStatus.CANCELLED: ("cancel",),
}
