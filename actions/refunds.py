"""Refund status: what happened to the money for each order or dispute the seller names, from the backend's
facts, or the seller's recent refunds when they name none (seed 001 §14: order logs, Disputes, wallet)."""

from __future__ import annotations

from typing import Any, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendClient, BackendUnavailable, Dispute, NotFound, Order, Refund, Rejected
from actions.conversation import Turn, day
from actions.forms import backend_failure, offer
from actions.seller import verified_seller
from bot.order_numbers import MalformedNumber, NumberKind, canonical, kind_of

MAX_LOOKUPS = 5  # numbers answered per message; more would flood the chat
RECENT_REFUNDS = 5

_REFUND_RESPONSES = {
    ("balance", "done"): "utter_refund_done_balance",
    ("balance", "pending"): "utter_refund_pending_balance",
    ("original", "done"): "utter_refund_done_original",
    ("original", "pending"): "utter_refund_pending_original",
}
_NO_REFUND_RESPONSES = {
    "open": "utter_no_refund_dispute_open",
    "resend_proposed": "utter_no_refund_dispute_resend",
    "resend_agreed": "utter_no_refund_dispute_resend",
    "rejected": "utter_no_refund_dispute_rejected",
    "resent": "utter_no_refund_dispute_resent",
    "cancelled": "utter_no_refund_dispute_cancelled",
}
_ORDER_WITHOUT_DISPUTE_RESPONSES = {
    "unpaid": "utter_no_refund_unpaid",
    "closed": "utter_no_refund_closed",
    "cancelled": "utter_no_refund_cancelled",
}


class ActionRefundStatus(Action):
    """Answers where the refund is for every number in the message (or the one in play), else lists the
    seller's recent refunds."""

    def __init__(self) -> None:
        self.backend = BackendClient.from_environment()

    def name(self) -> Text:
        return "action_refund_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SlotSet("order_number", None)]
        seller_id = verified_seller(tracker)
        if seller_id is None:
            dispatcher.utter_message(response="utter_identity_required")
            return events
        raws = list(Turn.of(tracker).raw_numbers) or [n for n in [tracker.get_slot("order_number")] if n]
        numbers: list[str] = []
        for raw in raws:
            try:
                number = canonical(raw)
            except MalformedNumber:
                dispatcher.utter_message(response="utter_malformed_number", raw_number=raw[:40])
                continue
            if number not in numbers:
                numbers.append(number)
        try:
            if numbers:
                told_a_refund = False
                undisputed: list[Order] = []
                for number in numbers[:MAX_LOOKUPS]:
                    told, order = await self._answer(dispatcher, seller_id, number)
                    told_a_refund |= told
                    undisputed += [order] if order is not None else []
                if told_a_refund:
                    dispatcher.utter_message(response="utter_refund_where_to_see")
                if len(numbers) == 1 and undisputed:
                    events += offer_dispute(dispatcher, undisputed[0])
            elif not raws:
                await self._recent(dispatcher, seller_id)
        except BackendUnavailable:
            return events + backend_failure(dispatcher)
        return events

    async def _answer(self, dispatcher: CollectingDispatcher, seller_id: str, number: str
                      ) -> tuple[bool, Order | None]:
        """Tell the refund facts of one number: whether a refund was told, and the order if it has no dispute
        yet but may get one (a seller asking "refund?" about it usually wants one)."""
        try:
            if kind_of(number) is NumberKind.DISPUTE:
                disputes: tuple[Dispute, ...] = (await self.backend.dispute(seller_id, number),)
                order: Order | None = None
            else:
                order = await self.backend.order(seller_id, number)
                disputes = order.disputes
        except (NotFound, Rejected):
            dispatcher.utter_message(response="utter_order_not_found", order_number=number)
            return False, None
        for dispute in disputes:
            tell_refund(dispatcher, dispute)
        if not disputes and order is not None:
            dispatcher.utter_message(
                response=_ORDER_WITHOUT_DISPUTE_RESPONSES.get(order.status, "utter_no_refund_no_dispute"),
                order_number=order.number,
            )
            return False, order if order.can_dispute.allowed else None
        return any(d.refund for d in disputes), None

    async def _recent(self, dispatcher: CollectingDispatcher, seller_id: str) -> None:
        refunds = await self.backend.refunds(seller_id, limit=RECENT_REFUNDS)
        if not refunds:
            dispatcher.utter_message(response="utter_no_recent_refunds")
            return
        dispatcher.utter_message(response="utter_recent_refunds")
        for refund in refunds:
            dispatcher.utter_message(**_refund_message(refund, refund.order_number or "", refund.dispute_number or ""))
        dispatcher.utter_message(response="utter_refund_where_to_see")
        dispatcher.utter_message(response="utter_refund_other_order")


def _refund_message(refund: Refund, order_number: str, dispute_number: str) -> dict[str, Any]:
    return {
        "response": _REFUND_RESPONSES[(refund.method, refund.status)],
        "amount": refund.amount, "currency": refund.currency, "order_number": order_number,
        "dispute_number": dispute_number, "approved_date": day(refund.approved_at),
        "completed_date": day(refund.completed_at),
    }


def offer_dispute(dispatcher: CollectingDispatcher, order: Order) -> list[EventType]:
    """Offer to open a dispute on an order that has none: for a refund before dispatch (the only kind then, FAQ
    11 of CJ's help center), otherwise asking refund or resend in the flow."""
    entities: dict[str, str] = {"order_number": order.number}
    response = "utter_offer_dispute"
    if order.status == "paid":
        entities.update(expected_result="refund", dispute_reason="cancel_before_dispatch")
        response = "utter_offer_refund_dispute"
    request = {"intent": "request_open_dispute", "entities": entities}
    return offer(dispatcher, {"kind": "request", "request": request}, response, order_number=order.number)


def tell_refund(dispatcher: CollectingDispatcher, dispute: Dispute) -> None:
    """The money side of one dispute: its refund, or why it has none."""
    if dispute.refund is not None:
        dispatcher.utter_message(**_refund_message(dispute.refund, dispute.order_number, dispute.number))
        return
    dispatcher.utter_message(
        response=_NO_REFUND_RESPONSES.get(dispute.status, "utter_no_refund_dispute_open"),
        order_number=dispute.order_number, dispute_number=dispute.number, opened_date=day(dispute.opened_at),
        resolved_date=day(dispute.resolved_at),
    )
