"""Follow-ups to what Alex just said: "why?", "so what can I do?", "try again", "ok I'll wait".

A support agent answers these from the previous turn, so this action reads it: which responses Alex gave last
(Rasa keeps each response's name with the bot event) and the numbers in them. "Why?" gets the rule behind the
last answer with where it comes from; "what now?" gets the next step, as an offer where Alex can take it (a yes
then starts the request, see actions/handoff.py); "try again" runs the seller's last request again; "ok" is
acknowledged. With nothing to go on, Alex says what it can do instead of the generic fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import FLOW_INTENTS, is_dispute_number, is_order_number, replay
from actions.forms import offer
from bot.order_numbers import find_numbers

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
FOLLOW_UP_INTENTS = frozenset({"ask_why", "ask_what_now", "retry", "acknowledge"})


@dataclass(frozen=True)
class LastAnswer:
    """Alex's previous turn: the responses it gave (newest last) and the numbers they named."""

    responses: tuple[str, ...]
    order_number: str | None
    dispute_number: str | None

    @classmethod
    def of(cls, tracker: Tracker) -> "LastAnswer":
        events = list(tracker.events or [])
        users = [i for i, e in enumerate(events) if e.get("event") == "user"]
        start = users[-2] if len(users) > 1 else 0
        end = users[-1] if users else len(events)
        bots = [e for e in events[start:end] if e.get("event") == "bot"]
        responses = tuple(str((e.get("metadata") or {}).get("utter_action") or "") for e in bots)
        numbers = [n.canonical for e in bots for n in find_numbers(e.get("text") or "") if n.canonical]
        return cls(
            responses=tuple(r for r in responses if r),
            order_number=next((n for n in numbers if is_order_number(n)), None),
            dispute_number=next((n for n in numbers if is_dispute_number(n)), None),
        )

    def newest(self, table: dict[str, Any]) -> Any:
        """The table's entry for the newest response that has one."""
        return next((table[r] for r in reversed(self.responses) if r in table), None)


class ActionFollowUp(Action):
    """Answers "why?", "what now?", "try again" and "ok" from what Alex said last."""

    def name(self) -> Text:
        return "action_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        last = LastAnswer.of(tracker)
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
