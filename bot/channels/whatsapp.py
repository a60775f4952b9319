"""WhatsApp (Meta's WhatsApp Business Cloud API) as a Rasa input channel.

GET  /webhooks/whatsapp/webhook   Meta's verification handshake (hub.mode, hub.verify_token, hub.challenge)
POST /webhooks/whatsapp/webhook   deliveries; `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the app
                                  secret) is checked on every one, 403 otherwise
GET  /webhooks/whatsapp/          health, with the count of recent Graph API failures

A delivery is answered 200 at once and handled off the request (Meta retries slow webhooks, and a delivery may
hold several messages and status updates). Each message is handled once: the backend records its id under a
unique constraint (`PUT /v1/channels/whatsapp/inbound/{id}`), so a redelivery is ignored across restarts and
replicas. Status updates of our messages are recorded in the backend, never answered.

The conversation is `wa:<number without +>`, or `wa:<business-scoped user id>` for a seller known only by a
WhatsApp username (a message with `user_id` and no `from`). The number's seller comes from the backend
(`GET /v1/identities/whatsapp/{+number}`); an unknown number, and a username (which can't be linked yet), gets no
binding, so the actions give general answers only and say the account must be linked. Every message is answered
(whatsapp_inbound.py says how); the 24-hour window counts from the message's own timestamp. Status updates and
errors Meta reports: whatsapp_status.py; sending: whatsapp_output.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.backend_client import BackendError, ChannelBackend
from bot.channels.limits import DEFAULT_MESSAGES_IN_FLIGHT, MessageLimits, TooManyMessages, sender_key
from bot.channels.takeover import AGENT_HOLDS, Takeover
from bot.channels.verified import (
    DEFAULT_MAX_MESSAGE_CHARS,
    FILE_REFUSALS_KEY,
    FILES_NOT_STORED_KEY,
    configured,
    message_metadata,
)
from bot.channels.whatsapp_graph import GraphApi
from bot.channels.whatsapp_inbound import Content, InboundReader, iso, sent_at
from bot.channels.whatsapp_output import (
    ServiceWindows,
    WhatsAppOutput,
    backend_sender,
    conversation_of,
    e164,
    is_number,
    valid_sender,
)
from bot.channels.whatsapp_status import StatusReports
from bot.http_auth import error_response as _error

logger = logging.getLogger(__name__)

_SEEN_IN_PROCESS = 10_000
TOO_MANY_MESSAGES = "utter_too_many_messages"  # domain.yml


def signature_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Meta's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`."""
    if not header or not header.startswith("sha256=") or not app_secret:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").strip().lower(), expected)


class WhatsAppInput(InputChannel):
    """The WhatsApp Cloud API webhook."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WhatsAppInput":
        c = credentials or {}
        backend = ChannelBackend.from_credentials(c, "whatsapp")
        graph = GraphApi(
            configured(c.get("graph_url"), "whatsapp graph_url (ALEX_WHATSAPP_GRAPH_URL)"),
            configured(c.get("access_token"), "whatsapp access_token (ALEX_WHATSAPP_TOKEN)"),
            configured(c.get("phone_number_id"), "whatsapp phone_number_id (ALEX_WHATSAPP_PHONE_NUMBER_ID)"),
            float(c.get("graph_timeout") or 10),
        )
        return cls(
            app_secret=configured(c.get("app_secret"), "whatsapp app_secret (ALEX_WHATSAPP_APP_SECRET)"),
            verify_token=configured(c.get("verify_token"), "whatsapp verify_token (ALEX_WHATSAPP_VERIFY_TOKEN)"),
            identity_secret=configured(c.get("identity_secret"), "whatsapp identity_secret"),
            graph=graph,
            backend=backend,
            max_message_chars=int(c.get("max_message_chars") or DEFAULT_MAX_MESSAGE_CHARS),
            messages_in_flight=int(c.get("messages_in_flight") or DEFAULT_MESSAGES_IN_FLIGHT),
            template=str(c.get("template") or ""),
            template_language=str(c.get("template_language") or "en"),
            list_label=str(c.get("list_button") or "Options"),
        )

    def __init__(self, app_secret: str, verify_token: str, identity_secret: str, graph: GraphApi,
                 backend: ChannelBackend, max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
                 messages_in_flight: int = DEFAULT_MESSAGES_IN_FLIGHT,
                 template: str = "", template_language: str = "en", list_label: str = "Options") -> None:
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.identity_secret = identity_secret
        self.graph = graph
        self.backend = backend
        self.takeover = Takeover(backend)
        self.limits = MessageLimits(backend, messages_in_flight)
        self.windows = ServiceWindows(backend)
        self.output = WhatsAppOutput(graph, self.windows, backend, template, template_language, list_label)
        self.reader = InboundReader(graph, backend, max_message_chars, self._agent)
        self.statuses = StatusReports(backend, graph, self.output)
        self.app: Sanic | None = None
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._tasks: set[asyncio.Task] = set()

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For messages Rasa sends outside a turn (an agent's reply in issue 6), respecting the 24-hour window."""
        return self.output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("whatsapp_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            self.app = request.app
            recent = [{"what": f.what, "status": f.status, "detail": f.detail[:200]} for f in self.graph.failures]
            return response.json({"status": "ok", "graph_failures": len(self.graph.failures),
                                  "recent_failures": recent[-10:]})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            if request.args.get("hub.mode") == "subscribe" and hmac.compare_digest(
                token.encode(), self.verify_token.encode()
            ):
                return response.text(request.args.get("hub.challenge") or "")
            return _error(403, "forbidden", "Verification failed.")

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not signature_valid(request.body, request.headers.get("X-Hub-Signature-256"), self.app_secret):
                return _error(403, "bad_signature", "The X-Hub-Signature-256 does not match.")
            delivery = request.json if isinstance(request.json, dict) else None
            if delivery is None:
                return _error(400, "bad_request", "A JSON object is expected.")
            self.app = request.app
            task = asyncio.create_task(self._handle_delivery(delivery, on_new_message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return response.text("EVENT_RECEIVED")

        return webhook

    async def _handle_delivery(self, delivery: dict[str, Any], on_new_message: Callable[..., Awaitable[Any]]) -> None:
        for entry in delivery.get("entry") or []:
            for change in (entry or {}).get("changes") or []:
                value = (change or {}).get("value") or {}
                if not isinstance(value, dict):
                    continue
                phone_number_id = (value.get("metadata") or {}).get("phone_number_id")
                if phone_number_id and str(phone_number_id) != self.graph.phone_number_id:
                    logger.warning("whatsapp: delivery for another phone number (%s) ignored", phone_number_id)
                    continue
                self.statuses.errors(value)
                for status in value.get("statuses") or []:
                    await self._guarded(self.statuses.record(status), "status update")
                for message in value.get("messages") or []:
                    await self._guarded(self._handle_message(message, on_new_message), "message")

    @staticmethod
    async def _guarded(work: Awaitable[Any], what: str) -> None:
        """One bad item of a delivery is logged; the others are still handled."""
        try:
            await work
        except Exception:
            logger.exception("whatsapp: handling a %s failed", what)

    def _first_sight(self, message_id: str) -> bool:
        """This process has not seen the id yet (a fast first filter before the backend's authoritative one)."""
        if message_id in self._seen:
            return False
        self._seen[message_id] = None
        if len(self._seen) > _SEEN_IN_PROCESS:
            self._seen.popitem(last=False)
        return True

    async def _handle_message(self, message: dict[str, Any], on_new_message: Callable[..., Awaitable[Any]]) -> None:
        # A seller known only by a username comes with a business-scoped `user_id` and no `from`.
        message_id, sender = message.get("id"), message.get("from") or message.get("user_id")
        if not isinstance(message_id, str) or not valid_sender(sender):
            logger.warning("whatsapp: message without id or sender ignored")
            return
        if not self._first_sight(message_id):
            return
        written_at = sent_at(message)
        try:
            if not await self.backend.record_whatsapp_inbound(message_id, backend_sender(sender), iso(written_at)):
                logger.info("whatsapp: duplicate delivery of %s ignored", message_id)
                return
        except BackendError as error:
            # Without the backend only this process's memory dedupes: answer rather than stay silent.
            logger.warning("whatsapp: inbound %s not recorded (%s); handling it once here", message_id, error)
        self.windows.touch(sender, written_at)  # when the seller wrote, not when Meta got it to us
        await self.graph.mark_read(message_id)

        conversation = conversation_of(sender)
        try:
            with self.limits.in_flight(conversation):
                await self._answer(message, message_id, sender, conversation, on_new_message)
        except TooManyMessages as refused:
            if refused.first:  # one short reply for the whole burst, not one per message
                await self._say(conversation, TOO_MANY_MESSAGES)

    async def _answer(self, message: dict[str, Any], message_id: str, sender: str, conversation: str,
                      on_new_message: Callable[..., Awaitable[Any]]) -> None:
        """A new message, within the conversation's in-flight cap: counted, then handed to the bot, or to the
        agent holding the conversation; what Alex can't read is answered with what it can."""
        seller_id = await self._seller_of(sender)
        await self.limits.spend(sender_key(seller_id, conversation))
        content = await self.reader.read(message, conversation, seller_id)
        text = content.text
        if content.answer is not None:
            if await self.takeover.holder(conversation) != AGENT_HOLDS:
                await self._say(conversation, content.answer)
                return
            await self.reader.keep_media(content, message, seller_id)  # the agent gets it as evidence if it can
            text = content.for_agent
        await self.takeover.route(self._agent(), self._user_message(text or "", content, conversation, seller_id,
                                                                    message_id), on_new_message)

    def _user_message(self, text: str, content: Content, conversation: str, seller_id: str | None,
                      message_id: str) -> UserMessage:
        metadata = message_metadata(conversation, seller_id, self.identity_secret, content.attachments)
        if content.not_stored and content.answer is None:
            metadata[FILES_NOT_STORED_KEY] = [name for name, _ in content.not_stored]  # so Alex says so
            metadata[FILE_REFUSALS_KEY] = [why for _, why in content.not_stored]
        metadata["whatsapp_message_id"] = message_id
        return UserMessage(text, self.output, conversation, input_channel=self.name(), metadata=metadata)

    async def _say(self, conversation: str, response: str) -> None:
        """A response of the domain sent outside a turn (nothing is added to the conversation)."""
        assert self._agent().processor is not None
        tracker = DialogueStateTracker(conversation, [])
        message = await self._agent().processor.nlg.generate(response, tracker, self.output.name())
        if message:
            await self.output.send_response(conversation, message)

    async def _seller_of(self, sender: str) -> str | None:
        if not is_number(sender):
            return None  # only numbers are linked to sellers (a username can't be, yet)
        try:
            linked = await self.backend.linked_seller(e164(sender))
        except BackendError as error:
            logger.warning("whatsapp: identity of %s unknown (%s); answering without a seller", sender, error)
            return None
        return linked.seller_id if linked else None

    def _agent(self) -> Any:
        assert self.app is not None
        return self.app.ctx.agent
