"""Who the seller is, taken only from the conversation's verified binding (see bot/identity.py)."""

from __future__ import annotations

import os

from rasa_sdk import Tracker

from bot.identity import InvalidIdentity, seller_of_conversation


def verified_seller(tracker: Tracker) -> str | None:
    """The seller bound to this conversation by a channel, or None when nobody verified one."""
    try:
        return seller_of_conversation(
            tracker.sender_id,
            (tracker.latest_message or {}).get("metadata"),
            os.environ.get("ALEX_IDENTITY_SECRET", ""),
        )
    except InvalidIdentity:
        return None
