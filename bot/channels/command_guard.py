"""Typed `/intent` commands are obeyed only when the bot offered them as a button.

Rasa parses any message that starts with '/' as an intent with forged confidence, entities that fill slots, and
built-ins like /restart. A button click arrives as the same text as typing it, so the only safe rule is: accept a
'/payload' exactly as the last bot message offered it, and strip the leading '/' from anything else, so it is read
as ordinary words. Every channel passes its text through here.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Iterable

from rasa.shared.core.events import BotUttered, UserUttered

if TYPE_CHECKING:  # importing Rasa's Agent loads TensorFlow, which the console does not need
    from rasa.core.agent import Agent

COMMAND_PREFIX = "/"


def _invisible(character: str) -> bool:
    """Whitespace, control, format and separator characters of any script: nothing a reader sees."""
    return character.isspace() or unicodedata.category(character)[0] in "CZ"


def disarm(text: str, offered_payloads: Iterable[str]) -> str:
    """Return the text to hand to Rasa: an offered payload unchanged, any other command as plain words.

    The whole run of slashes and invisible characters the message starts with goes, not just the first slash:
    "/\t/restart" or "\x1f/restart" must not become "/restart" once something downstream trims the rest."""
    stripped = text.strip()
    if stripped in set(offered_payloads):
        return stripped
    start = 0
    while start < len(text) and (text[start] == COMMAND_PREFIX or _invisible(text[start])):
        start += 1
    if COMMAND_PREFIX not in text[:start]:
        return text
    return text[start:].strip()


async def offered_payloads(agent: Agent, sender_id: str) -> list[str]:
    """The button payloads of the bot's messages since the seller last wrote."""
    if agent.tracker_store is None:
        return []
    tracker = await agent.tracker_store.retrieve(sender_id)
    if tracker is None:
        return []
    payloads: list[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            payloads.extend(
                button["payload"]
                for button in (event.data or {}).get("buttons") or []
                if isinstance(button.get("payload"), str)
            )
    return payloads
