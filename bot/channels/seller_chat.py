"""The seller chat channel: JSON over HTTP, with the seller's identity from a verified platform token.

POST /webhooks/seller_chat/webhook
    Authorization: Bearer <token signed by the platform>
    {"message": "where is my refund", "session": "optional-client-session-name"}
-> {"conversation_id": "...", "messages": [{"text": ..., "buttons": [...]}, ...]}

The conversation id is derived from the verified seller, so a token can only ever reach its own seller's
conversations; the client's `sender` and `metadata` (which Rasa's stock `rest` channel trusts) do not exist here.
"""

from __future__ import annotations

import re
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.command_guard import disarm, offered_payloads
from bot.http_auth import bearer_token
from bot.http_auth import error_response as _error
from bot.identity import InvalidIdentity, bind_conversation, verify_seller_token

_SESSION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DEFAULT_SESSION = "main"
_DEFAULT_MAX_MESSAGE_CHARS = 2000


def conversation_id(seller_id: str, session: str) -> str:
    """`web:<session>:<seller>`: the session has no ':', so distinct pairs never share an id."""
    return f"web:{session}:{seller_id}"


class SellerChatInput(InputChannel):
    """HTTP chat for signed-in sellers (the terminal chat, the tests, and any trusted front end)."""

    @classmethod
    def name(cls) -> Text:
        return "seller_chat"

    @classmethod
    def from_credentials(cls, credentials: dict[Text, Any] | None) -> "SellerChatInput":
        credentials = credentials or {}
        return cls(
            identity_secret=credentials.get("identity_secret") or "",
            max_message_chars=int(credentials.get("max_message_chars") or _DEFAULT_MAX_MESSAGE_CHARS),
        )

    def __init__(self, identity_secret: str, max_message_chars: int = _DEFAULT_MAX_MESSAGE_CHARS) -> None:
        if not identity_secret or "${" in identity_secret:
            raise ValueError("seller_chat needs an identity_secret (ALEX_IDENTITY_SECRET, unquoted in YAML)")
        self.identity_secret = identity_secret
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
            if not isinstance(session, str) or not _SESSION_NAME.match(session):
                return _error(400, "bad_session", "'session' must be 1-64 letters, digits, '-' or '_'.")
            text = body.get("message")
            if not isinstance(text, str):
                return _error(400, "bad_message", "'message' must be a string.")
            if len(text) > self.max_message_chars:
                return _error(
                    413, "message_too_long",
                    f"Messages are limited to {self.max_message_chars} characters; please shorten it.",
                )

            sender_id = conversation_id(seller_id, session)
            agent = request.app.ctx.agent
            text = disarm(text, await offered_payloads(agent, sender_id))
            if not text.strip():
                return _error(400, "empty_message", "The message is empty.")

            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender_id,
                    input_channel=self.name(),
                    metadata=bind_conversation(sender_id, seller_id, self.identity_secret),
                )
            )
            return response.json({"conversation_id": sender_id, "messages": collector.messages})

        return chat
