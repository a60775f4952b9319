"""Tickets for a person: what Alex writes into one (the reason, the numbers in play, a summary an agent can act
on, a link to the transcript) and what it tells the seller (the ticket's number and what to expect: the place
in the queue and the usual wait, or, outside the support team's hours, when they are back).

Every escalation (the seller asks, Alex fails to understand or a form fails twice, the backend fails, a case
the platform routes to a person, an upset seller) goes through `open_ticket`. The backend keeps one active
ticket per conversation: a second escalation updates it (reasons accumulate, priority only rises).
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any
from urllib.parse import quote

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.backend import BackendClient, BackendUnavailable, NotFound, Rejected, Ticket
from actions.conversation import channel_of, excerpt, idempotency_key, is_dispute_number
from actions.seller import verified_seller
from bot.order_numbers import MalformedNumber, canonical


# Set by our channels (bot/channels/takeover.py) on a message that also went into a ticket waiting for a person.
TICKET_WAITING_KEY = "ticket_waiting"


def ticket_waiting(tracker: Tracker) -> bool:
    """Whether the seller's latest message reached a ticket that waits for a person (the channel says so)."""
    return bool(((tracker.latest_message or {}).get("metadata") or {}).get(TICKET_WAITING_KEY))


async def add_to_waiting_ticket(backend: BackendClient, dispatcher: CollectingDispatcher, tracker: Tracker
                                ) -> list[EventType]:
    """A message Alex can't act on while the ticket waits: it is in the ticket's thread already (the channel put
    it there); bring the ticket's numbers and summary up to date and tell the seller it reached the team."""
    try:
        ticket = await backend.conversation_ticket(tracker.sender_id)
    except (BackendUnavailable, NotFound, Rejected):
        dispatcher.utter_message(response="utter_default")
        return []
    return await open_ticket(backend, dispatcher, tracker, (ticket.reasons or ("seller_request",))[0],
                             announce="utter_added_to_ticket")


async def refresh_waiting_ticket(backend: BackendClient, tracker: Tracker) -> None:
    """Bring a waiting ticket's numbers and summary up to date without a word to the seller (Alex is answering
    the message itself); a failure changes nothing the seller sees."""
    await add_to_waiting_ticket(backend, CollectingDispatcher(), tracker)


async def open_ticket(
    backend: BackendClient, dispatcher: CollectingDispatcher, tracker: Tracker, reason: str,
    priority: str | None = None, announce: str | None = None,
) -> list[EventType]:
    """Open (or update) the conversation's ticket and tell the seller its number and what to expect (or, with
    `announce`, just that response with the ticket's number)."""
    orders, disputes = numbers_in_play(tracker)
    request: dict[str, Any] = {
        "channel": channel_of(tracker.sender_id),
        "reason": reason,
        "summary": summary_for_agents(tracker, reason),
        "order_numbers": orders[:20],
        "dispute_numbers": disputes[:20],
    }
    seller_id = verified_seller(tracker)
    if seller_id is not None:
        request["seller_id"] = seller_id
    if priority is not None:
        request["priority"] = priority
    console = os.environ.get("ALEX_CONSOLE_URL")
    if console:
        request["transcript_url"] = f"{console.rstrip('/')}/conversations/{quote(tracker.sender_id, safe='')}"
    try:
        ticket = await backend.put_ticket(tracker.sender_id, request, idempotency_key(tracker, f"ticket:{reason}"))
    except (BackendUnavailable, NotFound, Rejected):
        dispatcher.utter_message(response="utter_handoff_failed")
        return []
    if announce is not None:
        dispatcher.utter_message(response=announce, ticket_number=ticket.number)
        return []
    dispatcher.utter_message(response="utter_handoff_created" if ticket.created else "utter_handoff_updated",
                             ticket_number=ticket.number)
    tell_expectations(dispatcher, ticket)
    return []


def tell_expectations(dispatcher: CollectingDispatcher, ticket: Ticket) -> None:
    """When a person will answer: after hours, when the team is back; otherwise the queue and the usual wait."""
    if not ticket.open_now and ticket.next_open_at:
        dispatcher.utter_message(response="utter_handoff_after_hours", next_open=_when(ticket.next_open_at))
    elif ticket.queue_position is not None and ticket.estimated_wait_minutes is not None:
        dispatcher.utter_message(response="utter_handoff_wait", queue_position=ticket.queue_position,
                                 wait_minutes=max(1, int(ticket.estimated_wait_minutes)))


def _when(iso_utc: str) -> str:
    """A date sellers read at a glance ("Mon 4 Nov, 09:00 UTC"); the original text if it can't be read."""
    try:
        moment = datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))
    except ValueError:
        return iso_utc
    return f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M} UTC"


def session_events(tracker: Tracker) -> list[dict[str, Any]]:
    events = tracker.events or []
    start = max((i for i, e in enumerate(events) if e.get("event") == "action"
                 and e.get("name") == "action_session_start"), default=0)
    return events[start:]


def numbers_in_play(tracker: Tracker) -> tuple[list[str], list[str]]:
    """Every order and dispute number the seller named this session, or that a flow holds, oldest first."""
    raws: list[str] = []
    for event in session_events(tracker):
        if event.get("event") == "user":
            raws += [e.get("value") for e in (event.get("parse_data") or {}).get("entities") or []
                     if e.get("entity") == "order_number" and isinstance(e.get("value"), str)]
    for value in (tracker.slots or {}).values():
        if isinstance(value, str):
            raws.append(value)
        elif isinstance(value, list):
            raws += [v for v in value if isinstance(v, str)]
        elif isinstance(value, dict):
            raws += [value.get(k) for k in ("number", "order_number") if isinstance(value.get(k), str)]
    orders: list[str] = []
    disputes: list[str] = []
    for raw in raws:
        try:
            number = canonical(raw)
        except MalformedNumber:
            continue
        target = disputes if is_dispute_number(number) else orders
        if number not in target and number[:2] in ("CJ", "ZF", "SH"):
            target.append(number)
    return orders, disputes


# For agents, not sellers (so plain English in code): what each request means and why a ticket was opened.
_WANTS = {
    "check_order_status": "order status", "check_refund_status": "refund status",
    "check_dispute_status": "dispute status", "request_cancel_order": "cancel an order",
    "request_open_dispute": "open a dispute", "request_close_dispute": "close a dispute",
    "agree_resend": "agree to a proposed resend", "add_dispute_message": "add a message to a dispute",
    "request_return": "set up a return", "request_human_agent": "talk to a person",
    "report_chargeback": "help with a chargeback or a payment-provider dispute",
    "report_account_blocked": "their account unblocked", "complain": "to be helped (they are upset)",
}
_REASONS = {
    "seller_request": "the seller asked for a person",
    "backend_failure": "the order system was unreachable, so Alex could not finish",
    "form_failed": "the seller could not get through one of Alex's questions twice in a row",
    "not_understood": "Alex failed to understand the seller twice in a row",
    "chargeback": "a buyer went to a payment provider or bank (chargeback): disputes belong on CJ (seed 002)",
    "account_blocked": "the seller reports a blocked or restricted account: only staff can look into it",
    "frustration": "the seller is upset and Alex has not helped",
    "needs_agent": "the seller's case needs their assigned agent",
}
_INTERESTING_SLOTS = ("expected_result", "dispute_reason", "refund_type", "buyer_email", "store_link")


def _wanted(wants: list[str]) -> str:
    if not wants:
        return "a person (no request stated)"
    return wants[0] + (f" (earlier: {', '.join(wants[1:])})" if wants[1:] else "")


def summary_for_agents(tracker: Tracker, reason: str) -> str:
    """A few lines an agent can act on: why, what the seller wants, their words, what Alex did. The numbers in
    play are not repeated here: they go in the ticket's own fields, which the backend keeps to the seller's own
    orders and disputes (a number another seller owns, typed here, never reaches the agent as this seller's)."""
    user_events = [e for e in session_events(tracker) if e.get("event") == "user"]
    # Newest first: what the seller asked last is what they want now (earlier requests may have been answered).
    wants = list(dict.fromkeys(
        _WANTS[i] for i in ((e.get("parse_data") or {}).get("intent", {}).get("name") for e in reversed(user_events))
        if i in _WANTS and i != "request_human_agent"))
    said = [excerpt(e.get("text") or "", 300) for e in user_events
            if (e.get("text") or "") and not str(e.get("text")).startswith("/")][-4:]
    done = list(dict.fromkeys(
        e.get("name") for e in session_events(tracker)
        if e.get("event") == "action" and str(e.get("name", "")).startswith("action_")
        and e.get("name") not in ("action_listen", "action_session_start", "action_extract_slots")))
    answers = {s: tracker.get_slot(s) for s in _INTERESTING_SLOTS if tracker.get_slot(s)}
    lines = [
        f"Why: {_REASONS.get(reason, reason)}.",
        f"Seller wants: {_wanted(wants)}.",
    ]
    if answers:
        lines.append("Answers so far: " + ", ".join(f"{k}={v}" for k, v in answers.items()) + ".")
    if said:
        lines.append("Seller's last messages: " + " | ".join(f'"{s}"' for s in said))
    if done:
        lines.append("Alex ran: " + ", ".join(done) + ".")
    return "\n".join(lines)[:4000]
