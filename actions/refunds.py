"""Refund status: what happened to the money for one order or dispute, from the backend's facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendClient, BackendUnavailable, Dispute, NotFound, Order, Rejected
from actions.forms import OrderNumberValidation
from actions.seller import verified_seller
from bot.order_numbers import NumberKind, kind_of

_REFUND_RESPONSES = {
    ("balance", "done"): "utter_refund_done_balance",
    ("balance", "pending"): "utter_refund_pending_balance",
    ("original", "done"): "utter_refund_done_original",
    ("original", "pending"): "utter_refund_pending_original",
}
_NO_REFUND_RESPONSES = {
    "open": "utter_no_refund_dispute_open",
    "rejected": "utter_no_refund_dispute_rejected",
    "resent": "utter_no_refund_dispute_resent",
    "cancelled": "utter_no_refund_dispute_cancelled",
}
_ORDER_WITHOUT_DISPUTE_RESPONSES = {
    "unpaid": "utter_no_refund_unpaid",
    "closed": "utter_no_refund_closed",
}


def _day(moment: str | None) -> str:
    """'2024-10-15T10:00:00' -> '15 Oct 2024' (dates only: we never promise times we don't know)."""
    return datetime.fromisoformat(moment).strftime("%d %b %Y").lstrip("0") if moment else ""


class ValidateRefundStatusForm(OrderNumberValidation, FormValidationAction):
    """Validates the number the refund status form collects."""

    def name(self) -> Text:
        return "validate_refund_status_form"


class ActionRefundStatus(Action):
    """Looks up the refund for the order or dispute in `order_number` and tells the seller the facts."""

    def __init__(self) -> None:
        self.backend = BackendClient.from_environment()

    def name(self) -> Text:
        return "action_refund_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        number = tracker.get_slot("order_number")
        seller_id = verified_seller(tracker)
        if seller_id is None:
            dispatcher.utter_message(response="utter_identity_required")
        elif number:
            await self._answer(dispatcher, seller_id, number)
        return [SlotSet("order_number", None)]

    async def _answer(self, dispatcher: CollectingDispatcher, seller_id: str, number: str) -> None:
        try:
            if kind_of(number) is NumberKind.DISPUTE:
                disputes: tuple[Dispute, ...] = (await self.backend.dispute(seller_id, number),)
                order = None
            else:
                order = await self.backend.order(seller_id, number)
                disputes = order.disputes
        except (NotFound, Rejected):
            dispatcher.utter_message(response="utter_order_not_found", order_number=number)
            return
        except BackendUnavailable:
            dispatcher.utter_message(response="utter_backend_unavailable")
            return

        if disputes:
            for dispute in disputes:
                self._tell_dispute(dispatcher, dispute)
            if any(d.refund for d in disputes):
                dispatcher.utter_message(response="utter_refund_where_to_see")
        elif order is not None:
            self._tell_order_without_dispute(dispatcher, order)

    @staticmethod
    def _tell_dispute(dispatcher: CollectingDispatcher, dispute: Dispute) -> None:
        facts: dict[str, Any] = {
            "order_number": dispute.order_number,
            "dispute_number": dispute.number,
            "opened_date": _day(dispute.opened_at),
            "resolved_date": _day(dispute.resolved_at),
        }
        refund = dispute.refund
        if refund is not None:
            dispatcher.utter_message(
                response=_REFUND_RESPONSES[(refund.method, refund.status)],
                amount=refund.amount,
                currency=refund.currency,
                approved_date=_day(refund.approved_at),
                completed_date=_day(refund.completed_at),
                **facts,
            )
        else:
            dispatcher.utter_message(
                response=_NO_REFUND_RESPONSES.get(dispute.status, "utter_no_refund_dispute_open"), **facts
            )

    @staticmethod
    def _tell_order_without_dispute(dispatcher: CollectingDispatcher, order: Order) -> None:
        dispatcher.utter_message(
            response=_ORDER_WITHOUT_DISPUTE_RESPONSES.get(order.status, "utter_no_refund_no_dispute"),
            order_number=order.number,
        )
