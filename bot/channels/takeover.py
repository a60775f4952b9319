"""While a person holds a conversation, the bot stays out of it and the seller's messages go to that person.

Who holds a conversation is the backend ticket's `handoff` (waiting, agent, returned), read on every message.
Rasa's own pause lives in the tracker, and a session expiry, a typed `/restart` or a restarted replica clears
it; the backend's state survives all three, and every Rasa replica reads the same one.

During a takeover a seller's message is (1) added to the ticket's thread in the backend, which is what the
agent console shows and answers, and (2) written into the tracker as a user event, understood by NLU but with
no slot extraction and no prediction, so the transcript (a reloaded web chat, the console) stays whole and
nothing the bot remembers changes under the agent. While the ticket waits for a person, the message goes to its
thread and to Rasa, marked so (`ticket_waiting`): the bot answers what it can, and tells the seller the rest
reached the ticket. Otherwise the message goes to Rasa as usual.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, UserUttered

from bot.channels.backend_client import BackendError, ChannelBackend
from bot.channels.verified import ATTACHMENTS_KEY, SHARE_EVIDENCE

logger = logging.getLogger(__name__)

AGENT_HOLDS = "agent"
WAITING = "waiting"
# Set by the channel on a message that reached a ticket still waiting for a person (never taken from a client).
TICKET_WAITING_KEY = "ticket_waiting"


class Takeover:
    """Routes each seller message to the bot, or, while an agent holds the conversation, to the agent."""

    def __init__(self, backend: ChannelBackend) -> None:
        self.backend = backend

    async def holder(self, conversation_id: str) -> str | None:
        """`agent` while a person holds the conversation, `waiting` while its ticket waits for one; None or
        `returned` when the bot has it (or nobody can tell: with the backend down, the bot answers, and says
        what it can't do)."""
        try:
            return await self.backend.handoff_state(conversation_id)
        except BackendError as error:
            logger.warning("takeover: could not read who holds %s (%s); the bot answers", conversation_id, error)
            return None

    async def route(
        self, agent: Agent, message: UserMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> bool:
        """Hand the message to the bot, or to the agent holding the conversation; True if an agent got it."""
        holder = await self.holder(message.sender_id)
        if holder == WAITING:
            # The seller was told everything they write reaches the team: it goes into the ticket's thread, and
            # the bot, told so by the metadata, still answers what it can.
            await self._to_ticket(message)
            message.metadata = {**(message.metadata or {}), TICKET_WAITING_KEY: True}
        if holder != AGENT_HOLDS:
            await on_new_message(message)
            return False
        # The transcript first: once the agent sees the message in the ticket, the conversation already has it.
        await record_without_reply(agent, message)
        await self._to_ticket(message)
        return True

    async def _to_ticket(self, message: UserMessage) -> None:
        metadata = message.metadata or {}
        attachments = metadata.get(ATTACHMENTS_KEY) or []
        body = "" if message.text == SHARE_EVIDENCE else message.text or ""
        # A redelivered WhatsApp message keeps its id, so the backend keeps it once.
        external_id = str(metadata.get("whatsapp_message_id") or message.message_id)
        evidence_ids = [str(a["evidence_id"]) for a in attachments if isinstance(a, dict) and "evidence_id" in a]
        try:
            await self.backend.add_seller_ticket_message(
                message.sender_id, body or "(attachment)", external_id, evidence_ids)
        except BackendError as error:
            # The tracker has it already, so the agent still sees it in the transcript.
            logger.warning("takeover: message for %s not added to its ticket (%s)", message.sender_id, error)


async def record_without_reply(agent: Agent, message: UserMessage) -> None:
    """Append the seller's message to the tracker, parsed but with no slot extraction and no prediction.

    The message sits between two `action_listen`s, as a turn the bot let pass does, so once the bot has the
    conversation again its rules see an ordinary conversation waiting for the seller."""
    assert agent.processor is not None and agent.lock_store is not None
    async with agent.lock_store.lock(message.sender_id):
        tracker = await agent.processor.fetch_tracker_and_update_session(
            message.sender_id, message.output_channel, message.metadata)
        parsed = await agent.processor.parse_message(message, tracker)
        if tracker.latest_action_name != ACTION_LISTEN_NAME:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        tracker.update(UserUttered(
            message.text, parsed.get("intent"), parsed.get("entities"), parsed,
            input_channel=message.input_channel, message_id=message.message_id, metadata=message.metadata,
        ))
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        await agent.processor.save_tracker(tracker)
