"""The help page's web chat: Socket.IO, with the seller's identity from a verified platform token.

Rasa's own `SocketIOInput` trusts the client with everything that matters: its JWT check only gates the
connection (the claims never reach the message), the client picks `session_id` (so any conversation id) and
`metadata`, and with session persistence on python-socketio >= 5.10 its replies vanish (RasaHQ/rasa#13027,
`enter_room` became a coroutine). This channel keeps Rasa's wire shape but decides everything on the server:

- connect: `auth.token` is verified (signature, audience, expiry); the socket's session keeps the seller and the
  token's expiry, and a message after expiry is refused, so the token matters beyond the handshake. At expiry the
  socket is ended, and no delivery reaches it (socket_expiry.py).
- `renew_token {token}`: a fresh token for the same seller extends the socket's life (`token_renewed
  {expires_at}`); the widget sends one before expiry, so an active seller is never cut off.
- `session_request {session_id?}`: the session id is only a *name*; the conversation is
  `web:<name>:<verified seller>`, so another seller's name leads to one's own, empty conversation. The socket
  joins that room (awaited when python-socketio makes it a coroutine), and the history comes back from the
  tracker store, so a reload shows the conversation and a half-finished form continues.
- `user_uttered {message, attachments?}`: size-limited, typed `/commands` disarmed, attachments only as references
  this channel signed for this conversation (see attachments.py); the channel builds the metadata itself.
- `POST /webhooks/webchat/evidence`: an upload (token-authenticated) streamed to the backend's evidence store as the
  verified seller; answers the evidence id and the signed reference the widget then sends with a message.

Server events: `session_confirm {session_id, conversation_id, history}`, `bot_uttered {text, buttons?}`,
`bot_typing {typing}`, `token_renewed {expires_at}`, `chat_error {code, message}`.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import uuid
from urllib.parse import unquote
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer
from socketio.exceptions import ConnectionRefusedError as ConnectionRefused

from bot.channels.attachments import (
    InvalidReference,
    sign_reference,
    verified_attachments,
)
from bot.channels.backend_client import BackendRefused, BackendUnavailable, ChannelBackend
from bot.channels.limits import DEFAULT_MESSAGES_IN_FLIGHT, MessageLimits, TooManyMessages, sender_key
from bot.channels.socket_expiry import ExpiryTimers, emit_to_live_sockets, end_socket, has_expired
from bot.channels.takeover import Takeover
from bot.channels.transcript import agent_label, transcript
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
from bot.identity import InvalidIdentity, verified_seller_claims, verify_seller_token

logger = logging.getLogger(__name__)

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the backend's largest type limit (mp4)
_UPLOAD_ID = SESSION_NAME  # 1-64 letters, digits, '-' or '_', chosen by the widget per file (retries reuse it)
# A Socket.IO packet carries one chat message and a few attachment references: nothing near engineio's 1 MB.
_MAX_PACKET_BYTES = 64 * 1024


class WebChatOutput(OutputChannel):
    """Sends the bot's messages to every socket in the conversation's room (all the seller's tabs) whose token
    is still valid."""

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    def __init__(self, sio: AsyncServer) -> None:
        self.sio = sio

    async def _emit(self, conversation: Text, message: Dict[Text, Any]) -> None:
        await emit_to_live_sockets(self.sio, conversation, "bot_uttered", message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._emit(recipient_id, {"text": text, **agent_label(kwargs)})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: list[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self._emit(recipient_id, {
            "text": text,
            "buttons": [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons],
        })

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._emit(recipient_id, {"image": image})

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        await self._emit(recipient_id, {"attachment": attachment})

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._emit(recipient_id, {"custom": json_message})


class _AppAwareBlueprint(SocketBlueprint):
    """Rasa's Socket.IO blueprint, remembering the app so socket handlers can reach the agent."""

    def __init__(self, on_register: Callable[[Sanic], None], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.on_register = on_register

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        self.ctx.on_register(app)
        super().register(app, options)


async def _enter_room(sio: AsyncServer, sid: str, room: str) -> None:
    """`enter_room` is sync up to python-socketio 5.9 and a coroutine from 5.10 (RasaHQ/rasa#13027): await it."""
    entered = sio.enter_room(sid, room)
    if inspect.isawaitable(entered):
        await entered


async def _leave_room(sio: AsyncServer, sid: str, room: str) -> None:
    left = sio.leave_room(sid, room)
    if inspect.isawaitable(left):
        await left


class WebChatInput(InputChannel):
    """Socket.IO chat for signed-in sellers on the help page."""

    @classmethod
    def name(cls) -> Text:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WebChatInput":
        credentials = credentials or {}
        return cls(
            identity_secret=configured(credentials.get("identity_secret"), "webchat identity_secret"),
            backend=ChannelBackend.from_credentials(credentials, "webchat"),
            allowed_origins=[o.strip() for o in str(credentials.get("allowed_origins") or "").split(",") if o.strip()],
            max_message_chars=int(credentials.get("max_message_chars") or DEFAULT_MAX_MESSAGE_CHARS),
            max_upload_bytes=int(credentials.get("max_upload_bytes") or DEFAULT_MAX_UPLOAD_BYTES),
            redis_url=str(credentials.get("socketio_redis_url") or "") or None,
            messages_in_flight=int(credentials.get("messages_in_flight") or DEFAULT_MESSAGES_IN_FLIGHT),
        )

    def __init__(
        self,
        identity_secret: str,
        backend: ChannelBackend,
        allowed_origins: list[str],
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        redis_url: str | None = None,
        messages_in_flight: int = DEFAULT_MESSAGES_IN_FLIGHT,
    ) -> None:
        self.identity_secret = identity_secret
        self.backend = backend
        self.takeover = Takeover(backend)
        self.limits = MessageLimits(backend, messages_in_flight)
        self.allowed_origins = allowed_origins
        self.max_message_chars = max_message_chars
        self.max_upload_bytes = max_upload_bytes
        self.redis_url = redis_url
        self.sio: AsyncServer | None = None
        self.app: Sanic | None = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For messages Rasa sends outside a turn (`/conversations/{id}/tracker/events?output_channel=webchat`,
        an agent's reply in issue 6): delivered to the conversation's room. Across replicas this needs
        `socketio_redis_url` (a shared Socket.IO manager)."""
        return WebChatOutput(self.sio) if self.sio is not None else None

    def _remember_app(self, app: Sanic) -> None:
        self.app = app

    def _origin_allowed(self, environ: Dict[str, Any]) -> bool:
        """Browsers send Origin on the WebSocket handshake but apply no CORS to it: check it here.
        A client without Origin is no browser page, so no ambient-credential risk; its token still decides."""
        origin = environ.get("HTTP_ORIGIN")
        return origin is None or origin in self.allowed_origins

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # CORS for the polling transport and the upload come from Rasa's own (bot/rasa_server.py: the help page);
        # engineio's own CORS stays off ([]) so the headers are not sent twice.
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=[],
            max_http_buffer_size=_MAX_PACKET_BYTES,
            client_manager=AsyncRedisManager(self.redis_url) if self.redis_url else None,
        )
        self.sio = sio
        timers = ExpiryTimers(sio)
        chat = _AppAwareBlueprint(self._remember_app, sio, "/socket.io", "webchat_webhook", __name__)

        @chat.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect")
        async def connect(sid: str, environ: Dict[str, Any], auth: Any = None) -> None:
            if not self._origin_allowed(environ):
                raise ConnectionRefused("origin_not_allowed")
            token = auth.get("token") if isinstance(auth, dict) else None
            try:
                seller_id, expires_at = verified_seller_claims(token, self.identity_secret)
            except InvalidIdentity:
                raise ConnectionRefused("unauthenticated")
            await sio.save_session(sid, {"seller_id": seller_id, "expires_at": expires_at})
            timers.arm(sid, expires_at)

        @sio.on("disconnect")
        async def disconnect(sid: str) -> None:
            timers.disarm(sid)

        @sio.on("renew_token")
        async def renew_token(sid: str, data: Any = None) -> None:
            session = await self._live_session(sid)
            if session is None:
                return
            try:
                seller_id, expires_at = verified_seller_claims(
                    data.get("token") if isinstance(data, dict) else None, self.identity_secret)
            except InvalidIdentity:
                await self._refuse(sid, "unauthenticated", "The new sign-in could not be verified.")
                return
            if seller_id != session["seller_id"]:
                await self._refuse(sid, "token_mismatch", "That sign-in is for another account; reload the page.")
                return
            session["expires_at"] = expires_at
            await sio.save_session(sid, session)
            timers.arm(sid, expires_at)
            await sio.emit("token_renewed", {"expires_at": expires_at}, to=sid)

        @sio.on("session_request")
        async def session_request(sid: str, data: Any = None) -> None:
            session = await self._live_session(sid)
            if session is None:
                return
            requested = data.get("session_id") if isinstance(data, dict) else None
            name = requested if isinstance(requested, str) and SESSION_NAME.match(requested) else uuid.uuid4().hex
            conversation = conversation_id(session["seller_id"], name)
            if session.get("conversation") and session["conversation"] != conversation:
                await _leave_room(sio, sid, session["conversation"])
            await _enter_room(sio, sid, conversation)
            session["conversation"] = conversation
            await sio.save_session(sid, session)
            await sio.emit("session_confirm", {
                "session_id": name,
                "conversation_id": conversation,
                "history": await self._history(conversation),
            }, to=sid)

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: Any = None) -> None:
            session = await self._live_session(sid)
            if session is None:
                return
            conversation = session.get("conversation")
            if conversation is None:
                await self._refuse(sid, "no_session", "Send session_request first.")
                return
            try:
                with self.limits.in_flight(conversation):
                    await self._answer(sid, session, conversation, data, on_new_message)
            except TooManyMessages as refused:
                await self._refuse(sid, refused.code, refused.message)

        @chat.route("/evidence", methods=["POST"], stream=True)
        async def upload(request: Request) -> HTTPResponse:
            return await self._upload(request)

        return chat

    async def _answer(self, sid: str, session: dict[str, Any], conversation: str, data: Any,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """One message of the seller, within the conversation's in-flight cap: checked, counted, handed on."""
        assert self.sio is not None
        sio = self.sio
        data = data if isinstance(data, dict) else {}
        try:
            attachments = self._verified_attachments(conversation, data.get("attachments"))
            text = await checked_text(
                self._agent(), conversation, data.get("message", ""), self.max_message_chars,
                attachments=bool(attachments),
            )
            await self.limits.spend(sender_key(session["seller_id"], conversation))
        except Refused as refused:
            await self._refuse(sid, refused.code, refused.message)
            return
        metadata = message_metadata(conversation, session["seller_id"], self.identity_secret, attachments)
        await sio.emit("bot_typing", {"typing": True}, room=conversation)
        try:
            await self.takeover.route(self._agent(), UserMessage(
                text, WebChatOutput(sio), conversation, input_channel=self.name(), metadata=metadata,
            ), on_new_message)
        except Exception:  # a failed turn must not take the socket down; the seller gets a notice
            logger.exception("webchat: handling a message of %s failed", conversation)
            await self._refuse(sid, "internal_error", "Something went wrong; please try again.")
        finally:
            await sio.emit("bot_typing", {"typing": False}, room=conversation)

    async def _live_session(self, sid: str) -> dict[str, Any] | None:
        """The socket's session while its token is valid; after expiry the socket is told and disconnected."""
        assert self.sio is not None
        session = await self.sio.get_session(sid)
        if not has_expired(session):
            return session
        await end_socket(self.sio, sid)
        return None

    def _agent(self) -> Any:
        assert self.app is not None, "the blueprint is registered before any socket event"
        return self.app.ctx.agent

    async def _refuse(self, sid: str, code: str, message: str) -> None:
        assert self.sio is not None
        await self.sio.emit("chat_error", {"code": code, "message": message}, to=sid)

    async def _history(self, conversation: str) -> list[dict[str, Any]]:
        store = self._agent().tracker_store
        tracker = await store.retrieve_full_tracker(conversation) if store is not None else None
        return transcript(tracker.events) if tracker is not None else []

    def _verified_attachments(self, conversation: str, references: Any) -> list[dict[str, str]]:
        try:
            return verified_attachments(conversation, references, self.identity_secret)
        except InvalidReference:
            raise Refused(400, "bad_attachments", "An attachment is not valid here; please upload it again.")

    async def _upload(self, request: Request) -> HTTPResponse:
        """Stream one file to the backend's evidence store as the verified seller."""
        try:
            seller_id = verify_seller_token(bearer_token(request), self.identity_secret)
        except InvalidIdentity:
            return _error(401, "unauthenticated", "A valid seller token is required.")
        session, upload_id = request.headers.get("X-Session", ""), request.headers.get("X-Upload-Id", "")
        if not SESSION_NAME.match(session) or not _UPLOAD_ID.match(upload_id):
            return _error(400, "bad_upload", "X-Session and X-Upload-Id must be 1-64 letters, digits, '-' or '_'.")
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not content_type:
            return _error(415, "unsupported_media_type", "Say what kind of file this is (Content-Type).")
        declared = request.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_upload_bytes:
            return _error(413, "file_too_large", f"Files are limited to {self.max_upload_bytes // 1048576} MB.")
        filename = _filename(request.headers.get("X-Filename", ""))
        conversation = conversation_id(seller_id, session)
        key = "webchat-upload:" + hashlib.sha256(f"{conversation}\x1f{upload_id}".encode()).hexdigest()[:48]
        too_large = _TooLarge()
        try:
            evidence = await self.backend.upload_evidence(
                seller_id, self._body(request, too_large), content_type, filename, key
            )
        except BackendRefused as refused:
            return _error(refused.status, refused.code, refused.message)
        except Exception as error:  # the body generator's overflow surfaces wrapped by aiohttp
            if too_large.hit:
                return _error(413, "file_too_large", f"Files are limited to {self.max_upload_bytes // 1048576} MB.")
            if not isinstance(error, BackendUnavailable):
                raise
            logger.warning("webchat: evidence upload for %s failed: %s", conversation, error)
            return _error(503, "evidence_store_unavailable", "The file could not be stored; please try again.")
        attachment = {
            "evidence_id": str(evidence["id"]),
            "content_type": str(evidence.get("content_type") or content_type),
            "filename": filename,
        }
        return response.json({
            **attachment,
            "size": evidence.get("size"),
            "reference": sign_reference(conversation, attachment, self.identity_secret),
        }, status=201)

    async def _body(self, request: Request, too_large: "_TooLarge") -> AsyncIterator[bytes]:
        received = 0
        while True:
            chunk = await request.stream.read()
            if chunk is None:
                return
            received += len(chunk)
            if received > self.max_upload_bytes:
                too_large.hit = True
                raise ValueError("upload exceeds the size limit")
            yield chunk


class _TooLarge:
    hit = False


def _filename(raw: str) -> str:
    """A display name for the file: percent-decoded, no path, printable, at most 200 characters."""
    name = unquote(raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "attachment"
