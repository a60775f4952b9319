"""The seller's conversation as an agent reads it: the same transcript the web chat redraws for the seller, with
the agents' replies (bot messages carrying agent metadata) shown as from that agent rather than from Alex."""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import Event

from bot.channels.transcript import DEFAULT_LIMIT, transcript


def agent_view(raw_events: list[dict[str, Any]], limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """User and bot messages, oldest first; each has `sender` `user`, `bot` or `agent` (then `agent_name`)."""
    events = [e for e in (Event.from_parameters(raw) for raw in raw_events) if e is not None]
    messages = transcript(events, limit)
    for message in messages:
        if message.get("agent"):
            message["sender"] = "agent"
            message["agent_name"] = message.pop("agent")
    return messages
