"""What an inbound WhatsApp message says, for the bot or for the agent holding the conversation.

Text, reply buttons and lists, a template's button, photos, videos and documents become text for Rasa (media are
stored as the seller's evidence). Every other kind (a voice note, sticker, location, contact card, reaction, or a
message WhatsApp itself calls `unsupported`) gets a short answer of its own saying what Alex can read, and during
a takeover reaches the agent as a line naming what the seller sent (its media kept as evidence where the evidence
store accepts the type). A text that can't be read (e.g. a lone surrogate) is answered too, never dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from bot.channels.backend_client import BackendError, BackendRefused, ChannelBackend
from bot.channels.command_guard import offered_payloads
from bot.channels.verified import SHARE_EVIDENCE, Refused, checked_text
from bot.channels.whatsapp_graph import GraphApi, GraphError, payload_for

logger = logging.getLogger(__name__)

_MEDIA_TYPES = ("image", "video", "document")
UNREADABLE_MESSAGE = "utter_unreadable_message"  # domain.yml
# Kinds Alex does not read: the response answering them (domain.yml) and how the agent sees them.
_NOT_READ = {
    "audio": ("utter_cannot_read_voice_notes", "voice note"),
    "sticker": ("utter_cannot_read_stickers", "sticker"),
    "location": ("utter_cannot_read_locations", "location"),
    "contacts": ("utter_cannot_read_contact_cards", "contact card"),
    "reaction": ("utter_cannot_read_reactions", "reaction"),
}
_OTHER = ("utter_cannot_read_this_message", "message WhatsApp could not show")


def sent_at(message: dict[str, Any]) -> float:
    """When the seller wrote the message (its own `timestamp`; Meta may deliver it hours later), else now."""
    try:
        return float(int(message["timestamp"]))
    except (KeyError, TypeError, ValueError, OverflowError):
        return datetime.now(tz=timezone.utc).timestamp()


def iso(unix_seconds: float) -> str:
    return datetime.fromtimestamp(unix_seconds, tz=timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class Content:
    """The text to hand to Rasa with its verified attachments and the files not kept (each as its name and the
    evidence store's refusal code, "" when it never answered); or, for what Alex can't read, the response to
    answer with and the line the agent sees."""

    text: str | None = None
    attachments: list[dict[str, str]] = field(default_factory=list)
    not_stored: list[tuple[str, str]] = field(default_factory=list)
    answer: str | None = None
    for_agent: str = ""


def _for_agent(kind: str, label: str, message: dict[str, Any]) -> str:
    """The line an agent sees: what was sent, with what it carries that a person can read."""
    body = message.get(kind) or {}
    details: list[str] = []
    if kind == "location":
        details = [str(body.get(k)) for k in ("name", "address", "latitude", "longitude") if body.get(k)]
    elif kind == "contacts":
        for card in body if isinstance(body, list) else []:
            name = (card.get("name") or {}).get("formatted_name")
            phones = [p.get("phone") for p in card.get("phones") or [] if p.get("phone")]
            details.append(" ".join(str(x) for x in [name, *phones] if x))
    elif kind == "reaction":
        details = [str(body.get("emoji") or "removed")]
    return f"[{label}: {', '.join(details)}]" if details else f"[{label}]"


class InboundReader:
    """Reads inbound messages for one channel: the Graph API for media, the backend for evidence."""

    def __init__(self, graph: GraphApi, backend: ChannelBackend, max_message_chars: int,
                 agent: Callable[[], Any]) -> None:
        self.graph = graph
        self.backend = backend
        self.max_message_chars = max_message_chars
        self._agent = agent

    async def read(self, message: dict[str, Any], conversation: str, seller_id: str | None) -> Content:
        """What the message says (media of a kind Alex reads are stored as evidence)."""
        kind = str(message.get("type") or "")
        content = Content()
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
            await self._keep(content, seller_id, media, kind)
            if not raw.strip():
                content.text = SHARE_EVIDENCE
                return content
        else:
            content.answer, label = _NOT_READ.get(kind, _OTHER)
            content.for_agent = _for_agent(kind, label, message)
            logger.info("whatsapp: a %s message in %s is answered with %s", kind or "typeless", conversation,
                        content.answer)
            return content
        raw = raw[: self.max_message_chars]  # WhatsApp allows 4096; we cannot show a refusal, so we shorten
        try:
            content.text = await checked_text(
                self._agent(), conversation, raw, self.max_message_chars, attachments=bool(content.attachments))
        except Refused as refused:
            logger.info("whatsapp: a message in %s can't be read (%s)", conversation, refused.code)
            content.answer, content.for_agent = UNREADABLE_MESSAGE, "[a message that could not be read]"
        return content

    async def keep_media(self, content: Content, message: dict[str, Any], seller_id: str | None) -> None:
        """Store the media of a kind Alex doesn't read (a voice note, a sticker) as evidence, for the agent."""
        kind = str(message.get("type") or "")
        media = message.get(kind)
        if isinstance(media, dict) and isinstance(media.get("id"), str):
            await self._keep(content, seller_id, media, kind)

    async def _keep(self, content: Content, seller_id: str | None, media: dict[str, Any], kind: str) -> None:
        stored: dict[str, str] | str = ""
        if seller_id is not None and isinstance(media.get("id"), str):
            stored = await self._store_evidence(seller_id, media, kind)
        if isinstance(stored, dict):
            content.attachments.append(stored)
        else:
            content.not_stored.append((str(media.get("filename") or kind)[:200], stored))

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
