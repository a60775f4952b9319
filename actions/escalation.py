"""When a person takes over: the triggers that open a ticket, and the two moments of a takeover.

Triggers (each opens or updates the conversation's one ticket through `open_ticket`):
- the seller asks for a person (`request_human_agent`); asking again in the same session raises the priority;
- Alex fails to understand twice in a row (the NLU fallback, or no confident next step);
- a case the platform's help pages send to a person: a buyer who went to PayPal, a bank or a payment provider
  (seed 002 §1: disputes belong on CJ) and a blocked or restricted account (seed 000 §2.2);
- an upset seller: the first complaint gets an apology and the offer of a person, the second a person.
A form failed twice and a backend failure are handled where they happen (actions/forms.py).

The takeover itself is the backend's state (bot/channels/takeover.py keeps the bot out while an agent holds the
conversation); the agent console runs `action_agent_joined` and `action_agent_handed_back` through Rasa's API
so the seller is told, in the words of domain.yml, who joined and that Alex is back.
"""

from __future__ import annotations

import json
from typing import ClassVar, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import BackendClient, BackendUnavailable, NotFound, Rejected
from actions.conversation import Turn
from actions.forms import offer, stop_form_events
from actions.handoff import forget_flows
from actions.tickets import add_to_waiting_ticket, open_ticket, session_events, ticket_waiting

NOT_UNDERSTOOD = "action_not_understood"
MISSES_BEFORE_A_PERSON = 2
COMPLAINTS_BEFORE_A_PERSON = 2


def leave_flows(tracker: Tracker) -> list[EventType]:
    """A person takes it from here: leave any form (its answers are in the ticket's summary) and any offer."""
    return (stop_form_events() if tracker.active_loop else []) + forget_flows(tracker)


def times_said(tracker: Tracker, intent: str) -> int:
    """How often the seller said this (by intent) in the current session, this message included."""
    return sum(1 for e in session_events(tracker) if e.get("event") == "user"
               and ((e.get("parse_data") or {}).get("intent") or {}).get("name") == intent)


def consecutive_misses(tracker: Tracker) -> int:
    """How many turns in a row, this one included, Alex did not understand."""
    turns: list[set[str]] = []  # per seller message, the actions that followed it
    for event in session_events(tracker):
        if event.get("event") == "user":
            turns.append(set())
        elif event.get("event") == "action" and turns:
            turns[-1].add(str(event.get("name")))
    misses = 1
    for actions in reversed(turns[:-1]):
        if NOT_UNDERSTOOD not in actions:
            break
        misses += 1
    return misses


def listening() -> list[EventType]:
    """The console runs the takeover actions outside a turn (nothing predicts what follows them): end as a turn
    ends, waiting for the seller, so the rules see an ordinary conversation when the seller writes next."""
    return [ActionExecuted("action_listen")]


class Escalation:
    """What an action that may open a ticket shares (a mixin: rasa_sdk registers every Action subclass)."""

    def __init__(self) -> None:
        self.backend = BackendClient.from_environment()

    async def escalate(self, dispatcher: CollectingDispatcher, tracker: Tracker, reason: str,
                       priority: str | None = None) -> list[EventType]:
        return leave_flows(tracker) + await open_ticket(self.backend, dispatcher, tracker, reason, priority)


class ActionHandoff(Escalation, Action):
    """The seller asked for a person: open (or update) the conversation's ticket and give its number. Asking
    again in the same session says the wait is too long: the ticket's priority goes up."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        again = times_said(tracker, "request_human_agent") > 1
        return await self.escalate(dispatcher, tracker, "seller_request", "high" if again else None)


class ActionNotUnderstood(Escalation, Action):
    """Alex did not understand: offer the likeliest requests (or ask to rephrase); the second time in a row, get a
    person. While a ticket waits for a person, the message is for them: it reached the ticket, and the seller is
    told so."""

    def name(self) -> Text:
        return NOT_UNDERSTOOD

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if ticket_waiting(tracker):  # the team will read it: no rephrasing, no second ticket
            return await add_to_waiting_ticket(self.backend, dispatcher, tracker)
        if consecutive_misses(tracker) < MISSES_BEFORE_A_PERSON:
            buttons = likeliest_requests(tracker, domain)
            if buttons:
                dispatcher.utter_message(response="utter_clarify", buttons=buttons)
            else:
                dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(response="utter_not_understood_twice")
        return await self.escalate(dispatcher, tracker, "not_understood")


CLARIFY_OPTIONS = 3  # WhatsApp's reply buttons; and more than three likely meanings is no clarification
CLARIFY_MIN_CONFIDENCE = 0.08


def likeliest_requests(tracker: Tracker, domain: DomainDict) -> list[dict[str, str]]:
    """Buttons for the requests the seller most likely meant (from NLU's ranking of the message), each carrying the
    message's number, for Alex to offer instead of "say it another way"."""
    message = tracker.latest_message or {}
    titles = ((((domain or {}).get("responses") or {}).get("utter_labels") or [{}])[0].get("custom") or {}).get(
        "request") or {}
    ranked = [r for r in message.get("intent_ranking") or []
              if r.get("name") in titles and float(r.get("confidence") or 0) >= CLARIFY_MIN_CONFIDENCE]
    numbers = Turn.of(tracker).numbers()[0]
    entities = json.dumps({"order_number": numbers[0]}, separators=(",", ":")) if numbers else ""
    return [{"title": str(titles[r["name"]])[:20], "payload": f"/{r['name']}{entities}"}
            for r in ranked[:CLARIFY_OPTIONS]]


class CaseForAPerson(Escalation):
    """A case the platform's help pages send to a person: say why, then open the ticket (a mixin)."""

    response: ClassVar[str]
    reason: ClassVar[str]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response=self.response)
        return await self.escalate(dispatcher, tracker, self.reason)


class ActionReportChargeback(CaseForAPerson, Action):
    """A buyer went to PayPal, a bank or a payment provider: the platform's rule, then a person (money is at
    stake: the backend's triage makes the ticket urgent)."""

    response = "utter_chargeback_needs_agent"
    reason = "chargeback"

    def name(self) -> Text:
        return "action_report_chargeback"


class ActionReportAccountBlocked(CaseForAPerson, Action):
    """A blocked or restricted account: only staff can look into it (urgent too)."""

    response = "utter_account_blocked_needs_agent"
    reason = "account_blocked"

    def name(self) -> Text:
        return "action_report_account_blocked"


class ActionComplaint(Escalation, Action):
    """An upset seller: apologise and offer a person; if they are still upset, get one."""

    def name(self) -> Text:
        return "action_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if times_said(tracker, "complain") < COMPLAINTS_BEFORE_A_PERSON:
            return leave_flows(tracker) + offer(
                dispatcher, {"kind": "human", "reason": "frustration"}, "utter_complaint_offer_human")
        dispatcher.utter_message(response="utter_complaint_handoff")
        return await self.escalate(dispatcher, tracker, "frustration")


AGENT_ANNOUNCED = "agent_announced"


class ActionAgentJoined(Action):
    """Run by the agent console when an agent claims the conversation: tell the seller who is here, once. The
    console may repeat a claim (a retried request, a second click); Rasa runs the actions of one conversation
    one at a time, so the slot written here is read by the next run and the same agent is not announced again."""

    def __init__(self) -> None:
        self.backend = BackendClient.from_environment()

    def name(self) -> Text:
        return "action_agent_joined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            ticket = await self.backend.conversation_ticket(tracker.sender_id)
        except (BackendUnavailable, NotFound, Rejected):
            ticket = None
        announced = f"{ticket.number}:{ticket.agent_name}" if ticket is not None and ticket.agent_name else None
        if announced is not None and tracker.get_slot(AGENT_ANNOUNCED) == announced:
            return listening()
        if announced is not None:
            dispatcher.utter_message(response="utter_agent_joined", agent_name=ticket.agent_name,
                                     ticket_number=ticket.number)
        else:
            dispatcher.utter_message(response="utter_agent_joined_unnamed")
        return leave_flows(tracker) + [SlotSet(AGENT_ANNOUNCED, announced)] + listening()


class ActionAgentHandedBack(Action):
    """Run by the agent console when the agent hands the conversation back: Alex is back, starting clean."""

    def name(self) -> Text:
        return "action_agent_handed_back"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_agent_handed_back")
        return leave_flows(tracker) + [SlotSet(AGENT_ANNOUNCED, None)] + listening()
