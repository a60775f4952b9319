"""Follow-ups to what Alex just said: "why?", "so what can I do?", "try again", "ok I'll wait".

A support agent answers these from the previous turn, so this action reads it: which responses Alex gave last
(Rasa keeps each response's name with the bot event) and the numbers in them. "Why?" gets the rule behind the
last answer with where it comes from; "what now?" gets the next step, as an offer where Alex can take it (a yes
then starts the request, see actions/handoff.py); "try again" runs the seller's last request again; "ok" is
acknowledged. With nothing to go on, Alex says what it can do instead of the generic fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import FLOW_INTENTS, LastAnswer, replay
from actions.forms import OFFER_PENDING, PENDING_OFFER, offer

# Why the last answer is what it is: the response that explains it (the rule and its source), by the response
# that gave it.
WHY = {
    "utter_cancel_paid": "utter_why_cancel_paid",
    "utter_offer_refund_dispute": "utter_why_cancel_paid",
    "utter_cancel_paid_disputed": "utter_why_cancel_paid",
    "utter_cancel_dispatched": "utter_why_cancel_dispatched",
    "utter_cancel_closed": "utter_why_closed_order",
    "utter_dispute_order_closed": "utter_why_closed_order",
    "utter_no_refund_closed": "utter_why_closed_order",
    "utter_return_order_closed": "utter_why_closed_order",
    "utter_dispute_order_unpaid": "utter_why_unpaid_order",
    "utter_no_refund_unpaid": "utter_why_unpaid_order",
    "utter_dispute_refund_only": "utter_why_refund_only",
    "utter_dispute_already_open": "utter_why_one_dispute",
    "utter_no_refund_no_dispute": "utter_why_no_refund_no_dispute",
    "utter_order_not_found": "utter_why_order_not_found",
    "utter_malformed_number": "utter_why_malformed_number",
    "utter_backend_unavailable": "utter_why_backend_unavailable",
    "utter_offer_human": "utter_why_backend_unavailable",
    "utter_no_refund_dispute_rejected": "utter_why_dispute_rejected",
    "utter_dispute_status_rejected": "utter_why_dispute_rejected",
    "utter_dispute_status_open": "utter_why_dispute_open",
    "utter_no_refund_dispute_open": "utter_why_dispute_open",
    "utter_return_not_delivered": "utter_why_return_not_delivered",
    # Questions inside the dispute form: why CJ needs that.
    "utter_ask_open_dispute_form_buyer_email": "utter_why_dispute_proof",
    "utter_ask_open_dispute_form_complaint_proof": "utter_why_dispute_proof",
    "utter_ask_open_dispute_form_product_proof": "utter_why_dispute_proof",
}


@dataclass(frozen=True)
class NextStep:
    """What Alex offers after "what can I do?": a request it can start on a yes (intent and its entities, the
    order number filled in), or just a response listing the options."""

    response: str
    intent: str | None = None
    entities: tuple[tuple[str, str], ...] = ()


_DISPUTE_OFFER = NextStep("utter_offer_dispute", "request_open_dispute")
_REFUND_DISPUTE_OFFER = NextStep("utter_offer_refund_dispute", "request_open_dispute",
                                 (("expected_result", "refund"), ("dispute_reason", "cancel_before_dispatch")))
WHAT_NOW = {
    "utter_cancel_dispatched": _DISPUTE_OFFER,
    "utter_no_refund_no_dispute": _DISPUTE_OFFER,
    "utter_why_no_refund_no_dispute": _DISPUTE_OFFER,
    "utter_why_cancel_dispatched": _DISPUTE_OFFER,
    "utter_order_status_dispatched": _DISPUTE_OFFER,
    "utter_order_status_dispatched_no_tracking": _DISPUTE_OFFER,
    "utter_order_status_delivered": _DISPUTE_OFFER,
    "utter_cancel_paid": _REFUND_DISPUTE_OFFER,
    "utter_why_cancel_paid": _REFUND_DISPUTE_OFFER,
    "utter_dispute_refund_only": _REFUND_DISPUTE_OFFER,
    "utter_why_refund_only": _REFUND_DISPUTE_OFFER,
    "utter_dispute_order_unpaid": NextStep("utter_offer_cancel", "request_cancel_order"),
    "utter_no_refund_unpaid": NextStep("utter_offer_cancel", "request_cancel_order"),
    "utter_cancel_closed": NextStep("utter_options_closed_order"),
    "utter_dispute_order_closed": NextStep("utter_options_closed_order"),
    "utter_no_refund_closed": NextStep("utter_options_closed_order"),
    "utter_why_closed_order": NextStep("utter_options_closed_order"),
    "utter_dispute_already_open": NextStep("utter_options_open_dispute"),
    "utter_why_one_dispute": NextStep("utter_options_open_dispute"),
    "utter_cancel_paid_disputed": NextStep("utter_options_open_dispute"),
    "utter_order_not_found": NextStep("utter_options_not_found"),
    "utter_why_order_not_found": NextStep("utter_options_not_found"),
    "utter_malformed_number": NextStep("utter_options_not_found"),
    "utter_backend_unavailable": NextStep("utter_options_backend_unavailable"),
    "utter_offer_human": NextStep("utter_options_backend_unavailable"),
    "utter_why_backend_unavailable": NextStep("utter_options_backend_unavailable"),
    "utter_no_refund_dispute_rejected": NextStep("utter_options_dispute_rejected"),
    "utter_dispute_status_rejected": NextStep("utter_options_dispute_rejected"),
    "utter_why_dispute_rejected": NextStep("utter_options_dispute_rejected"),
    "utter_dispute_status_open": NextStep("utter_options_open_dispute"),
    "utter_no_refund_dispute_open": NextStep("utter_options_open_dispute"),
}
# An "ok" that puts an offer off rather than taking it.
_NOT_NOW = re.compile(r"\b(?:wait|first|later|think|check|talk|ask|hold|tomorrow|myself|not now|no need)\b",
                      re.IGNORECASE)


class ActionFollowUp(Action):
    """Answers "why?", "what now?", "try again" and "ok" from what Alex said last."""

    def name(self) -> Text:
        return "action_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        last = LastAnswer.of(tracker, turns=3, domain=domain)
        facts = {"order_number": last.order_number or "", "dispute_number": last.dispute_number or ""}
        if intent == "ask_why":
            dispatcher.utter_message(response=last.newest(WHY) or "utter_why_unknown", **facts)
            return []
        if intent == "ask_what_now":
            step: NextStep | None = last.newest(WHAT_NOW)
            if step is None or (step.intent and not last.order_number):
                dispatcher.utter_message(response="utter_what_next")
                return []
            if step.intent is None:
                dispatcher.utter_message(response=step.response, **facts)
                return []
            request = {"intent": step.intent, "entities": {"order_number": last.order_number, **dict(step.entities)}}
            return offer(dispatcher, {"kind": "request", "request": request}, step.response, **facts)
        if intent == "retry":
            request = last_request(tracker)
            if request is None:
                dispatcher.utter_message(response="utter_nothing_to_retry")
                return []
            dispatcher.utter_message(response="utter_trying_again")
            return replay(request)
        pending = tracker.get_slot(PENDING_OFFER) if tracker.get_slot(OFFER_PENDING) else None
        if pending:
            # "ok, do that" takes what Alex just offered; "ok, I'll talk to the buyer first" puts it off.
            later = _NOT_NOW.search((tracker.latest_message or {}).get("text") or "")
            return [FollowupAction("action_decline_offer" if later else "action_accept_offer")]
        dispatcher.utter_message(response="utter_acknowledged")
        return []


def last_request(tracker: Tracker) -> dict[str, Any] | None:
    """The seller's latest message that asked Alex to do something (a lookup or a change), to run again."""
    for event in reversed(tracker.events or []):
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        if ((parse.get("intent") or {}).get("name")) in FLOW_INTENTS:
            # The current message's metadata: its seller binding is this turn's.
            return {"text": event.get("text") or "", "intent": parse.get("intent"),
                    "entities": parse.get("entities") or [],
                    "metadata": (tracker.latest_message or {}).get("metadata") or {}}
    return None
