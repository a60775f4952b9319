"""What every seller-facing channel of ours shares: conversation ids, message checks and the metadata it builds.

The seller chat (HTTP), the web chat (Socket.IO) and WhatsApp differ in how they learn who is writing (a signed
platform token, a number linked in the backend) but not in what they do with it: derive the conversation id
from the verified seller, refuse empty or oversized messages, disarm typed `/commands` the bot never offered,
and build the message metadata themselves (the seller binding and verified attachments), never copying any from
the client.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable


from bot.channels.command_guard import disarm, offered_payloads
from bot.identity import bind_conversation

if TYPE_CHECKING:  # importing Rasa's Agent loads TensorFlow, which the console does not need
    from rasa.core.agent import Agent

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
SESSION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
DEFAULT_MAX_MESSAGE_CHARS = 2000
# The text a channel sends for a message that carries only attachments (PLAN.md: intent `share_evidence`).
# Built by the channel after it verified the attachments; typed by a seller it is disarmed like any command.
SHARE_EVIDENCE = "/share_evidence"
ATTACHMENTS_KEY = "attachments"
# Files a seller sent that the channel could not keep as evidence (names only), set by the channel itself.
FILES_NOT_STORED_KEY = "files_not_stored"
# Why each of them was refused: the evidence store's error code (e.g. `evidence_quota_exceeded`), "" if unknown.
FILE_REFUSALS_KEY = "file_refusals"


def conversation_id(seller_id: str, session: str) -> str:
    """`web:<session>:<seller>`: the session has no ':', so distinct pairs never share an id."""
    return f"web:{session}:{seller_id}"


def configured(value: Any, what: str) -> str:
    """A credential from credentials.yml, refusing an unset or unexpanded `${VAR}` loudly at start."""
    if not isinstance(value, str) or not value or "${" in value:
        raise ValueError(f"{what} is not configured (set it in the environment; unquoted in YAML)")
    return value


class Refused(Exception):
    """A message the channel will not pass on, with the status, code and sentence to answer with."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


async def checked_text(
    agent: Agent, sender_id: str, text: Any, max_chars: int, attachments: bool = False
) -> str:
    """The text to hand to Rasa for what a seller sent, or Refused.

    Oversized and non-text messages are refused; a typed `/command` the bot did not offer becomes plain words;
    an empty message is refused unless it carries attachments (then the channel sends SHARE_EVIDENCE).
    """
    if not isinstance(text, str):
        raise Refused(400, "bad_message", "'message' must be a string.")
    if _LONE_SURROGATE.search(text):  # JSON can carry half a UTF-16 pair; it is no character and can't be stored
        raise Refused(400, "bad_message", "The message has characters that can't be read; please type it again.")
    if len(text) > max_chars:
        raise Refused(413, "message_too_long", f"Messages are limited to {max_chars} characters; please shorten it.")
    text = disarm(text, await offered_payloads(agent, sender_id)) if text.strip() else ""
    if not text.strip():
        if attachments:
            return SHARE_EVIDENCE
        raise Refused(400, "empty_message", "The message is empty.")
    return text


def message_metadata(
    sender_id: str,
    seller_id: str | None,
    identity_secret: str,
    attachments: Iterable[dict[str, str]] = (),
) -> dict[str, Any]:
    """The metadata a channel attaches to a message: the seller binding (if verified) and verified attachments."""
    metadata: dict[str, Any] = {}
    if seller_id is not None:
        metadata.update(bind_conversation(sender_id, seller_id, identity_secret))
    attached = [
        {"evidence_id": item["evidence_id"], "content_type": item["content_type"], "filename": item["filename"]}
        for item in attachments
    ]
    if attached:
        metadata[ATTACHMENTS_KEY] = attached
    return metadata
