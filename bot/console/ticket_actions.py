"""What each console action does across the two systems: the backend records the ticket work (and decides who
holds the conversation), then Rasa is told so the seller hears about it.

The backend write comes first and decides: if it is refused nothing is sent to the seller. A Rasa call that fails
afterwards doesn't undo the write; it comes back as a notice code the page explains to the agent (an agent reply
that didn't reach the seller is marked `failed`, and can be sent again without writing a second message). A reply
reaches the seller at most once: the backend grants one delivery attempt at a time (see `_deliver`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from bot.console.agent_transcript import agent_view
from bot.console.backend_client import BackendRefused, ConsoleBackend
from bot.console.rasa_client import AGENT_HANDED_BACK, AGENT_JOINED, RasaConversations, RasaUnavailable
from bot.console.refusals import Refused

# Notice codes (the page words them for the agent).
TRANSCRIPT_UNAVAILABLE = "transcript_unavailable"
JOIN_NOT_ANNOUNCED = "join_not_announced"
HAND_BACK_NOT_ANNOUNCED = "hand_back_not_announced"
REPLY_NOT_DELIVERED = "reply_not_delivered"
# The backend's refusals of a delivery attempt that mean the reply needs no sending now.
_DELIVERED_OR_UNDER_WAY = ("already_delivered", "delivery_in_progress")


@dataclass
class Outcome:
    """The ticket as the backend now holds it, and what went wrong on the Rasa side, if anything."""

    detail: dict[str, Any]
    notices: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {**self.detail, "notices": self.notices}


def _conversation_id(detail: dict[str, Any]) -> str:
    return str(detail["ticket"]["conversation_id"])


def _handoff(detail: dict[str, Any]) -> str:
    return str(detail["ticket"]["handoff"]["state"])


class TicketActions:
    """The console's actions on one ticket, for the agent whose session token is passed in."""

    def __init__(self, backend: ConsoleBackend, rasa: RasaConversations) -> None:
        self.backend = backend
        self.rasa = rasa

    async def open(self, token: str, number: str) -> Outcome:
        """The ticket with its context, and the seller's conversation with Alex (if Rasa can show it)."""
        detail = await self.backend.ticket(token, number)
        try:
            events = await self.rasa.events(_conversation_id(detail))
        except RasaUnavailable:
            return Outcome({**detail, "transcript": None}, [TRANSCRIPT_UNAVAILABLE])
        return Outcome({**detail, "transcript": agent_view(events)})

    async def claim(self, token: str, number: str, key: str) -> Outcome:
        detail = await self.backend.claim(token, number, key)
        announced = await self.rasa.run_action(_conversation_id(detail), AGENT_JOINED)
        return Outcome(detail, [] if announced else [JOIN_NOT_ANNOUNCED])

    async def add_message(self, token: str, number: str, body: str, internal: bool, key: str) -> Outcome:
        """An internal note stays in the backend; a reply is also delivered to the seller, exactly once: the
        request replayed, or sent again while the first is delivering, finds the reply delivered or on its way
        and sends nothing, answering with the ticket as it now stands."""
        detail = await self.backend.add_message(token, number, body, internal, key)
        if internal:
            return Outcome(detail)
        mine = [m for m in detail["ticket"]["messages"]
                if m["author_kind"] == "agent" and not m["internal"] and m["body"] == body]
        message = max(mine, key=lambda m: m["id"])
        try:
            return await self._deliver(token, detail, message["id"])
        except BackendRefused as refused:
            if refused.code not in _DELIVERED_OR_UNDER_WAY:
                raise
            return Outcome(await self.backend.ticket(token, number))

    async def retry_delivery(self, token: str, number: str, message_id: int) -> Outcome:
        """Send a reply that failed (or whose attempt never finished) again, as the same backend message."""
        detail = await self.backend.ticket(token, number)
        try:
            return await self._deliver(token, detail, message_id)
        except BackendRefused as refused:  # already_delivered and delivery_in_progress reach the page as they are
            if refused.code != "message_not_found":
                raise
            raise Refused(409, "not_retryable", "Only a reply to the seller can be sent again.") from None

    async def _deliver(self, token: str, detail: dict[str, Any], message_id: int) -> Outcome:
        """Deliver one reply under the backend's delivery attempt (only one attempt at a time may hold it). An
        attempt taken over from one that never reported back first looks in the conversation, where a reply
        that reached the seller is marked with its message id, so it is not sent a second time."""
        ticket = detail["ticket"]
        attempt = await self.backend.begin_delivery(token, ticket["number"], message_id)
        message = attempt["message"]
        conversation = ticket["conversation_id"]
        if attempt["interrupted_attempt"] and await self.rasa.holds_agent_reply(conversation, message_id):
            sent = True
        else:
            agent = {"name": message["author_name"], "ticket": ticket["number"], "message_id": message_id}
            sent = await self.rasa.send_agent_reply(conversation, message["body"], agent)
        updated = await self.backend.set_delivery(token, ticket["number"], message_id, "sent" if sent else "failed")
        ticket["messages"] = [updated if m["id"] == message_id else m for m in ticket["messages"]]
        return Outcome(detail, [] if sent else [REPLY_NOT_DELIVERED])

    async def change_status(self, token: str, number: str, status: str, key: str) -> Outcome:
        return await self._settle(token, number, lambda: self.backend.change_status(token, number, status, key))

    async def resolve(self, token: str, number: str, note: str | None, key: str) -> Outcome:
        return await self._settle(token, number, lambda: self.backend.resolve(token, number, note, key))

    async def hand_back(self, token: str, number: str, note: str | None, key: str) -> Outcome:
        return await self._settle(token, number, lambda: self.backend.hand_back(token, number, note, key))

    async def _settle(self, token: str, number: str, write: Callable[[], Awaitable[dict[str, Any]]]) -> Outcome:
        """A write that may end the takeover: when an agent held the conversation before and no longer does,
        Alex takes it back and tells the seller."""
        before = _handoff(await self.backend.ticket(token, number))
        detail = await write()
        if before != "agent" or _handoff(detail) == "agent":
            return Outcome(detail)
        announced = await self.rasa.run_action(_conversation_id(detail), AGENT_HANDED_BACK)
        return Outcome(detail, [] if announced else [HAND_BACK_NOT_ANNOUNCED])
