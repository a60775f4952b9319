"""The rules as pure functions over model objects (no database): what the eligibility flags say and why."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.backend import rules
from bot.backend.models import (
    Dispute,
    DisputeLine,
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
    TicketStatus,
)


def order(status: OrderStatus, kind: OrderKind = OrderKind.STORE, lines: int = 2) -> Order:
    made = Order(number="CJ2411050099999", kind=kind, status=status, shipping_cents=100, currency="USD",
                 processing=Processing.RUNNING)
    made.lines = [OrderLine(id=i, line_no=i, sku=f"S{i}", product=f"P{i}", quantity=2, unit_price_cents=500)
                  for i in range(1, lines + 1)]
    made.disputes = []
    made.returns = []
    return made


def with_dispute(made: Order, status: DisputeStatus, line_nos: tuple[int, ...]) -> Dispute:
    dispute = Dispute(number="SH2411060999", status=status, expected_result=ExpectedResult.REFUND,
                      reason=DisputeReason.DELAYED_ORDER, opened_at=datetime(2024, 11, 6))
    dispute.lines = [DisputeLine(order_line=line, order_line_id=line.id, quantity=1)
                     for line in made.lines if line.line_no in line_nos]
    made.disputes.append(dispute)
    return dispute


@pytest.mark.parametrize("status, allowed, reason", [
    (OrderStatus.UNPAID, True, None),
    (OrderStatus.PAID, False, "paid_not_dispatched"),
    (OrderStatus.DISPATCHED, False, "dispatched"),
    (OrderStatus.COMPLETED, False, "dispatched"),
    (OrderStatus.CLOSED, False, "closed"),
    (OrderStatus.CANCELLED, False, "already_cancelled"),
])
def test_cancel_is_allowed_before_payment_only(status: OrderStatus, allowed: bool, reason: str | None) -> None:
    assert rules.cancel_verdict(order(status)) == rules.Verdict(allowed, reason)


@pytest.mark.parametrize("status, reason", [(OrderStatus.UNPAID, "unpaid"), (OrderStatus.CLOSED, "closed"),
                                            (OrderStatus.CANCELLED, "cancelled")])
def test_no_dispute_for_unpaid_closed_or_cancelled_orders(status: OrderStatus, reason: str) -> None:
    verdict = rules.dispute_verdict(order(status))
    assert (verdict.allowed, verdict.reason) == (False, reason)


def test_a_paid_undispatched_order_offers_a_refund_only() -> None:
    assert rules.dispute_verdict(order(OrderStatus.PAID)).extra["expected_results"] == ["refund"]
    assert rules.dispute_verdict(order(OrderStatus.DELIVERED)).extra["expected_results"] == ["refund", "resend"]


def test_lines_in_an_active_dispute_are_not_offered_again_and_processing_stops() -> None:
    made = order(OrderStatus.DISPATCHED)
    with_dispute(made, DisputeStatus.OPEN, (1,))
    verdict = rules.dispute_verdict(made)
    assert verdict.allowed and verdict.extra["line_nos"] == [2]
    assert rules.processing_for(made) is Processing.STOPPED_BY_DISPUTE
    with_dispute(made, DisputeStatus.RESEND_PROPOSED, (2,))
    assert rules.dispute_verdict(made).reason == "dispute_already_open"


def test_an_ended_dispute_frees_its_lines() -> None:
    made = order(OrderStatus.DISPATCHED)
    with_dispute(made, DisputeStatus.CANCELLED, (1, 2))
    assert rules.dispute_verdict(made).extra["line_nos"] == [1, 2]
    assert rules.processing_for(made) is Processing.RUNNING


def test_proof_depends_on_the_reason_and_is_the_same_for_every_order_kind() -> None:
    store, sample = order(OrderStatus.DELIVERED), order(OrderStatus.DELIVERED, OrderKind.SAMPLE)
    assert rules.missing_proof(store, DisputeReason.DAMAGED_PRODUCT, None, []) == [
        "buyer_email", "buyer_complaint", "product_media"]
    assert rules.missing_proof(sample, DisputeReason.DELAYED_ORDER, None, []) == ["buyer_email", "buyer_complaint"]
    note = Evidence(kind=EvidenceKind.NOTE, purpose=EvidencePurpose.BUYER_COMPLAINT, text="x")
    video = Evidence(kind=EvidenceKind.LINK, purpose=EvidencePurpose.PRODUCT_MEDIA, media=LinkMedia.VIDEO, url="u")
    page = Evidence(kind=EvidenceKind.LINK, purpose=EvidencePurpose.PRODUCT_MEDIA, media=LinkMedia.PAGE, url="u")
    assert rules.missing_proof(store, DisputeReason.WRONG_PRODUCT, "b@mail.example", [note, page]) == ["product_media"]
    assert rules.missing_proof(store, DisputeReason.WRONG_PRODUCT, "b@mail.example", [note, video]) == []
    assert rules.missing_proof(store, DisputeReason.LOST_PACKAGE, "not-an-email", [note]) == ["buyer_email"]


def test_returns_are_for_delivered_store_orders() -> None:
    assert rules.return_verdict(order(OrderStatus.DELIVERED)).allowed
    assert rules.return_verdict(order(OrderStatus.DISPATCHED)).reason == "not_delivered"
    assert rules.return_verdict(order(OrderStatus.COMPLETED, OrderKind.WHOLESALE)).reason == "not_a_store_order"


def test_a_refund_is_capped_by_the_disputed_lines_and_earlier_refunds() -> None:
    made = order(OrderStatus.DELIVERED)
    partial = with_dispute(made, DisputeStatus.OPEN, (1,))
    partial.order = made
    assert rules.refundable_cents(partial) == 500  # one of two units at 5.00
    whole = with_dispute(made, DisputeStatus.OPEN, (1, 2))
    whole.order = made
    assert rules.refundable_cents(whole) == 2 * 500 + 100  # both lines plus shipping


def test_ticket_statuses_move_only_along_allowed_transitions() -> None:
    rules.check_ticket_transition(TicketStatus.NEW, TicketStatus.OPEN)
    rules.check_ticket_transition(TicketStatus.SOLVED, TicketStatus.OPEN)
    with pytest.raises(rules.RuleViolation):
        rules.check_ticket_transition(TicketStatus.CLOSED, TicketStatus.OPEN)
    with pytest.raises(rules.RuleViolation):
        rules.check_ticket_transition(TicketStatus.OPEN, TicketStatus.NEW)


def test_priority_only_rises_and_money_or_a_blocked_account_comes_first() -> None:
    assert rules.raised_priority(Priority.HIGH, Priority.LOW) is Priority.HIGH
    assert rules.raised_priority(Priority.NORMAL, Priority.URGENT) is Priority.URGENT
    assert rules.default_priority(["chargeback"]) is Priority.URGENT
    assert rules.default_priority(["frustration", "seller_request"]) is Priority.HIGH
    assert rules.default_priority(["seller_request"]) is Priority.NORMAL
