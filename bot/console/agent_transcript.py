"""The seller's conversation as an agent reads it: the same transcript the web chat redraws for the seller, with
the agents' replies (bot messages carrying agent metadata) shown as from that agent rather than from Alex."""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import BotUttered, Event, UserUttered

from bot.channels.transcript import DEFAULT_LIMIT, transcript
from bot.console.rasa_client import AGENT_METADATA_KEY


def agent_view(raw_events: list[dict[str, Any]], limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """User and bot messages, oldest first; each has `sender` `user`, `bot` or `agent` (then `agent_name`)."""
    events = [e for e in (Event.from_parameters(raw) for raw in raw_events) if e is not None]
    messages = transcript(events, limit)
    # `transcript` turns each user and bot utterance into exactly one message, in order, and keeps the newest.
    uttered = [e for e in events if isinstance(e, (UserUttered, BotUttered))][-len(messages):] if messages else []
    for message, event in zip(messages, uttered):
        agent = (event.metadata or {}).get(AGENT_METADATA_KEY) if isinstance(event, BotUttered) else None
        if isinstance(agent, dict):
            message["sender"] = "agent"
            message["agent_name"] = str(agent.get("name") or "")
    return messages
