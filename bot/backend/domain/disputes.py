"""Disputes: opening one (every rule in `rules.check_new_dispute`), the seller's messages, cancel and resend
agreement, and the platform's decisions. Every end of a dispute frees its order lines and lets the order's
processing go on when no other dispute holds it."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.backend import rules
from bot.backend.domain.evidence import owned_evidence
from bot.backend.domain.orders import find_order, lock_wallet, log
from bot.backend.errors import ApiError, not_found
from bot.backend.models import (
    ACTIVE_DISPUTE_STATUSES,
    Actor,
    Dispute,
    DisputeEvidence,
    DisputeLine,
    DisputeMessage,
    DisputeReason,
    DisputeStatus,
    ExpectedResult,
    LedgerAccount,
    LedgerEntry,
    LedgerKind,
    Order,
    OrderLogEntry,
    PaymentMethod,
    Refund,
    RefundMethod,
    RefundStatus,
    ResendProposal,
)
from bot.backend.money import format_cents
from bot.backend.numbering import next_number
from bot.order_numbers import NumberKind, canonical_of_kind

DISPUTE_LOADS = (
    selectinload(Dispute.order),
    selectinload(Dispute.lines).selectinload(DisputeLine.order_line),
    selectinload(Dispute.refund).selectinload(Refund.ledger_entry),
    selectinload(Dispute.resend),
    selectinload(Dispute.messages),
    selectinload(Dispute.evidence).selectinload(DisputeEvidence.item),
)
_SUMMARY_LOADS = (
    selectinload(Dispute.order),
    selectinload(Dispute.lines).selectinload(DisputeLine.order_line),
    selectinload(Dispute.refund).selectinload(Refund.ledger_entry),
)


def dispute_number(raw: str) -> str:
    number = canonical_of_kind(raw, NumberKind.DISPUTE)
    if number is None:
        raise ApiError(422, "malformed_number", "That is not a dispute number (SH…).")
    return number


def find_dispute(session: Session, number: str, seller_id: str | None, lock: bool = False) -> Dispute:
    """The dispute, scoped to the seller when one is given. `lock` locks its order's row first: every change
    to a dispute also decides about its order (processing, lines)."""
    query = select(Dispute).join(Dispute.order).where(Dispute.number == dispute_number(number))
    if seller_id is not None:
        query = query.where(Order.seller_id == seller_id)
    if lock:
        order_number = session.execute(query.with_only_columns(Order.number)).scalar_one_or_none()
        if order_number is None:
            raise not_found("dispute_not_found", "dispute for this seller")
        find_order(session, order_number, None, lock=True)
        query = query.execution_options(populate_existing=True)
    dispute = session.execute(query.options(*DISPUTE_LOADS)).scalar_one_or_none()
    if dispute is None:
        raise not_found("dispute_not_found", "dispute for this seller")
    return dispute


def timeline(session: Session, dispute: Dispute) -> Sequence[OrderLogEntry]:
    return session.execute(
        select(OrderLogEntry).where(OrderLogEntry.dispute_id == dispute.id).order_by(OrderLogEntry.at, OrderLogEntry.id)
    ).scalars().all()


def list_disputes(
    session: Session, seller_id: str, status: DisputeStatus | None, active: bool | None, order_number: str | None,
    limit: int, offset: int,
) -> tuple[Sequence[Dispute], int]:
    """Newest first; `active` True/False keeps the active/ended ones (with `status`, both must hold)."""
    conditions = [Order.seller_id == seller_id]
    if status is not None:
        conditions.append(Dispute.status == status)
    if active is not None:
        in_active = Dispute.status.in_(ACTIVE_DISPUTE_STATUSES)
        conditions.append(in_active if active else ~in_active)
    if order_number is not None:
        number = canonical_of_kind(order_number, NumberKind.STORE_ORDER, NumberKind.WHOLESALE_ORDER)
        if number is None:
            raise ApiError(422, "malformed_number", "That is not an order number (CJ… or ZF…).")
        conditions.append(Order.number == number)
    total = session.execute(
        select(func.count()).select_from(Dispute).join(Dispute.order).where(*conditions)
    ).scalar_one()
    disputes = session.execute(
        select(Dispute).join(Dispute.order).where(*conditions)
        .order_by(Dispute.opened_at.desc(), Dispute.id.desc()).limit(limit).offset(offset).options(*_SUMMARY_LOADS)
    ).scalars().all()
    return disputes, total


# ------------------------------------------------------------------ the seller


def open_dispute(
    session: Session, seller_id: str, *, order_number: str, lines: list[tuple[int, int]] | None,
    expected_result: ExpectedResult, reason: DisputeReason, refund_type: RefundMethod | None,
    buyer_email: str | None, message: str, evidence_ids: Sequence[str], now: datetime,
) -> Dispute:
    """Seed 002: open a dispute; the platform stops processing the order (seed 002 §6)."""
    order = find_order(session, order_number, seller_id, lock=True)
    evidence = owned_evidence(session, seller_id, evidence_ids)
    claims = rules.check_new_dispute(order, lines, expected_result, reason, buyer_email, evidence)
    dispute = Dispute(
        number=next_number(session, NumberKind.DISPUTE, now), order=order, expected_result=expected_result,
        refund_type=refund_type, reason=reason, buyer_email=buyer_email, status=DisputeStatus.OPEN, opened_at=now,
        refund=None, resend=None,
    )
    # Built whole in memory and flushed once: the response is made from these objects, without reading back.
    dispute.lines = [DisputeLine(order_line=c.line, active_line_id=c.line.id, quantity=c.quantity) for c in claims]
    first = DisputeMessage(author=Actor.SELLER, body=message, created_at=now)
    dispute.messages = [first]
    dispute.evidence = [DisputeEvidence(item=item, message=first) for item in evidence]
    session.add(dispute)
    session.flush()
    wanted = "a refund" if expected_result is ExpectedResult.REFUND else "a resend"
    log(session, order, "dispute_opened", Actor.SELLER,
        f"Dispute {dispute.number} opened for {wanted} ({reason.value.replace('_', ' ')}); "
        "order processing stopped.", now, dispute)
    session.flush()
    _settle_processing(session, order)
    return dispute


def add_message(session: Session, dispute: Dispute, author: Actor, body: str, evidence_ids: Sequence[str],
                seller_id: str | None, now: datetime) -> DisputeMessage:
    """Seed 002: the seller may leave a message (with more proof) while the dispute is open."""
    rules.require_dispute_open(dispute)
    evidence = owned_evidence(session, seller_id, evidence_ids) if seller_id is not None else []
    message = DisputeMessage(author=author, body=body, created_at=now)
    dispute.messages.append(message)
    already = {link.evidence_id for link in dispute.evidence}
    for item in evidence:
        if item.id not in already:
            dispute.evidence.append(DisputeEvidence(item=item, message=message))
    session.flush()
    log(session, dispute.order, "dispute_message", author, f"Message added to dispute {dispute.number}.", now, dispute)
    return message


def cancel_by_seller(session: Session, dispute: Dispute, now: datetime) -> None:
    """Seed 002 §6: cancelling the dispute lets the order's processing go on."""
    rules.require_dispute_open(dispute, rules.SELLER_MAY_CANCEL)
    _end(session, dispute, DisputeStatus.CANCELLED, now)
    log(session, dispute.order, "dispute_cancelled", Actor.SELLER,
        f"Dispute {dispute.number} cancelled by the seller; order processing resumed.", now, dispute)


def agree_resend(session: Session, dispute: Dispute, now: datetime) -> None:
    """Seed 002 §5: the seller checks the resend information and agrees; the platform does the rest."""
    rules.require_resend_proposed(dispute)
    dispute.status = DisputeStatus.RESEND_AGREED
    dispute.resend.agreed_at = now
    log(session, dispute.order, "resend_agreed", Actor.SELLER,
        f"The seller agreed to the resend proposed on dispute {dispute.number}.", now, dispute)


# ------------------------------------------------------------------ the platform


def approve_refund(session: Session, dispute: Dispute, amount_cents: int | None, note: str | None,
                   now: datetime) -> Refund:
    rules.check_dispute_decision(dispute, "approve_refund")
    most = rules.refundable_cents(dispute)
    amount = most if amount_cents is None else amount_cents
    if not 0 < amount <= most:
        raise ApiError(422, "refund_amount_invalid", "The refund must be more than zero and at most what the "
                       "disputed lines are worth.", {"max_amount": format_cents(most)})
    # OUR OWN RULE: a wallet-paid order is refunded to the wallet, either refund type (its original way IS the wallet).
    # Seed 001 §13: "Refund to the original way: the refund will be back to your payment account."
    paid_from_wallet = dispute.order.payment_method is PaymentMethod.BALANCE
    method = RefundMethod.BALANCE if paid_from_wallet else dispute.refund_type
    refund = Refund(amount_cents=amount, currency=dispute.order.currency, method=method,
                    status=RefundStatus.PENDING, approved_at=now, ledger_entry=None)
    dispute.refund = refund
    dispute.decision_note = note
    _end(session, dispute, DisputeStatus.REFUNDED, now)
    where = "to the CJ Wallet" if refund.method is RefundMethod.BALANCE else "to the original payment method"
    log(session, dispute.order, "refund_approved", Actor.PLATFORM,
        f"Refund of {format_cents(amount)} {refund.currency} approved on dispute {dispute.number}, {where}.",
        now, dispute)
    session.flush()
    return refund


def pay_out_refund(session: Session, dispute: Dispute, now: datetime) -> Refund:
    """Seed 001 §13: back in balance credits the CJ Wallet; the original way returns it to the payment account.
    Either way exactly one ledger entry, on the matching account (the schema refuses any other)."""
    refund = dispute.refund
    if refund is None or refund.status is not RefundStatus.PENDING:
        raise ApiError(409, "refund_not_pending", "There is no approved refund waiting to be paid out.",
                       {"status": refund.status.value if refund else None})
    if refund.method is RefundMethod.BALANCE:
        lock_wallet(session, dispute.order.seller_id)
    where = "CJ Wallet" if refund.method is RefundMethod.BALANCE else "original payment method"
    refund.ledger_entry = LedgerEntry(
        seller_id=dispute.order.seller_id, account=LedgerAccount(refund.method.value), kind=LedgerKind.REFUND,
        order_id=dispute.order.id, amount_cents=refund.amount_cents, currency=refund.currency,
        description=f"Refund for dispute {dispute.number} ({where})", created_at=now,
    )
    refund.status = RefundStatus.DONE
    refund.completed_at = now
    log(session, dispute.order, "refund_paid", Actor.PLATFORM,
        f"Refund of {format_cents(refund.amount_cents)} {refund.currency} for dispute {dispute.number} paid to the "
        f"{where}.", now, dispute)
    session.flush()
    return refund


def propose_resend(session: Session, dispute: Dispute, details: str, now: datetime) -> None:
    rules.check_dispute_decision(dispute, "propose_resend")
    dispute.resend = ResendProposal(details=details, proposed_at=now)
    dispute.status = DisputeStatus.RESEND_PROPOSED
    log(session, dispute.order, "resend_proposed", Actor.PLATFORM,
        f"Resend proposed on dispute {dispute.number}: {details}"[:300], now, dispute)
    session.flush()


def ship_resend(session: Session, dispute: Dispute, carrier: str, tracking_number: str, now: datetime) -> None:
    rules.check_dispute_decision(dispute, "ship_resend")
    resend = dispute.resend
    resend.shipped_at, resend.carrier, resend.tracking_number = now, carrier, tracking_number
    _end(session, dispute, DisputeStatus.RESENT, now)
    log(session, dispute.order, "resend_shipped", Actor.PLATFORM,
        f"Resend for dispute {dispute.number} shipped with {carrier}, tracking number {tracking_number}.",
        now, dispute)


def reject(session: Session, dispute: Dispute, note: str, now: datetime) -> None:
    rules.check_dispute_decision(dispute, "reject")
    dispute.decision_note = note
    _end(session, dispute, DisputeStatus.REJECTED, now)
    log(session, dispute.order, "dispute_rejected", Actor.PLATFORM,
        f"Dispute {dispute.number} rejected: {note}"[:300], now, dispute)


def _end(session: Session, dispute: Dispute, status: DisputeStatus, now: datetime) -> None:
    """A dispute ends: its lines are free for a new dispute, and the order runs again if nothing else holds it."""
    dispute.status = status
    dispute.resolved_at = now
    for line in dispute.lines:
        line.active_line_id = None
    session.flush()
    _settle_processing(session, dispute.order)


def _settle_processing(session: Session, order: Order) -> None:
    session.expire(order, ["disputes"])
    order.processing = rules.processing_for(order)
    session.flush()
