"""The WhatsApp Cloud API (Meta's Graph API) as the channel uses it: message shapes within WhatsApp's limits,
and a client that sends, marks as read and downloads media, with timeouts, never raising on a Graph error.

Limits (Cloud API reference): text 4096 characters; interactive body 1024; reply buttons at most 3 with titles of
at most 20, unique within the message, and unique ids; a list at most 10 rows, row titles at most 24, descriptions
at most 72, unique row ids, its button label at most 20. Free-form messages only within 24 hours of the seller's
last message; after that only approved templates. A send Meta throttles is tried again a few times (RETRY_DELAYS).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Iterable

import aiohttp

logger = logging.getLogger(__name__)

TEXT_LIMIT = 4096
BODY_LIMIT = 1024
MAX_REPLY_BUTTONS = 3
REPLY_TITLE_LIMIT = 20
MAX_LIST_ROWS = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
LIST_BUTTON_LIMIT = 20
TEMPLATE_PARAMETER_LIMIT = 1024
WINDOW_SECONDS = 24 * 3600

_SENTENCE_END = re.compile(r"[.!?。！？][\"')\]]*\s")


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Parts of at most `limit` characters, cut at a paragraph, else a sentence, else a word boundary."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        window = text[: limit + 1]
        cut = window.rfind("\n", 0, limit)
        if cut < limit // 2:
            sentence_ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= limit]
            cut = sentence_ends[-1] if sentence_ends and sentence_ends[-1] >= limit // 2 else -1
        if cut <= 0:
            cut = window.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _distinct(titles: list[str], limit: int) -> list[str]:
    """The titles within `limit`, made unique (WhatsApp refuses a message whose button titles repeat): a title
    already used gets a number (" 2", " 3"), shortened to make room for it."""
    used: set[str] = set()
    distinct = []
    for title in titles:
        candidate, n = _shorten(title, limit), 1
        while candidate in used:
            n += 1
            candidate = _shorten(title, limit - len(f" {n}")) + f" {n}"
        used.add(candidate)
        distinct.append(candidate)
    return distinct


def reply_id(payload: str) -> str:
    """The id a button or list row carries: a digest of the payload, never the payload itself.

    An inbound reply is mapped back through the payloads the bot last offered (payload_for), so a forged id can
    never become a command the bot did not offer.
    """
    return "b:" + hashlib.sha256(payload.encode()).hexdigest()[:32]


def payload_for(reply: str, offered: Iterable[str]) -> str | None:
    """The offered payload a reply id stands for, if any."""
    return next((payload for payload in offered if reply_id(payload) == reply), None)


def text_messages(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"body": part, "preview_url": False}} for part in split_text(text)]


def button_messages(text: str, buttons: list[dict[str, Any]], list_label: str) -> list[dict[str, Any]]:
    """The bot's text with its buttons: reply buttons where WhatsApp allows them, else a list.

    A text longer than an interactive body goes out as text first; the interactive message carries its last part.
    """
    # One choice per payload: a repeated payload would repeat its id, which WhatsApp refuses.
    by_payload: dict[str, dict[str, Any]] = {}
    for button in buttons:
        if isinstance(button.get("payload"), str):
            by_payload.setdefault(button["payload"], button)
    choices = list(by_payload.values())[:MAX_LIST_ROWS]
    if len(buttons) > MAX_LIST_ROWS:
        logger.warning("whatsapp: %d buttons offered, only %d fit a list", len(buttons), MAX_LIST_ROWS)
    if not choices:
        return text_messages(text)
    chunks = split_text(text, BODY_LIMIT) or ["…"]
    leading = text_messages(" ".join(chunks[:-1])) if len(chunks) > 1 else []
    body = {"text": chunks[-1]}
    titles = [str(b.get("title") or b["payload"]) for b in choices]
    if len(choices) <= MAX_REPLY_BUTTONS and all(len(t) <= REPLY_TITLE_LIMIT for t in titles):
        action: dict[str, Any] = {"buttons": [
            {"type": "reply", "reply": {"id": reply_id(b["payload"]), "title": t}}
            for b, t in zip(choices, _distinct(titles, REPLY_TITLE_LIMIT))
        ]}
        interactive = {"type": "button", "body": body, "action": action}
    else:
        rows = []
        for choice, title, row_title in zip(choices, titles, _distinct(titles, ROW_TITLE_LIMIT)):
            row = {"id": reply_id(choice["payload"]), "title": row_title}
            if len(title) > ROW_TITLE_LIMIT:
                row["description"] = _shorten(title, ROW_DESCRIPTION_LIMIT)
            rows.append(row)
        interactive = {
            "type": "list", "body": body,
            # a single section needs no title
            "action": {"button": _shorten(list_label, LIST_BUTTON_LIMIT), "sections": [{"rows": rows}]},
        }
    return leading + [{"type": "interactive", "interactive": interactive}]


def template_message(name: str, language: str, text: str) -> dict[str, Any]:
    """An approved template carrying the text as its one body parameter (outside the 24-hour window)."""
    return {"type": "template", "template": {
        "name": name,
        "language": {"code": language},
        "components": [{"type": "body", "parameters": [
            {"type": "text", "text": _shorten(" ".join(text.split()), TEMPLATE_PARAMETER_LIMIT)},
        ]}],
    }}


# Meta's throttling errors (support/error-codes: 4 app call limit, 80007 account limit, 130429 throughput): the
# call may succeed later. Retried after these pauses (bounded: 7 s in all), then reported as a failure.
THROTTLED = frozenset({4, 80007, 130429})
RETRY_DELAYS = (1.0, 2.0, 4.0)


def error_code(answer: str) -> int | None:
    """The Graph API error code of an error answer, if it has one."""
    try:
        code = json.loads(answer)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, int) else None


class GraphError(Exception):
    """A Graph API call failed (network, timeout, or an error answer)."""


@dataclass(frozen=True)
class Sent:
    """What became of one send: the WhatsApp message id, or why there is none."""

    message_id: str | None
    error: str = ""


@dataclass(frozen=True)
class Failure:
    """A Graph API call that failed, kept so operators (and tests) can see it without reading logs."""

    at: float
    what: str
    status: int | None
    detail: str


class GraphApi:
    """Calls to one WhatsApp Business phone number's endpoints, with a timeout each."""

    def __init__(self, base_url: str, access_token: str, phone_number_id: str, timeout_seconds: float = 10.0,
                 max_media_bytes: int = 50 * 1024 * 1024) -> None:
        self.base_url = base_url.rstrip("/")
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.max_media_bytes = max_media_bytes
        self.failures: deque[Failure] = deque(maxlen=100)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {self.access_token}"}, timeout=self.timeout
            )
        return self._session

    def record_failure(self, what: str, status: int | None, detail: str) -> None:
        logger.error("whatsapp: Graph API %s failed (%s): %s", what, status, detail[:500])
        self.failures.append(Failure(time.time(), what, status, detail[:500]))

    async def _post_message(self, what: str, body: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """The answer of a call to /messages, or None and why (logged and recorded). A throttled call is tried
        again after RETRY_DELAYS, so a burst reaches the seller late rather than never."""
        url = f"{self.base_url}/{self.phone_number_id}/messages"
        delays = iter(RETRY_DELAYS)
        while True:
            try:
                async with self._http().post(url, json={"messaging_product": "whatsapp", **body}) as reply:
                    text = await reply.text()
                    if reply.status < 300:
                        try:
                            answer = await reply.json(content_type=None)
                        except ValueError:
                            answer = {}
                        return (answer if isinstance(answer, dict) else {}), ""
                    status = reply.status
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                self.record_failure(what, None, repr(error))
                return None, repr(error)
            code = error_code(text)
            delay = next(delays, None) if code in THROTTLED else None
            if delay is None:
                self.record_failure(what, status, text)
                return None, f"{code or status}: {text[:300]}"
            logger.warning("whatsapp: %s throttled by the Graph API (%s); trying again in %.0f s", what, code, delay)
            await asyncio.sleep(delay)

    async def send(self, to: str, message: dict[str, Any]) -> Sent:
        """Send one message to a number (digits) or a business-scoped user id; never raises."""
        recipient = {"to": to} if to.isdigit() else {"recipient": to}
        answer, error = await self._post_message(
            f"send {message.get('type')} to {to}", {"recipient_type": "individual", **recipient, **message}
        )
        ids = [m.get("id") for m in (answer or {}).get("messages") or [] if isinstance(m, dict)]
        return Sent(ids[0], "") if ids and isinstance(ids[0], str) else Sent(None, error or "no message id")

    async def mark_read(self, message_id: str) -> None:
        await self._post_message("mark as read", {"status": "read", "message_id": message_id})

    async def media(self, media_id: str) -> tuple[bytes, str]:
        """Download an inbound media file (its bytes and MIME type): look up its URL, then fetch it."""
        try:
            async with self._http().get(f"{self.base_url}/{media_id}") as reply:
                if reply.status >= 300:
                    detail = await reply.text()
                    self.record_failure("media lookup", reply.status, detail)
                    raise GraphError(f"media lookup {reply.status}")
                info = await reply.json(content_type=None)
            url, mime_type = info.get("url"), str(info.get("mime_type") or "application/octet-stream")
            if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                self.record_failure("media lookup", None, "no download URL")
                raise GraphError("no media URL")
            if int(info.get("file_size") or 0) > self.max_media_bytes:
                raise GraphError("media too large")
            async with self._http().get(url) as download:
                if download.status >= 300:
                    self.record_failure("media download", download.status, await download.text())
                    raise GraphError(f"media download {download.status}")
                content = bytearray()
                async for chunk in download.content.iter_chunked(65536):
                    content.extend(chunk)
                    if len(content) > self.max_media_bytes:
                        raise GraphError("media too large")
            return bytes(content), mime_type.split(";")[0].strip()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            self.record_failure("media download", None, repr(error))
            raise GraphError(repr(error)) from error
