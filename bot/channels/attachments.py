"""Attachment references: what the web chat hands back for an upload, and accepts with a message.

The upload endpoint stores the file in the backend as the verified seller, then returns the evidence id together
with a reference signed for this one conversation. A message may only carry references the channel signed for its
own conversation, so a client can neither invent an evidence id nor replay another conversation's upload; and
the channel needs no shared state to check that (any replica verifies the signature).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

MAX_ATTACHMENTS_PER_MESSAGE = 10
_FIELDS = ("evidence_id", "content_type", "filename")


class InvalidReference(Exception):
    """Forged, malformed, or signed for another conversation."""


def _signature(conversation_id: str, payload: bytes, secret: str) -> str:
    message = b"alex-attachment\x1f" + conversation_id.encode() + b"\x1f" + payload
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_reference(conversation_id: str, evidence: dict[str, Any], secret: str) -> str:
    """A reference to a stored evidence file, valid in this conversation only."""
    payload = json.dumps({name: str(evidence[name]) for name in _FIELDS}, sort_keys=True).encode()
    encoded = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{encoded}.{_signature(conversation_id, payload, secret)}"


def verify_reference(conversation_id: str, reference: Any, secret: str) -> dict[str, str]:
    """The attachment a reference names, or InvalidReference."""
    if not isinstance(reference, str) or reference.count(".") != 1 or len(reference) > 2048:
        raise InvalidReference("malformed")
    encoded, signature = reference.split(".")
    try:
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError as error:
        raise InvalidReference("malformed") from error
    if not hmac.compare_digest(signature, _signature(conversation_id, payload, secret)):
        raise InvalidReference("signature mismatch")
    attachment = json.loads(payload)
    return {name: str(attachment[name]) for name in _FIELDS}


def verified_attachments(conversation_id: str, references: Any, secret: str) -> list[dict[str, str]]:
    """The attachments a message's references name (none for a missing or empty list), or InvalidReference."""
    if references in (None, []):
        return []
    if not isinstance(references, list) or len(references) > MAX_ATTACHMENTS_PER_MESSAGE:
        raise InvalidReference(f"at most {MAX_ATTACHMENTS_PER_MESSAGE} attachments")
    return [verify_reference(conversation_id, reference, secret) for reference in references]
