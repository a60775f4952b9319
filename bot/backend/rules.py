"""The platform's rules, in one place: pure functions over the models, used by every write and by the
eligibility flags of the order view (so the bot never re-implements a rule).

Where a rule comes from the platform's help pages the docstring names the seed; rules we added ourselves
say "OUR OWN RULE".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Sequence

from bot.backend.errors import ApiError
from bot.backend.models import (
    ACTIVE_DISPUTE_STATUSES,
    Dispute,
    DisputeReason,
    DisputeStatus,
    Evidence,
    EvidenceKind,
    EvidencePurpose,
    ExpectedResult,
    LinkMedia,
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    Priority,
    Processing,
    ReturnStatus,
    TicketStatus,
)
from bot.support_hours import ALWAYS, SupportHours


class RuleViolation(ApiError):
    """A write the rules refuse: an HTTP status, a machine code, a sentence, and details for the caller."""


@dataclass(frozen=True)
class Verdict:
    """Whether something is allowed now and, if not, why (a machine code)."""

    allowed: bool
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "reason": self.reason, **self.extra}


# ---------------------------------------------------------------- orders

_NOT_CANCELLABLE_BECAUSE = {
    OrderStatus.PAID: "paid_not_dispatched",
    OrderStatus.DISPATCHED: "dispatched",
    OrderStatus.DELIVERED: "dispatched",
    OrderStatus.COMPLETED: "dispatched",
    OrderStatus.CLOSED: "closed",
    OrderStatus.CANCELLED: "already_cancelled",
}


def cancel_verdict(order: Order) -> Verdict:
    """Seed 001 §11: orders can be cancelled before payment; a paid, undispatched order takes a refund dispute."""
    if order.status is OrderStatus.UNPAID:
        return Verdict(True)
    return Verdict(False, _NOT_CANCELLABLE_BECAUSE[order.status])


def active_disputes(order: Order) -> list[Dispute]:
    return [d for d in order.disputes if d.status in ACTIVE_DISPUTE_STATUSES]


def lines_in_active_disputes(order: Order) -> dict[int, str]:
    """line_no -> number of the active dispute that covers it."""
    covered: dict[int, str] = {}
    for dispute in active_disputes(order):
        for line in dispute.lines:
            covered[line.order_line.line_no] = dispute.number
    return covered


def processing_for(order: Order) -> Processing:
    """Seed 002 §6: the platform stops processing an order once a dispute is opened; cancelling (or any end of)
    the dispute lets it go on."""
    return Processing.STOPPED_BY_DISPUTE if active_disputes(order) else Processing.RUNNING


_NOT_DISPUTABLE_BECAUSE = {
    OrderStatus.UNPAID: "unpaid",
    OrderStatus.CLOSED: "closed",
    OrderStatus.CANCELLED: "cancelled",
}


def dispute_verdict(order: Order) -> Verdict:
    """Seed 002 §1: disputes for pending, processing, dispatched or completed orders, never for closed ones;
    seed 001 §11: a paid order not yet dispatched takes a refund dispute only. OUR OWN RULE: at most one active
    dispute per order line."""
    # OUR OWN RULE: no dispute on an unpaid order (nothing was paid to refund; seed 001 §11 cancels it instead).
    # Seed 002 §1 lists "Pending" store orders as disputable: we read that as paid and awaiting processing.
    if order.status in _NOT_DISPUTABLE_BECAUSE:
        return Verdict(False, _NOT_DISPUTABLE_BECAUSE[order.status])
    covered = lines_in_active_disputes(order)
    free = [line.line_no for line in order.lines if line.line_no not in covered]
    results = [ExpectedResult.REFUND.value] if refund_only(order) else [r.value for r in ExpectedResult]
    extra = {"expected_results": results, "line_nos": free, "proof": proof_requirements(order)}
    if not free:
        return Verdict(False, "dispute_already_open", {**extra, "dispute_numbers": sorted(set(covered.values()))})
    return Verdict(True, None, extra)


def refund_only(order: Order) -> bool:
    """Seed 001 §11: paid but not dispatched means a refund (nothing was shipped that could be resent)."""
    return order.status is OrderStatus.PAID


def return_verdict(order: Order) -> Verdict:
    """Seed 000 §4.2-4.3: the return link is specific to the seller's customer, who fills in the form: a store
    order's buyer. The seeds set no other condition; the rest are ours, labelled below."""
    if order.kind is not OrderKind.STORE:
        return Verdict(False, "not_a_store_order")
    # OUR OWN RULE: no return on a closed or cancelled order (a cancelled one never shipped; closed, as disputes).
    # Seed 000 §4.1 starts a return under Orders > Disputes, and seed 002 §1 opens no dispute for closed orders.
    if order.status in (OrderStatus.CLOSED, OrderStatus.CANCELLED):
        return Verdict(False, order.status.value)
    # OUR OWN RULE: a return needs a delivered (or completed) order (the buyer can only send back what arrived).
    if order.status not in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        return Verdict(False, "not_delivered")
    # OUR OWN RULE: one open return per order (two links would have the agent settle one return twice).
    # Seed 000 §4.2: the link is specific to that one customer. The next return waits until the platform closes it.
    if any(r.status is not ReturnStatus.CLOSED for r in order.returns):
        return Verdict(False, "return_open")
    return Verdict(True)


def eligibility(order: Order) -> dict[str, Any]:
    """What the seller may do with the order now, as the order view shows it."""
    return {
        "cancel": cancel_verdict(order).as_json(),
        "dispute": dispute_verdict(order).as_json(),
        "return": return_verdict(order).as_json(),
    }


# ---------------------------------------------------------------- proof

_MEDIA_REASONS = (DisputeReason.DAMAGED_PRODUCT, DisputeReason.WRONG_PRODUCT)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,63}\Z")


def is_email(value: str) -> bool:
    return bool(_EMAIL.fullmatch(value))


def proof_requirements(order: Order) -> dict[str, list[str]]:
    """Per reason, the proof a dispute on this order needs (what `proof_required` would list as missing)."""
    return {reason.value: list(_required_proof(order.kind, reason)) for reason in DisputeReason
            if reason is not DisputeReason.OTHER}


def _required_proof(kind: OrderKind, reason: DisputeReason) -> tuple[str, ...]:
    """Seed 002 §1c: screenshots of the buyer's complaint, and the buyer's email address is a must; its §2-4 say
    the steps for sample, wholesale and preorder orders "are the same as that of orders", so every kind needs
    them. Seeds 000 §2.3 and 001 §12: photos or videos of damaged or wrong products."""
    needed = ["buyer_email", "buyer_complaint"]
    if reason in _MEDIA_REASONS:
        needed.append("product_media")
    return tuple(needed)


def _shows_product(item: Evidence) -> bool:
    if item.purpose is not EvidencePurpose.PRODUCT_MEDIA:
        return False
    if item.kind is EvidenceKind.FILE:
        return (item.content_type or "").startswith(("image/", "video/"))
    return item.kind is EvidenceKind.LINK and item.media in (LinkMedia.IMAGE, LinkMedia.VIDEO)


def missing_proof(
    order: Order, reason: DisputeReason, buyer_email: str | None, evidence: Sequence[Evidence]
) -> list[str]:
    """The proof a new dispute still lacks, in the order the bot should ask for it."""
    present = {
        "buyer_email": bool(buyer_email and is_email(buyer_email)),
        "buyer_complaint": any(e.purpose is EvidencePurpose.BUYER_COMPLAINT for e in evidence),
        "product_media": any(_shows_product(e) for e in evidence),
    }
    return [need for need in _required_proof(order.kind, reason) if not present[need]]


# ---------------------------------------------------------------- opening a dispute


@dataclass(frozen=True)
class LineClaim:
    """Part of an order line a new dispute covers."""

    line: OrderLine
    quantity: int


def check_new_dispute(
    order: Order,
    requested: Iterable[tuple[int, int]] | None,
    expected_result: ExpectedResult,
    reason: DisputeReason,
    buyer_email: str | None,
    evidence: Sequence[Evidence],
) -> list[LineClaim]:
    """Every rule a new dispute must pass, in the order a seller would want to hear them; returns the lines
    it covers or raises RuleViolation."""
    verdict = dispute_verdict(order)
    if verdict.reason in _NOT_DISPUTABLE_BECAUSE.values():
        raise RuleViolation(409, "order_not_disputable", _NOT_DISPUTABLE_MESSAGES[verdict.reason],
                            {"reason": verdict.reason, "status": order.status.value})
    claims = _claims(order, requested)
    covered = lines_in_active_disputes(order)
    clashing = sorted(c.line.line_no for c in claims if c.line.line_no in covered)
    if clashing:
        raise RuleViolation(
            409, "dispute_already_open",
            "An order line can be in only one active dispute at a time (our own rule); add a message to the "
            "open dispute instead.",
            {"line_nos": clashing, "dispute_numbers": sorted({covered[n] for n in clashing})},
        )
    if expected_result is ExpectedResult.RESEND and refund_only(order):
        raise RuleViolation(422, "refund_only_before_dispatch",
                            "This order is paid but not dispatched yet, so the dispute can only ask for a refund.")
    missing = missing_proof(order, reason, buyer_email, evidence)
    if missing:
        raise RuleViolation(422, "proof_required", "The dispute needs more proof before it can be opened.",
                            {"missing": missing})
    return claims


_NOT_DISPUTABLE_MESSAGES = {
    "unpaid": "This order isn't paid yet, so there is nothing to dispute; it can be cancelled instead.",
    "closed": "Disputes can't be opened for closed orders.",
    "cancelled": "This order was cancelled, so there is nothing to dispute.",
}


def _claims(order: Order, requested: Iterable[tuple[int, int]] | None) -> list[LineClaim]:
    by_no = {line.line_no: line for line in order.lines}
    if requested is None:
        return [LineClaim(line, line.quantity) for line in order.lines]
    claims: list[LineClaim] = []
    seen: set[int] = set()
    for line_no, quantity in requested:
        line = by_no.get(line_no)
        if line is None or line_no in seen or not 1 <= quantity <= line.quantity:
            raise RuleViolation(422, "validation_failed", "The dispute names lines or quantities the order doesn't have.",
                                {"line_no": line_no, "quantity": quantity,
                                 "lines": {n: l.quantity for n, l in by_no.items()}})
        seen.add(line_no)
        claims.append(LineClaim(line, quantity))
    return claims


# ---------------------------------------------------------------- an open dispute

DISPUTE_TAKES_MESSAGES = ACTIVE_DISPUTE_STATUSES
# OUR OWN RULE: no cancelling once the seller agreed to a resend (the resend is then under way).
# Seed 002 §5: after "Agree", "CJ will handle the following part"; seed 002 §6 lets the seller cancel, naming no limit.
SELLER_MAY_CANCEL = (DisputeStatus.OPEN, DisputeStatus.RESEND_PROPOSED)


def require_dispute_open(dispute: Dispute, statuses: Sequence[DisputeStatus] = DISPUTE_TAKES_MESSAGES) -> None:
    """Seed 002: a seller may add messages to, or cancel, a dispute that is still open."""
    if dispute.status not in statuses:
        raise RuleViolation(409, "dispute_not_open", "This dispute is no longer open.",
                            {"status": dispute.status.value})


def require_resend_proposed(dispute: Dispute) -> None:
    """Seed 002 §5: the seller checks the resend information and clicks Agree."""
    if dispute.status is not DisputeStatus.RESEND_PROPOSED or dispute.resend is None:
        raise RuleViolation(409, "no_resend_proposed", "There is no resend proposal waiting for your agreement.",
                            {"status": dispute.status.value})


# ---------------------------------------------------------------- platform transitions

ORDER_TRANSITIONS: dict[str, tuple[tuple[OrderStatus, ...], OrderStatus]] = {
    "pay": ((OrderStatus.UNPAID,), OrderStatus.PAID),
    "dispatch": ((OrderStatus.PAID,), OrderStatus.DISPATCHED),
    "deliver": ((OrderStatus.DISPATCHED,), OrderStatus.DELIVERED),
    "complete": ((OrderStatus.DISPATCHED, OrderStatus.DELIVERED), OrderStatus.COMPLETED),
    "close": ((OrderStatus.PAID, OrderStatus.DISPATCHED, OrderStatus.DELIVERED, OrderStatus.COMPLETED),
              OrderStatus.CLOSED),
    "cancel": ((OrderStatus.UNPAID,), OrderStatus.CANCELLED),
}


def check_order_transition(order: Order, step: str) -> OrderStatus:
    """The platform moves orders forward one step at a time; a dispatch waits while a dispute stops processing,
    and an order with an active dispute cannot be closed."""
    sources, target = ORDER_TRANSITIONS[step]
    if order.status not in sources:
        raise RuleViolation(409, "invalid_transition", f"An order that is {order.status.value} can't be {step}ed.",
                            {"status": order.status.value, "step": step})
    if step == "dispatch" and order.processing is Processing.STOPPED_BY_DISPUTE:
        raise RuleViolation(409, "processing_stopped", "Processing is stopped while a dispute is open.",
                            {"dispute_numbers": [d.number for d in active_disputes(order)]})
    # OUR OWN RULE: no closing an order with an active dispute (closing would strand it; the dispute ends first).
    # Seed 002 §1: no dispute can be opened for a closed order.
    if step == "close" and active_disputes(order):
        raise RuleViolation(409, "dispute_open", "An order with an active dispute can't be closed.",
                            {"dispute_numbers": [d.number for d in active_disputes(order)]})
    return target


def check_dispute_decision(dispute: Dispute, decision: str) -> None:
    """Which platform decision fits which dispute state."""
    allowed = {
        "approve_refund": (DisputeStatus.OPEN,),
        "propose_resend": (DisputeStatus.OPEN,),
        "ship_resend": (DisputeStatus.RESEND_AGREED,),
        "reject": ACTIVE_DISPUTE_STATUSES,
    }[decision]
    if dispute.status not in allowed:
        raise RuleViolation(409, "invalid_transition", f"A dispute that is {dispute.status.value} can't take that.",
                            {"status": dispute.status.value, "decision": decision})
    if decision == "approve_refund" and dispute.expected_result is not ExpectedResult.REFUND:
        raise RuleViolation(409, "invalid_transition", "This dispute asks for a resend, not a refund.",
                            {"expected_result": dispute.expected_result.value})
    if decision == "propose_resend" and dispute.expected_result is not ExpectedResult.RESEND:
        raise RuleViolation(409, "invalid_transition", "This dispute asks for a refund, not a resend.",
                            {"expected_result": dispute.expected_result.value})


def refundable_cents(dispute: Dispute) -> int:
    """What a refund on this dispute may pay at most: the disputed lines' value, and never more than the order
    total minus the refunds already approved on it."""
    # OUR OWN RULE: a refund is capped at the disputed lines' value (+ shipping for a whole order); no seed names sums.
    lines_value = sum(line.quantity * line.order_line.unit_price_cents for line in dispute.lines)
    order = dispute.order
    if {line.order_line_id for line in dispute.lines} == {line.id for line in order.lines}:
        lines_value += order.shipping_cents  # a whole-order dispute refunds the shipping too
    already = sum(d.refund.amount_cents for d in order.disputes if d.refund is not None and d.id != dispute.id)
    return max(0, min(lines_value, order.amount_cents - already))


# ---------------------------------------------------------------- returns

RETURN_TRANSITIONS: dict[ReturnStatus, tuple[ReturnStatus, ...]] = {
    # Seed 000 §4.3: the buyer fills in the form. OUR OWN RULE: the platform may also close a link never used
    # (a buyer who changed their mind would otherwise block the order's next return for good).
    ReturnStatus.LINK_SENT: (ReturnStatus.BUYER_SUBMITTED, ReturnStatus.CLOSED),
    # Seed 000 §4.4: after the form, the agent settles the return; the platform then closes it.
    ReturnStatus.BUYER_SUBMITTED: (ReturnStatus.CLOSED,),
    # OUR OWN RULE: a closed return stays closed (a new return for the order is a new request with a new link).
    ReturnStatus.CLOSED: (),
}


def check_return_transition(current: ReturnStatus, target: ReturnStatus) -> None:
    if target not in RETURN_TRANSITIONS[current]:
        raise RuleViolation(409, "invalid_transition", f"A return that is {current.value} can't become {target.value}.",
                            {"status": current.value, "target": target.value,
                             "allowed": [s.value for s in RETURN_TRANSITIONS[current]]})


# ---------------------------------------------------------------- tickets

TICKET_TRANSITIONS: dict[TicketStatus, tuple[TicketStatus, ...]] = {
    TicketStatus.NEW: (TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.SOLVED, TicketStatus.CLOSED),
    TicketStatus.OPEN: (TicketStatus.PENDING, TicketStatus.SOLVED, TicketStatus.CLOSED),
    TicketStatus.PENDING: (TicketStatus.OPEN, TicketStatus.SOLVED, TicketStatus.CLOSED),
    TicketStatus.SOLVED: (TicketStatus.OPEN, TicketStatus.CLOSED),
    TicketStatus.CLOSED: (),
}


def check_ticket_transition(current: TicketStatus, target: TicketStatus) -> None:
    if target not in TICKET_TRANSITIONS[current]:
        raise RuleViolation(409, "invalid_transition", f"A {current.value} ticket can't become {target.value}.",
                            {"status": current.value, "target": target.value,
                             "allowed": [s.value for s in TICKET_TRANSITIONS[current]]})


# OUR OWN targets (no seed names them): first response and resolution, by priority.
SLA_HOURS: dict[Priority, tuple[float, float]] = {
    Priority.URGENT: (0.25, 4),
    Priority.HIGH: (1, 8),
    Priority.NORMAL: (4, 24),
    Priority.LOW: (8, 48),
}


def sla_due(priority: Priority, opened: datetime, hours: SupportHours = ALWAYS) -> tuple[datetime, datetime]:
    """(first response due, resolution due) for a ticket opened at `opened` with this priority, counted in the
    support team's hours (ALEX_SUPPORT_HOURS; calendar hours when none are configured): a normal ticket opened on
    Friday evening is due on Monday morning, not on Saturday at midnight."""
    first, resolution = SLA_HOURS[priority]
    return hours.add(opened, timedelta(hours=first)), hours.add(opened, timedelta(hours=resolution))


_PRIORITY_ORDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)


def raised_priority(current: Priority, requested: Priority | None) -> Priority:
    """OUR OWN RULE: a later escalation of the same conversation may raise the priority, never lower it (a second
    call for help is never less urgent than the first)."""
    if requested is None:
        return current
    return max(current, requested, key=_PRIORITY_ORDER.index)


def default_priority(reasons: Iterable[str]) -> Priority:
    """OUR OWN triage: money at risk or a blocked account first, an upset seller next."""
    reasons = set(reasons)
    if reasons & {"chargeback", "account_blocked"}:
        return Priority.URGENT
    if reasons & {"frustration", "backend_failure"}:
        return Priority.HIGH
    return Priority.NORMAL
