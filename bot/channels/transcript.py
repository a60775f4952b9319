"""A conversation as the seller saw it, rebuilt from the tracker store (the server's record, not the browser's).

The web chat sends it on every (re)connection, so a reload or a second tab shows the same conversation, and the
buttons of the bot's last messages can be clicked again, so a half-finished form simply continues.
"""

from __future__ import annotations

from typing import Any, Iterable

from rasa.shared.core.events import BotUttered, Event, UserUttered

from bot.channels.verified import ATTACHMENTS_KEY, SHARE_EVIDENCE

DEFAULT_LIMIT = 200
# On a bot event: {"name", "ticket", "message_id"}, put there by the agent console: a person's reply, not Alex's.
AGENT_METADATA_KEY = "agent"


def _buttons(event: BotUttered) -> list[dict[str, str]]:
    return [
        {"title": str(button.get("title", "")), "payload": str(button["payload"])}
        for button in (event.data or {}).get("buttons") or []
        if isinstance(button, dict) and isinstance(button.get("payload"), str)
    ]


def agent_label(metadata: dict[str, Any] | None) -> dict[str, str]:
    """`{"agent": name}` for a message a person from the support team wrote (the console puts
    `metadata.agent` on it), so the chat shows who wrote it; empty for Alex's own messages."""
    agent = (metadata or {}).get(AGENT_METADATA_KEY)
    name = agent.get("name") if isinstance(agent, dict) else None
    return {"agent": name} if isinstance(name, str) and name else {}


def transcript(events: Iterable[Event], limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """User and bot messages, oldest first, at most `limit` of the newest.

    A button click shows as the button's title (as it did when clicked), an attachment-only message as its
    files; bot messages after the seller's last message are marked `offered` (their buttons are live).
    """
    messages: list[dict[str, Any]] = []
    offered: dict[str, str] = {}  # payload -> title, of the bot's messages since the last user message
    for event in events:
        if isinstance(event, UserUttered):
            text = event.text or ""
            text = offered.get(text.strip(), text)
            if text == SHARE_EVIDENCE:
                text = ""
            attachments = (event.metadata or {}).get(ATTACHMENTS_KEY) or []
            messages.append({
                "sender": "user",
                "text": text,
                "attachments": [
                    {"filename": a.get("filename", ""), "content_type": a.get("content_type", "")}
                    for a in attachments if isinstance(a, dict)
                ],
                "timestamp": event.timestamp,
            })
            offered = {}
        elif isinstance(event, BotUttered):
            buttons = _buttons(event)
            offered.update({button["payload"]: button["title"] for button in buttons})
            messages.append({"sender": "bot", "text": event.text or "", "buttons": buttons,
                             "timestamp": event.timestamp, **agent_label(event.metadata)})
    for message in reversed(messages):
        if message["sender"] != "bot":
            break
        message["offered"] = True
    return messages[-limit:]
