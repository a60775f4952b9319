"""Returns, as seed 000 §4 describes them: the seller gives the store link and a store image, the platform makes
a return link specific to the buyer, the seller sends it on, and the assigned agent handles the rest. Before the
seller confirms, Alex repeats the platform's warning (§4.5) about sending goods back to CJ's warehouses."""

from __future__ import annotations

from typing import Any, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendUnavailable, NotFound, Rejected
from actions.conversation import idempotency_key
from actions.forms import (
    INELIGIBLE,
    ORDER_FACTS,
    STOP_REASON,
    Context,
    FlowForm,
    FlowSubmit,
    SlotKind,
    backend_failure,
    offer,
    order_facts,
)
from actions.orders import AskForOrder

_NOT_RETURNABLE = {
    "not_delivered": "utter_return_not_delivered",
    "not_a_store_order": "utter_return_not_store_order",
    "closed": "utter_return_order_closed",
    "cancelled": "utter_return_order_cancelled",
    "return_open": "utter_return_already_open",
}


class ValidateReturnForm(FlowForm, Action):
    """Which delivered store order, the store link, the store image, then the seller's yes."""

    form_name = "return_form"
    trigger_intents = frozenset({"request_return", "ask_return_order"})
    slot_kinds = {"return_order": SlotKind.NUMBER, "store_link": SlotKind.LINK, "store_image": SlotKind.IMAGE,
                  "return_confirmed": SlotKind.CONFIRM}
    extra_slots = (ORDER_FACTS,)

    async def validate_return_order(self, value: Any, ctx: Context) -> dict[str, Any]:
        order = await self.verified_order(value, "return_order", ctx)
        if order is None:
            return {"return_order": None, ORDER_FACTS: None}
        if not order.can_return.allowed:
            ctx.say(_NOT_RETURNABLE.get(order.can_return.reason or "", "utter_return_not_possible"),
                    order_number=order.number)
            return {"return_order": order.number, STOP_REASON: INELIGIBLE}
        return {"return_order": order.number, ORDER_FACTS: order_facts(order), "return_confirmed": None}

    async def validate_store_link(self, value: Any, ctx: Context) -> dict[str, Any]:
        if not isinstance(value, str):
            ctx.say("utter_return_form_store_link_invalid")
            return {"store_link": None}
        link = value if value.lower().startswith(("http://", "https://")) else f"https://{value}"
        return {"store_link": link, "return_confirmed": None}

    async def validate_store_image(self, value: Any, ctx: Context) -> dict[str, Any]:
        if not isinstance(value, dict) or value.get("kind") not in ("file", "link"):
            ctx.say("utter_return_form_store_image_invalid")
            return {"store_image": None}
        return {"store_image": value, "return_confirmed": None}


class AskReturnOrder(AskForOrder, Action):
    """Which order to return: delivered store orders are the ones that can be."""

    form_name, slot, eligible_for = "return_form", "return_order", "return"


class AskReturnConfirmation(Action):
    """Summarises the return and repeats the platform's warning about returns to its warehouses."""

    def name(self) -> Text:
        return "action_ask_return_form_return_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_return_confirmed", order_number=tracker.get_slot("return_order"),
                                 store_link=tracker.get_slot("store_link"))
        return []


class ActionCreateReturn(FlowSubmit, Action):
    """Creates the return after the seller's yes and hands over the return link with the next steps."""

    form = ValidateReturnForm

    def name(self) -> Text:
        return "action_create_return"

    async def submit(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, seller_id: str
    ) -> list[EventType]:
        number = tracker.get_slot("return_order")
        if not number:
            return []
        if tracker.get_slot("return_confirmed") is not True:
            dispatcher.utter_message(response="utter_return_not_created", order_number=number)
            return []
        image = tracker.get_slot("store_image") or {}
        try:
            if image.get("kind") == "file":
                image_id = image["evidence_id"]
                await self.backend.set_evidence_purpose(seller_id, image_id, "store_image",
                                                        idempotency_key(tracker, f"store-image:{number}"))
            else:
                image_id = (await self.backend.add_link_evidence(
                    seller_id, image["url"], "image", "store_image", idempotency_key(tracker, f"store-image:{number}")
                )).id
            created = await self.backend.create_return(
                seller_id, number, tracker.get_slot("store_link"), image_id,
                idempotency_key(tracker, f"return:{number}"),
            )
        except NotFound:
            dispatcher.utter_message(response="utter_order_not_found", order_number=number)
            return []
        except Rejected as refusal:
            reason = refusal.details.get("reason") or ""
            dispatcher.utter_message(response=_NOT_RETURNABLE.get(reason, "utter_return_not_possible"),
                                     order_number=number)
            return []
        except BackendUnavailable:
            return backend_failure(dispatcher)
        dispatcher.utter_message(response="utter_return_created", return_number=created.number,
                                 return_link=created.return_link, order_number=number)
        # Seed 000 §4.4: the seller's assigned agent handles the dispute and the return from here.
        return offer(dispatcher, {"kind": "human", "reason": "needs_agent"}, "utter_offer_agent_for_return")
