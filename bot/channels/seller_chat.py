"""The seller chat channel: JSON over HTTP, with the seller's identity from a verified platform token.

POST /webhooks/seller_chat/webhook
    Authorization: Bearer <token signed by the platform>
    {"message": "where is my refund", "session": "optional-client-session-name", "attachments": [reference, ...]}
-> {"conversation_id": "...", "messages": [{"text": ..., "buttons": [...]}, ...]}

The conversation id is derived from the verified seller, so a token can only ever reach its own seller's
conversations; the client's `sender` and `metadata` (which Rasa's stock `rest` channel trusts) do not exist here.
Attachments are the references the web chat's upload endpoint signed for the same conversation (the seller and
session name make the same conversation id on both channels), verified here as there.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.attachments import InvalidReference, verified_attachments
from bot.channels.backend_client import ChannelBackend
from bot.channels.limits import DEFAULT_MESSAGES_IN_FLIGHT, MessageLimits, TooManyMessages, sender_key
from bot.channels.takeover import Takeover
from bot.channels.verified import (
    DEFAULT_MAX_MESSAGE_CHARS,
    SESSION_NAME,
    Refused,
    checked_text,
    configured,
    conversation_id,
    message_metadata,
)
from bot.http_auth import bearer_token
from bot.http_auth import error_response as _error
from bot.identity import InvalidIdentity, verify_seller_token

_DEFAULT_SESSION = "main"


class SellerChatInput(InputChannel):
    """HTTP chat for signed-in sellers (the terminal chat, the tests, and any trusted front end)."""

    @classmethod
    def name(cls) -> Text:
        return "seller_chat"

    @classmethod
    def from_credentials(cls, credentials: dict[Text, Any] | None) -> "SellerChatInput":
        credentials = credentials or {}
        return cls(
            identity_secret=configured(credentials.get("identity_secret"), "seller_chat identity_secret"),
            backend=ChannelBackend.from_credentials(credentials, "seller_chat"),
            max_message_chars=int(credentials.get("max_message_chars") or DEFAULT_MAX_MESSAGE_CHARS),
            messages_in_flight=int(credentials.get("messages_in_flight") or DEFAULT_MESSAGES_IN_FLIGHT),
        )

    def __init__(self, identity_secret: str, backend: ChannelBackend,
                 max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
                 messages_in_flight: int = DEFAULT_MESSAGES_IN_FLIGHT) -> None:
        self.identity_secret = configured(identity_secret, "seller_chat identity_secret")
        self.takeover = Takeover(backend)
        self.limits = MessageLimits(backend, messages_in_flight)
        self.max_message_chars = max_message_chars

    def _seller_from(self, request: Request) -> str:
        return verify_seller_token(bearer_token(request), self.identity_secret)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        chat = Blueprint("seller_chat_webhook", __name__)

        @chat.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @chat.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                seller_id = self._seller_from(request)
            except InvalidIdentity:
                return _error(401, "unauthenticated", "A valid seller token is required.")

            body = request.json if isinstance(request.json, dict) else None
            if body is None:
                return _error(400, "bad_request", "Send a JSON object with a 'message'.")
            session = body.get("session", _DEFAULT_SESSION)
            if not isinstance(session, str) or not SESSION_NAME.match(session):
                return _error(400, "bad_session", "'session' must be 1-64 letters, digits, '-' or '_'.")
            sender_id = conversation_id(seller_id, session)
            try:
                attachments = verified_attachments(sender_id, body.get("attachments"), self.identity_secret)
            except InvalidReference:
                return _error(400, "bad_attachments", "An attachment is not valid here; please upload it again.")
            try:
                with self.limits.in_flight(sender_id):
                    text = await checked_text(request.app.ctx.agent, sender_id, body.get("message"),
                                              self.max_message_chars, attachments=bool(attachments))
                    await self.limits.spend(sender_key(seller_id, sender_id))
                    collector = CollectingOutputChannel()
                    message = UserMessage(text, collector, sender_id, input_channel=self.name(), metadata=(
                        message_metadata(sender_id, seller_id, self.identity_secret, attachments)))
                    to_agent = await self.takeover.route(request.app.ctx.agent, message, on_new_message)
            except TooManyMessages as refused:
                return _error(refused.status, refused.code, refused.message, {"Retry-After": str(refused.retry_after)})
            except Refused as refused:
                return _error(refused.status, refused.code, refused.message)
            # While a person holds the conversation the bot says nothing; `with_agent` tells the client why.
            return response.json({"conversation_id": sender_id, "messages": collector.messages,
                                  "with_agent": to_agent})

        return chat
