"""Sending on WhatsApp: who a conversation writes to, the 24-hour customer service window, and the output
channel that keeps each message within WhatsApp's rules and reports an agent's reply to its ticket.

An agent's reply carries `metadata.agent` {name, ticket, message_id} (bot/console/rasa_client.py). Each attempt to
deliver it (its WhatsApp message id, or why WhatsApp refused it at once) is recorded on the ticket's message in the
backend, which then follows its status webhooks (bot/channels/whatsapp_status.py).
"""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime
from typing import Any, Dict, Text

from rasa.core.channels.channel import OutputChannel

from bot.channels.backend_client import BackendError, ChannelBackend
from bot.channels.transcript import AGENT_METADATA_KEY
from bot.channels.whatsapp_graph import (
    WINDOW_SECONDS,
    GraphApi,
    Sent,
    button_messages,
    template_message,
    text_messages,
)

logger = logging.getLogger(__name__)

CONVERSATION_PREFIX = "wa:"
# Meta's business-scoped user id (BSUID), sent as `user_id` for a seller known only by a username: a country
# code, a dot, optionally ENT. for a parent id, and up to 128 letters and digits (business-scoped-user-ids docs).
_BSUID = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}\Z")


def conversation_of(sender: str) -> str:
    return f"{CONVERSATION_PREFIX}{sender}"


def number_of(conversation: str) -> str:
    """The conversation's WhatsApp sender: a number's digits, or a business-scoped user id."""
    return conversation.removeprefix(CONVERSATION_PREFIX)


def is_number(sender: str) -> bool:
    return sender.isdigit()


def valid_sender(sender: Any) -> bool:
    return isinstance(sender, str) and (sender.isdigit() or bool(_BSUID.match(sender)))


def e164(number: str) -> str:
    """WhatsApp sends numbers as digits; the backend names them in E.164 (with '+')."""
    return number if number.startswith("+") else f"+{number}"


def backend_sender(sender: str) -> str:
    """How the backend names a sender: a number in E.164, a business-scoped user id as it is."""
    return e164(sender) if is_number(sender) else sender


class ServiceWindows:
    """When each sender last wrote to us (the message's own timestamp): free-form messages are allowed for 24
    hours after that.

    Known in this process from the messages it handled; otherwise from the backend (the identity lookup carries
    `last_inbound_at`), so an agent's reply sent through another replica respects the window too.
    """

    def __init__(self, backend: ChannelBackend) -> None:
        self.backend = backend
        self._last_inbound: dict[str, float] = {}

    def touch(self, sender: str, at: float) -> None:
        self._last_inbound[sender] = max(at, self._last_inbound.get(sender, 0.0))

    async def is_open(self, sender: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        last = self._last_inbound.get(sender)
        if last is None and is_number(sender):
            try:
                linked = await self.backend.linked_seller(e164(sender))
            except BackendError as error:
                logger.warning("whatsapp: window of %s unknown (%s); treating it as closed", sender, error)
                return False
            if linked is not None and linked.last_inbound_at:
                last = datetime.fromisoformat(linked.last_inbound_at.replace("Z", "+00:00")).timestamp()
        return last is not None and now - last < WINDOW_SECONDS


class WhatsAppOutput(OutputChannel):
    """Sends the bot's (or an agent's) messages to a WhatsApp sender, within WhatsApp's limits.

    Inside the 24-hour window: text, reply buttons or lists. Outside it: the configured template with the text,
    because WhatsApp refuses free-form messages there.
    """

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    def __init__(self, graph: GraphApi, windows: ServiceWindows, backend: ChannelBackend, template: str,
                 template_language: str, list_label: str) -> None:
        self.graph = graph
        self.windows = windows
        self.backend = backend
        self.template = template
        self.template_language = template_language
        self.list_label = list_label

    async def _deliver(self, recipient_id: Text, messages: list[dict[str, Any]], text: str,
                       agent: Any = None) -> None:
        sender = number_of(recipient_id)
        if not await self.windows.is_open(sender):
            if not self.template:
                self.graph.record_failure("send outside the 24-hour window", None, f"no template for {sender}")
                await self.report(agent, Sent(None, "outside the 24-hour window and no template configured"),
                                  template=False, sender=sender)
                return
            messages = [template_message(self.template, self.template_language, text)]
        for message in messages:
            sent = await self.graph.send(sender, message)
            await self.report(agent, sent, template=message.get("type") == "template", sender=sender)

    async def report(self, agent: Any, sent: Sent, template: bool, sender: str) -> None:
        """Record an agent reply's attempt on its ticket, so the console follows it (the bot's own messages
        are followed through the logs and the channel's health)."""
        if not isinstance(agent, dict) or not isinstance(agent.get("message_id"), int):
            return
        try:
            answer = await self.backend.record_agent_reply_attempt(
                str(agent.get("ticket") or ""), agent["message_id"], sent.message_id, template, sent.error)
        except BackendError as error:
            logger.error("whatsapp: attempt for agent reply %s of ticket %s in %s not recorded: %s",
                         agent["message_id"], agent.get("ticket"), conversation_of(sender), error)
            return
        await self.follow(answer, sender)

    async def follow(self, answer: dict[str, Any], sender: str) -> None:
        """Resend an agent's reply once as the approved template when the backend says WhatsApp refused it
        because the 24-hour window had closed (the template attempt is never resent)."""
        reply = answer.get("agent_reply")
        if not answer.get("resend_as_template") or not isinstance(reply, dict):
            return
        logger.warning("whatsapp: agent reply %s of ticket %s refused outside the window in %s; resending it as "
                       "the template", reply.get("message_id"), reply.get("ticket"), conversation_of(sender))
        sent = await self.send_template(sender, str(reply.get("body") or ""))
        await self.report(reply, sent, template=True, sender=sender)

    async def send_template(self, sender: str, text: str) -> Sent:
        """The approved template carrying the text (a reply WhatsApp refused outside the window, once more)."""
        if not self.template:
            return Sent(None, "no template configured")
        return await self.graph.send(sender, template_message(self.template, self.template_language, text))

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._deliver(recipient_id, text_messages(text), text, kwargs.get(AGENT_METADATA_KEY))

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: list[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._deliver(recipient_id, button_messages(text, buttons, self.list_label), text)

    async def send_quick_replies(
        self, recipient_id: Text, text: Text, quick_replies: list[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._deliver(recipient_id, [{"type": "image", "image": {"link": image}}], image)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        """A ready WhatsApp message object (with its own `type`), e.g. a template chosen by a response."""
        if isinstance(json_message.get("type"), str):
            await self._deliver(recipient_id, [json_message], str(json_message.get("text", "")))
