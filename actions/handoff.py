"""Moving between flows, and to a person.

- Offers: an action that ends by offering something (a person after a failure, a refund dispute for a paid
  order, dropping the current flow for a new request) asks, stores the offer in `pending_offer` and sets
  `offer_pending`; while that is set, the rules send the seller's yes to `action_accept_offer` and their no to
  `action_decline_offer`.
- Switching: a new request in the middle of a flow that would write something pauses that flow and asks first;
  yes drops the paused flow and handles the new request as if just sent (the seller's own message is put back
  into the conversation, so the usual rules start it with its numbers); no resumes the paused flow where it was.
- Stopping: "stop" outside a form forgets whatever was paused or offered (inside a form the form handles it).
- A person: `request_human_agent`, or a yes to an offered person, creates (or updates) the conversation's ticket
  in the backend with the reason, the numbers in play and a summary an agent can act on; the seller gets its
  number.
"""

from __future__ import annotations

from typing import Any, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendClient
from actions.conversation import Turn, replay
from actions.disputes import (
    ValidateAgreeResendForm,
    ValidateCloseDisputeForm,
    ValidateDisputeMessageForm,
    ValidateDisputeStatusForm,
    ValidateOpenDisputeForm,
)
from actions.forms import (
    FAILURES,
    OFFER_PENDING,
    PENDING_OFFER,
    RESUME,
    STOP_REASON,
    FlowForm,
    clear_offer,
    offer,
    stop_form_events,
)
from actions.orders import ValidateCancelOrderForm, ValidateOrderStatusForm
from actions.returns import ValidateReturnForm
from actions.seller import verified_seller
from actions.tickets import add_to_waiting_ticket, open_ticket, ticket_waiting

FORMS: dict[str, type[FlowForm]] = {form.form_name: form for form in (
    ValidateOrderStatusForm, ValidateDisputeStatusForm, ValidateCancelOrderForm, ValidateOpenDisputeForm,
    ValidateAgreeResendForm, ValidateDisputeMessageForm, ValidateCloseDisputeForm, ValidateReturnForm,
)}

GLOBAL_FLOW_SLOTS = (PENDING_OFFER, OFFER_PENDING, RESUME, STOP_REASON, FAILURES)


def forget_flows(tracker: Tracker, keep: tuple[str, ...] = ()) -> list[EventType]:
    """SlotSet(None) for every flow's slots that hold something (except `keep`)."""
    slots = {s for form in FORMS.values() for s in form.owned_slots()} | set(GLOBAL_FLOW_SLOTS)
    return [SlotSet(s, None) for s in sorted(slots - set(keep)) if tracker.get_slot(s) is not None]


# ------------------------------------------------------------------------------------------ offers


class ActionOfferSwitch(Action):
    """Pauses the current flow because the seller asked for something else, and asks before dropping it."""

    def name(self) -> Text:
        return "action_offer_switch"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        paused = (tracker.active_loop or {}).get("name")
        message = tracker.latest_message or {}
        pending = {"kind": "switch", "from": paused, "message": {
            "text": message.get("text"), "intent": message.get("intent"), "entities": message.get("entities") or [],
            "metadata": message.get("metadata") or {},
        }}
        return stop_form_events() + offer(dispatcher, pending, f"utter_offer_switch_from_{paused}")


class ActionAcceptOffer(Action):
    """The seller said yes to the pending offer: a person now, or the offered request (the paused flow is
    dropped and the request is handled as if the seller had just sent it)."""

    def __init__(self) -> None:
        self.backend = BackendClient.from_environment()

    def name(self) -> Text:
        return "action_accept_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        pending = tracker.get_slot(PENDING_OFFER) or {}
        events: list[EventType] = clear_offer(tracker)
        kind = pending.get("kind")
        if kind == "human":
            reason = pending.get("reason", "seller_request")
            return events + await open_ticket(self.backend, dispatcher, tracker, reason)
        if kind == "switch":
            paused = FORMS.get(pending.get("from") or "")
            if paused is not None:
                events += [SlotSet(s, None) for s in paused.owned_slots() if tracker.get_slot(s) is not None]
            dispatcher.utter_message(response="utter_switched_flow")
            return events + replay(pending.get("message") or {})
        if kind == "request":
            request = pending.get("request") or {}
            metadata = (tracker.latest_message or {}).get("metadata") or {}
            entities = [{"entity": name, "value": value} for name, value in (request.get("entities") or {}).items()]
            return events + replay({"text": "/" + request.get("intent", ""), "entities": entities,
                                    "intent": {"name": request.get("intent"), "confidence": 1.0},
                                    "metadata": metadata})
        dispatcher.utter_message(response="utter_anything_else")
        return events


class ActionDeclineOffer(Action):
    """The seller said no: resume the paused flow where it was, or just carry on."""

    def name(self) -> Text:
        return "action_decline_offer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        pending = tracker.get_slot(PENDING_OFFER) or {}
        events: list[EventType] = clear_offer(tracker)
        paused = pending.get("from")
        if pending.get("kind") == "switch" and paused in FORMS:
            dispatcher.utter_message(response="utter_resume_flow")
            return events + [SlotSet(RESUME, paused), ActiveLoop(paused)]
        dispatcher.utter_message(response="utter_offer_declined")
        return events


class ActionStopFlow(Action):
    """"Stop" outside a form: forget anything paused or offered."""

    def name(self) -> Text:
        return "action_stop_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        forgotten = forget_flows(tracker)
        dispatcher.utter_message(response="utter_flow_stopped" if forgotten else "utter_nothing_to_stop")
        return forgotten


class ActionAnswerOutsideAFlow(Action):
    """An answer when no question is open: a problem told ("the lamp is broken", "resend pls") starts a dispute
    with what it says; anything else ("a link", an email, a file) gets what Alex can do with it, instead of the
    default fallback (which would also drop the message, attachments and all). A file the channel could not keep
    is said so, never thanked for."""

    def name(self) -> Text:
        return "action_answer_outside_a_flow"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        turn = Turn.of(tracker)
        if ticket_waiting(tracker) and not turn.files_not_stored:
            return await add_to_waiting_ticket(BackendClient.from_environment(), dispatcher, tracker)
        if turn.intent == "inform" and (turn.entity("dispute_reason") or turn.entity("expected_result")):
            # A problem told, or a refund or resend asked for, with no question open: a request for a dispute.
            message = tracker.latest_message or {}
            return replay({"text": "/request_open_dispute", "entities": message.get("entities") or [],
                           "intent": {"name": "request_open_dispute", "confidence": 1.0},
                           "metadata": message.get("metadata") or {}})
        if turn.files_not_stored:
            if verified_seller(tracker) is None:
                dispatcher.utter_message(response="utter_identity_required")
            else:
                dispatcher.utter_message(response=turn.not_stored_response(), filename=turn.files_not_stored[0])
        else:
            dispatcher.utter_message(response="utter_evidence_needs_flow" if turn.attachments else "utter_what_next")
        return []
