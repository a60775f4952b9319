"""The console's calls to Rasa's HTTP API: read a conversation, run one of the takeover actions, send an agent's
reply to the seller. Every call has a timeout; none raises for a refusal, since the ticket work in the backend
is what counts and a Rasa failure is shown to the agent as a notice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.channels.transcript import AGENT_METADATA_KEY

logger = logging.getLogger(__name__)

AGENT_JOINED = "action_agent_joined"  # tells the seller who joined (Rasa side: actions/)
AGENT_HANDED_BACK = "action_agent_handed_back"  # resets the flow state and tells the seller Alex is back
# Rasa's routes take the conversation id verbatim (Sanic does not percent-decode them), so only characters that
# may not stand in a path segment are escaped; ours (`web:<session>:<seller>`, `wa:<number>`) pass as they are.
_PATH_SAFE = ":@+!$&'()*,;="


class RasaUnavailable(Exception):
    """Rasa is down, slow past the timeout, or refused to show the conversation."""


class RasaConversations:
    """One Rasa server and its API token; an aiohttp session per event loop, opened on first use."""

    def __init__(self, rasa_url: str, token: str, timeout_seconds: float = 10.0) -> None:
        self.base_url = rasa_url.rstrip("/")
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _url(self, conversation_id: str, tail: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe=_PATH_SAFE)}/{tail}"

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every event of the conversation (all sessions, oldest first)."""
        try:
            async with self._http().get(self._url(conversation_id, "tracker"),
                                        params={"token": self.token, "include_events": "ALL"}) as reply:
                if reply.status != 200:
                    raise RasaUnavailable(f"tracker of {conversation_id!r}: HTTP {reply.status}")
                body = await reply.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise RasaUnavailable(f"tracker of {conversation_id!r}: {error!r}") from error
        events = body.get("events") if isinstance(body, dict) else None
        return [e for e in events if isinstance(e, dict)] if isinstance(events, list) else []

    async def _post(self, conversation_id: str, tail: str, params: dict[str, str], payload: Any) -> bool:
        """Whether Rasa answered 200; anything else is logged and reported as False."""
        try:
            async with self._http().post(self._url(conversation_id, tail), json=payload,
                                         params={"token": self.token, "output_channel": "latest", **params}) as reply:
                if reply.status == 200:
                    return True
                logger.warning("rasa %s of %r: HTTP %s %s", tail, conversation_id, reply.status,
                               (await reply.text())[:300])
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.warning("rasa %s of %r: %r", tail, conversation_id, error)
        return False

    async def run_action(self, conversation_id: str, action: str) -> bool:
        """Run one action in the conversation now; its messages go out on the seller's latest channel."""
        return await self._post(conversation_id, "execute", {}, {"name": action})

    async def holds_agent_reply(self, conversation_id: str, message_id: int) -> bool:
        """Whether the agent reply with this backend message id is in the conversation (it reached Rasa, and
        with it the seller's channel). Rasa unavailable counts as no: the caller then sends it."""
        try:
            events = await self.events(conversation_id)
        except RasaUnavailable:
            return False
        def reply_id(event: dict[str, Any]) -> Any:
            agent = (event.get("metadata") or {}).get(AGENT_METADATA_KEY) if event.get("event") == "bot" else None
            return agent.get("message_id") if isinstance(agent, dict) else None

        return any(reply_id(event) == message_id for event in events)

    async def send_agent_reply(self, conversation_id: str, text: str, agent: dict[str, Any]) -> bool:
        """Put the agent's reply into the conversation as a bot message and send it to the seller. This path
        ignores a paused conversation, so it works while the bot stays quiet."""
        event = {"event": "bot", "text": text, "metadata": {AGENT_METADATA_KEY: agent}}
        return await self._post(conversation_id, "tracker/events", {"execute_side_effects": "true"}, [event])
