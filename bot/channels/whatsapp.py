"""WhatsApp (Meta's WhatsApp Business Cloud API) as a Rasa input channel.

GET  /webhooks/whatsapp/webhook   Meta's verification handshake (hub.mode, hub.verify_token, hub.challenge)
POST /webhooks/whatsapp/webhook   deliveries; `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the app
                                  secret) is checked on every one, 403 otherwise
GET  /webhooks/whatsapp/          health, with the count of recent Graph API failures

A delivery is answered 200 at once and handled off the request (Meta retries slow webhooks, and a delivery may
hold several messages and status updates). Each message is handled once: the backend records its id under a
unique constraint (`PUT /v1/channels/whatsapp/inbound/{id}`), so a redelivery is ignored across restarts and
replicas. Status updates of our messages are recorded in the backend, never answered.

The conversation is `wa:<number without +>`. The number's seller comes from the backend
(`GET /v1/identities/whatsapp/{+number}`); an unknown number gets no binding, so the actions give general answers
only. Typed text never acts as a command (command_guard); a button or list reply is mapped back to the payload
the bot offered through a digest id, so a forged id does nothing. Images, videos and documents are downloaded
from the Graph API and stored as the seller's evidence in the backend; the channel puts them into metadata.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.backend_client import BackendError, BackendRefused, ChannelBackend
from bot.channels.command_guard import offered_payloads
from bot.channels.limits import DEFAULT_MESSAGES_IN_FLIGHT, MessageLimits, TooManyMessages, sender_key
from bot.channels.takeover import Takeover
from bot.channels.verified import (
    DEFAULT_MAX_MESSAGE_CHARS,
    FILE_REFUSALS_KEY,
    FILES_NOT_STORED_KEY,
    SHARE_EVIDENCE,
    Refused,
    checked_text,
    configured,
    message_metadata,
)
from bot.channels.whatsapp_graph import (
    WINDOW_SECONDS,
    GraphApi,
    GraphError,
    button_messages,
    payload_for,
    template_message,
    text_messages,
)
from bot.http_auth import error_response as _error

logger = logging.getLogger(__name__)

CONVERSATION_PREFIX = "wa:"
_MEDIA_TYPES = ("image", "video", "document")
_SEEN_IN_PROCESS = 10_000
TOO_MANY_MESSAGES = "utter_too_many_messages"  # domain.yml


def conversation_of(number: str) -> str:
    return f"{CONVERSATION_PREFIX}{number}"


def number_of(conversation: str) -> str:
    return conversation.removeprefix(CONVERSATION_PREFIX)


def e164(number: str) -> str:
    """WhatsApp sends numbers as digits; the backend names them in E.164 (with '+')."""
    return number if number.startswith("+") else f"+{number}"


def signature_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Meta's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`."""
    if not header or not header.startswith("sha256=") or not app_secret:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").strip().lower(), expected)


def _iso(unix_seconds: Any) -> str:
    try:
        moment = datetime.fromtimestamp(int(unix_seconds), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        moment = datetime.now(tz=timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


class ServiceWindows:
    """When each number last wrote to us: free-form messages are allowed for 24 hours after that.

    Known in this process from the messages it handled; otherwise from the backend (the identity lookup carries
    `last_inbound_at`), so an agent's reply sent through another replica respects the window too.
    """

    def __init__(self, backend: ChannelBackend) -> None:
        self.backend = backend
        self._last_inbound: dict[str, float] = {}

    def touch(self, number: str, at: float) -> None:
        self._last_inbound[number] = max(at, self._last_inbound.get(number, 0.0))

    async def is_open(self, number: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        last = self._last_inbound.get(number)
        if last is None:
            try:
                linked = await self.backend.linked_seller(e164(number))
            except BackendError as error:
                logger.warning("whatsapp: window of %s unknown (%s); treating it as closed", number, error)
                return False
            if linked is None or not linked.last_inbound_at:
                return False
            last = datetime.fromisoformat(linked.last_inbound_at.replace("Z", "+00:00")).timestamp()
        return now - last < WINDOW_SECONDS


class WhatsAppOutput(OutputChannel):
    """Sends the bot's (or an agent's) messages to a WhatsApp number, within WhatsApp's limits.

    Inside the 24-hour window: text, reply buttons or lists. Outside it: the configured template with the text,
    because WhatsApp refuses free-form messages there.
    """

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    def __init__(self, graph: GraphApi, windows: ServiceWindows, template: str, template_language: str,
                 list_label: str) -> None:
        self.graph = graph
        self.windows = windows
        self.template = template
        self.template_language = template_language
        self.list_label = list_label

    async def _deliver(self, recipient_id: Text, messages: list[dict[str, Any]], text: str) -> None:
        number = number_of(recipient_id)
        if not await self.windows.is_open(number):
            if not self.template:
                self.graph.record_failure("send outside the 24-hour window", None, f"no template for {number}")
                return
            messages = [template_message(self.template, self.template_language, text)]
        for message in messages:
            await self.graph.send(number, message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._deliver(recipient_id, text_messages(text), text)

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
        self.max_message_chars = max_message_chars
        self.windows = ServiceWindows(backend)
        self.template, self.template_language, self.list_label = template, template_language, list_label
        self.app: Sanic | None = None
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._tasks: set[asyncio.Task] = set()

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For messages Rasa sends outside a turn (an agent's reply in issue 6), respecting the 24-hour window."""
        return WhatsAppOutput(self.graph, self.windows, self.template, self.template_language, self.list_label)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("whatsapp_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            self.app = request.app
            return response.json({"status": "ok", "graph_failures": len(self.graph.failures)})

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
                for status in value.get("statuses") or []:
                    await self._guarded(self._record_status(status), "status update")
                for message in value.get("messages") or []:
                    await self._guarded(self._handle_message(message, on_new_message), "message")

    @staticmethod
    async def _guarded(work: Awaitable[Any], what: str) -> None:
        """One bad item of a delivery is logged; the others are still handled."""
        try:
            await work
        except Exception:
            logger.exception("whatsapp: handling a %s failed", what)

    async def _record_status(self, status: dict[str, Any]) -> None:
        message_id = status.get("id")
        if not isinstance(message_id, str):
            return
        recipient = str(status.get("recipient_id") or "")
        update: dict[str, Any] = {"status": status.get("status"), "at": _iso(status.get("timestamp")),
                                  "recipient": e164(recipient)}
        if status.get("errors"):
            logger.warning("whatsapp: message %s failed: %s", message_id, status["errors"])
            update["errors"] = [
                {"code": int(e.get("code") or 0), "title": str(e.get("title") or "error")[:200],
                 "message": str(e.get("message") or (e.get("error_data") or {}).get("details") or "")[:1000] or None}
                for e in status["errors"][:10] if isinstance(e, dict)
            ]
        try:
            await self.backend.record_whatsapp_status(message_id, update)
        except BackendError as error:
            logger.warning("whatsapp: status of %s not recorded: %s", message_id, error)

    def _first_sight(self, message_id: str) -> bool:
        """This process has not seen the id yet (a fast first filter before the backend's authoritative one)."""
        if message_id in self._seen:
            return False
        self._seen[message_id] = None
        if len(self._seen) > _SEEN_IN_PROCESS:
            self._seen.popitem(last=False)
        return True

    async def _handle_message(self, message: dict[str, Any], on_new_message: Callable[..., Awaitable[Any]]) -> None:
        message_id, number = message.get("id"), message.get("from")
        if not isinstance(message_id, str) or not isinstance(number, str) or not number.isdigit():
            logger.warning("whatsapp: message without id or sender ignored")
            return
        if not self._first_sight(message_id):
            return
        received_at = _iso(message.get("timestamp"))
        try:
            if not await self.backend.record_whatsapp_inbound(message_id, e164(number), received_at):
                logger.info("whatsapp: duplicate delivery of %s ignored", message_id)
                return
        except BackendError as error:
            # Without the backend only this process's memory dedupes: answer rather than stay silent.
            logger.warning("whatsapp: inbound %s not recorded (%s); handling it once here", message_id, error)
        self.windows.touch(number, time.time())
        await self.graph.mark_read(message_id)

        conversation = conversation_of(number)
        try:
            with self.limits.in_flight(conversation):
                await self._answer(message, message_id, number, conversation, on_new_message)
        except TooManyMessages as refused:
            if refused.first:  # one short reply for the whole burst, not one per message
                await self._say(conversation, TOO_MANY_MESSAGES)

    async def _answer(self, message: dict[str, Any], message_id: str, number: str, conversation: str,
                      on_new_message: Callable[..., Awaitable[Any]]) -> None:
        """A new message, within the conversation's in-flight cap: counted, then handed to the bot."""
        seller_id = await self._seller_of(number)
        await self.limits.spend(sender_key(seller_id, conversation))
        text, attachments, not_stored = await self._content(message, conversation, seller_id)
        if text is None:
            return
        metadata = message_metadata(conversation, seller_id, self.identity_secret, attachments)
        if not_stored:
            metadata[FILES_NOT_STORED_KEY] = [name for name, _ in not_stored]  # so Alex says so, not "thanks"
            metadata[FILE_REFUSALS_KEY] = [why for _, why in not_stored]
        metadata["whatsapp_message_id"] = message_id
        output = WhatsAppOutput(self.graph, self.windows, self.template, self.template_language, self.list_label)
        message = UserMessage(text, output, conversation, input_channel=self.name(), metadata=metadata)
        await self.takeover.route(self._agent(), message, on_new_message)

    async def _say(self, conversation: str, response: str) -> None:
        """A response of the domain sent outside a turn (nothing is added to the conversation)."""
        output = self.get_output_channel()
        assert output is not None and self._agent().processor is not None
        tracker = DialogueStateTracker(conversation, [])
        message = await self._agent().processor.nlg.generate(response, tracker, output.name())
        if message:
            await output.send_response(conversation, message)

    async def _seller_of(self, number: str) -> str | None:
        try:
            linked = await self.backend.linked_seller(e164(number))
        except BackendError as error:
            logger.warning("whatsapp: identity of %s unknown (%s); answering without a seller", number, error)
            return None
        return linked.seller_id if linked else None

    async def _content(
        self, message: dict[str, Any], conversation: str, seller_id: str | None
    ) -> tuple[str | None, list[dict[str, str]], list[tuple[str, str]]]:
        """The text to hand to Rasa, the verified attachments and the files that could not be kept (an
        unlinked number, a file the evidence store refuses, a Graph error), each as its name and the evidence
        store's refusal code ("" when it never answered); (None, [], []) for what we do not answer."""
        kind = message.get("type")
        attachments: list[dict[str, str]] = []
        not_stored: list[tuple[str, str]] = []
        if kind == "text":
            raw = str((message.get("text") or {}).get("body") or "")
        elif kind == "interactive":
            interactive = message.get("interactive") or {}
            reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
            payload = payload_for(str(reply.get("id") or ""), await offered_payloads(self._agent(), conversation))
            raw = payload if payload is not None else str(reply.get("title") or "")
        elif kind == "button":  # a template's quick-reply button: its text, like typing it
            raw = str((message.get("button") or {}).get("text") or "")
        elif kind in _MEDIA_TYPES:
            media = message.get(kind) or {}
            raw = str(media.get("caption") or "")
            stored: dict[str, str] | str = ""
            if seller_id is not None and isinstance(media.get("id"), str):
                stored = await self._store_evidence(seller_id, media, kind)
            attachments = [stored] if isinstance(stored, dict) else []
            not_stored = [] if attachments else [(str(media.get("filename") or kind)[:200], str(stored))]
            if not raw.strip():
                return SHARE_EVIDENCE, attachments, not_stored
        else:
            logger.info("whatsapp: %s messages are not answered", kind)
            return None, [], []
        raw = raw[: self.max_message_chars]  # WhatsApp allows 4096; we cannot show a refusal, so we shorten
        try:
            return await checked_text(
                self._agent(), conversation, raw, self.max_message_chars, attachments=bool(attachments)
            ), attachments, not_stored
        except Refused:
            return None, [], []

    async def _store_evidence(self, seller_id: str, media: dict[str, Any], kind: str) -> dict[str, str] | str:
        """The stored attachment, or why not: the evidence store's refusal code, "" when it never answered."""
        try:
            content, mime_type = await self.graph.media(media["id"])
        except GraphError:
            return ""
        filename = str(media.get("filename") or f"whatsapp-{kind}-{media['id']}")
        try:
            evidence = await self.backend.upload_evidence(
                seller_id, content, mime_type, filename, f"wa-media:{media['id']}"
            )
        except BackendError as error:
            logger.warning("whatsapp: media %s not stored as evidence: %s", media["id"], error)
            return error.code if isinstance(error, BackendRefused) else ""
        return {
            "evidence_id": str(evidence["id"]),
            "content_type": str(evidence.get("content_type") or mime_type),
            "filename": filename,
        }

    def _agent(self) -> Any:
        assert self.app is not None
        return self.app.ctx.agent
