"""Orders: where an order is (state, dispatch date, carrier, tracking; never a made-up delivery date), and
cancelling one (seed 001 §11: before payment only; a paid, undispatched order takes a refund dispute instead)."""

from __future__ import annotations

from typing import Any, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendClient, BackendUnavailable, NotFound, Order, Rejected
from actions.conversation import FLOW_INTENTS, day, idempotency_key, is_dispute_number, replay
from actions.forms import (
    ORDER_FACTS,
    Context,
    FlowForm,
    FlowSubmit,
    AskWithPickList,
    NumberLookup,
    SlotKind,
    backend_failure,
    clear_offer,
    offer,
    order_facts,
    well_formed_numbers,
)
from actions.seller import verified_seller
from actions.tickets import add_to_waiting_ticket, ticket_waiting
from bot.order_numbers import MalformedNumber, canonical



# ------------------------------------------------------------------------------------------ order status


class ValidateOrderStatusForm(FlowForm, Action):
    """Collects the order number(s) to look up; several at once are fine."""

    form_name = "order_status_form"
    trigger_intents = frozenset({"check_order_status"})
    slot_kinds = {"status_orders": SlotKind.NUMBERS}

    async def validate_status_orders(self, value: Any, ctx: Context) -> dict[str, Any]:
        return {"status_orders": well_formed_numbers(value, ctx) or None}


class AskForOrder(AskWithPickList):
    """Asks which order, offering the seller's recent orders the flow can act on (by the backend's eligibility)."""

    eligible_for = ""  # "cancel", "dispute" or "return": offer only orders the backend allows it for

    def wanted(self, order: Order) -> bool:
        return not self.eligible_for or getattr(order, f"can_{self.eligible_for}").allowed

    async def candidates(self, seller_id: str) -> list[str]:
        return [o.number for o in await self.backend.orders(seller_id, limit=20) if self.wanted(o)]


class AskOrderToCheck(AskForOrder, Action):
    """Which order to look up."""

    form_name = "order_status_form"
    slot = "status_orders"


class ActionOrderStatus(NumberLookup, Action):
    """Tells the state of each order asked about: dispatch date, carrier and tracking when it has them."""

    slot = "status_orders"

    def name(self) -> Text:
        return "action_order_status"

    async def tell(self, dispatcher: CollectingDispatcher, domain: DomainDict, seller_id: str, number: str) -> None:
        from actions.disputes import tell_dispute  # disputes import orders' helpers; keep the cycle lazy

        if is_dispute_number(number):
            tell_dispute(dispatcher, domain, await self.backend.dispute(seller_id, number))
        else:
            tell_order(dispatcher, await self.backend.order(seller_id, number))


_STATUS_RESPONSES = {
    "unpaid": "utter_order_status_unpaid",
    "paid": "utter_order_status_paid",
    "delivered": "utter_order_status_delivered",
    "completed": "utter_order_status_completed",
    "closed": "utter_order_status_closed",
    "cancelled": "utter_order_status_cancelled",
}


def tell_order(dispatcher: CollectingDispatcher, order: Order) -> None:
    """One order's state from the backend's facts; a delivery date only when the carrier reported one."""
    facts = {
        "order_number": order.number, "amount": order.amount, "currency": order.currency,
        "paid_date": day(order.paid_at), "dispatched_date": day(order.dispatched_at),
        "delivered_date": day(order.delivered_at), "carrier": order.carrier or "",
        "tracking_number": order.tracking_number or "",
    }
    if order.status == "dispatched":
        response = ("utter_order_status_dispatched" if order.tracking_number
                    else "utter_order_status_dispatched_no_tracking")
    elif order.status == "completed" and not order.delivered_at:
        response = "utter_order_status_completed_shipped"
    else:
        response = _STATUS_RESPONSES.get(order.status, "utter_order_status_unknown")
    dispatcher.utter_message(response=response, **facts)
    if order.processing == "stopped_by_dispute" and order.active_disputes:
        dispatcher.utter_message(response="utter_order_on_hold", order_number=order.number,
                                 dispute_number=order.active_disputes[0].number)


# ------------------------------------------------------------------------------------------ cancel


class ValidateCancelOrderForm(FlowForm, Action):
    """Which order to cancel, and (only when the backend says it can be cancelled) the seller's yes."""

    form_name = "cancel_order_form"
    trigger_intents = frozenset({"request_cancel_order", "ask_cancel_order"})
    slot_kinds = {"cancel_order": SlotKind.NUMBER, "cancel_confirmed": SlotKind.CONFIRM}
    extra_slots = (ORDER_FACTS,)

    def required_slots(self, values: dict[str, Any]) -> list[str]:
        facts = values.get(ORDER_FACTS) or {}
        return ["cancel_order"] + (["cancel_confirmed"] if facts.get("cancel_allowed") else [])

    async def validate_cancel_order(self, value: Any, ctx: Context) -> dict[str, Any]:
        order = await self.verified_order(value, "cancel_order", ctx)
        if order is None:
            return {"cancel_order": None, ORDER_FACTS: None}
        return {"cancel_order": order.number, ORDER_FACTS: order_facts(order), "cancel_confirmed": None}


class AskOrderToCancel(AskForOrder, Action):
    """Which order to cancel: the unpaid ones are the ones that can be."""

    form_name, slot, eligible_for = "cancel_order_form", "cancel_order", "cancel"


class AskCancelConfirmation(Action):
    """Asks the seller to confirm cancelling, naming the order and its amount."""

    def name(self) -> Text:
        return "action_ask_cancel_order_form_cancel_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        facts = tracker.get_slot(ORDER_FACTS) or {}
        dispatcher.utter_message(response="utter_ask_cancel_confirmed", order_number=facts.get("number", ""),
                                 amount=facts.get("amount", ""), currency=facts.get("currency", ""))
        return []


_CANNOT_CANCEL = {
    "dispatched": "utter_cancel_dispatched",
    "closed": "utter_cancel_closed",
    "already_cancelled": "utter_cancel_already_cancelled",
}


class ActionCancelOrder(FlowSubmit, Action):
    """Cancels the order after the seller's yes, or explains what they can do instead."""

    form = ValidateCancelOrderForm

    def name(self) -> Text:
        return "action_cancel_order"

    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, seller_id: str
    ) -> list[EventType]:
        facts = tracker.get_slot(ORDER_FACTS) or {}
        number = facts.get("number") or tracker.get_slot("cancel_order")
        if not number:
            return []
        if not facts.get("cancel_allowed"):
            return explain_not_cancellable(dispatcher, facts, facts.get("cancel_reason"))
        if tracker.get_slot("cancel_confirmed") is not True:
            dispatcher.utter_message(response="utter_cancel_declined", order_number=number)
            return []
        try:
            await self.backend.cancel_order(seller_id, number, idempotency_key(tracker, f"cancel:{number}"))
        except NotFound:
            dispatcher.utter_message(response="utter_order_not_found", order_number=number)
            return []
        except Rejected as refusal:
            # The order moved on since we checked (paid meanwhile, say): explain with its new state.
            status = refusal.details.get("status")
            reason = {"paid": "paid_not_dispatched", "cancelled": "already_cancelled"}.get(status, status)
            if reason in ("delivered", "completed"):
                reason = "dispatched"
            return explain_not_cancellable(dispatcher, {**facts, "dispute_allowed": reason == "paid_not_dispatched"},
                                           reason)
        except BackendUnavailable:
            return backend_failure(dispatcher)
        dispatcher.utter_message(response="utter_order_cancelled", order_number=number)
        return []


def correction_of_last_request(tracker: Tracker, number: str) -> dict[str, Any] | None:
    """The seller's previous message, asked again about `number`, when it was a request about one other number
    (the seller corrects the number they gave); None otherwise."""
    users = [e for e in tracker.events or [] if e.get("event") == "user"]
    if len(users) < 2:
        return None
    previous = users[-2].get("parse_data") or {}
    intent = (previous.get("intent") or {}).get("name")
    numbers = {str(e.get("value")) for e in previous.get("entities") or [] if e.get("entity") == "order_number"}
    if intent not in FLOW_INTENTS or len(numbers) != 1 or number in numbers:
        return None
    entities = [e for e in previous.get("entities") or [] if e.get("entity") != "order_number"]
    entities.append({"entity": "order_number", "value": number})
    return {"text": "/" + intent, "intent": {"name": intent, "confidence": 1.0}, "entities": entities,
            "metadata": (tracker.latest_message or {}).get("metadata") or {}}


def explain_not_cancellable(dispatcher: CollectingDispatcher, facts: dict[str, Any], reason: str | None
                            ) -> list[EventType]:
    number = facts.get("number", "")
    if reason == "paid_not_dispatched":
        if facts.get("active_disputes"):
            dispatcher.utter_message(response="utter_cancel_paid_disputed", order_number=number,
                                     dispute_number=facts["active_disputes"][0])
            return []
        dispatcher.utter_message(response="utter_cancel_paid", order_number=number)
        request = {"intent": "request_open_dispute", "entities": {
            "order_number": number, "expected_result": "refund", "dispute_reason": "cancel_before_dispatch"}}
        return offer(dispatcher, {"kind": "request", "request": request}, "utter_offer_refund_dispute",
                     order_number=number)
    dispatcher.utter_message(response=_CANNOT_CANCEL.get(reason or "", "utter_cancel_not_possible"),
                             order_number=number, dispatched_date=day(facts.get("dispatched_at")))
    return []


class ActionWhatAboutNumber(Action):
    """A bare number: right after a request about another number it corrects that number ("sorry, wrong one,
    it's CJ…" asks the same again); otherwise offers what Alex can do with it (a dispute's choices, an order's;
    for an unpaid order, cancelling it, which is what sellers most often want then)."""

    def __init__(self) -> None:
        self.backend = BackendClient.from_environment()

    def name(self) -> Text:
        return "action_what_about_number"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        from actions.conversation import Turn

        raws = list(Turn.of(tracker).raw_numbers) or [n for n in [tracker.get_slot("order_number")] if n]
        try:
            number = canonical(raws[-1]) if raws else None
        except MalformedNumber:
            dispatcher.utter_message(response="utter_malformed_number", raw_number=raws[-1][:40])
            return [SlotSet("order_number", None)]
        if number is None:
            dispatcher.utter_message(response="utter_default")
            return []
        corrected = correction_of_last_request(tracker, number)
        if corrected is not None:
            return clear_offer(tracker) + replay(corrected)
        if ticket_waiting(tracker):  # a number for the person who will pick up the ticket
            return [SlotSet("order_number", number)] + await add_to_waiting_ticket(self.backend, dispatcher, tracker)
        response = "utter_what_about_dispute" if is_dispute_number(number) else "utter_what_about_order"
        seller_id = verified_seller(tracker)
        if response == "utter_what_about_order" and seller_id is not None:
            try:
                if (await self.backend.order(seller_id, number)).can_cancel.allowed:
                    response = "utter_what_about_unpaid_order"
            except (BackendUnavailable, NotFound, Rejected):
                pass  # the generic choices still work; the flow chosen will say what is wrong
        dispatcher.utter_message(response=response, order_number=number)
        return [SlotSet("order_number", number)]
