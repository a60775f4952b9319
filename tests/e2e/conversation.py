"""Helpers for talking to the running stack as a seller, and for reading Rasa's view of a conversation."""

from __future__ import annotations

import requests

from bot.identity import mint_seller_token
from bot.settings import Settings
from bot.terminal_chat import SellerChatClient


def seller(settings: Settings, seller_id: str = "S1001", session: str | None = None) -> SellerChatClient:
    return SellerChatClient(settings.rasa_url, mint_seller_token(seller_id, settings.identity_secret), session)


def say(client: SellerChatClient, text: str) -> list[str]:
    """Send one message; return the bot's texts (a non-200 fails the test with the channel's error)."""
    reply = client.send(text)
    assert reply.status_code == 200, reply.text
    return [m.get("text", "") for m in reply.json()["messages"]]


def tracker(settings: Settings, conversation_id: str) -> dict:
    reply = requests.get(
        f"{settings.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": settings.rasa_token},
        timeout=30,
    )
    reply.raise_for_status()
    return reply.json()


def post_bot_event(settings: Settings, conversation_id: str, event: dict, output_channel: str) -> None:
    """Send a bot event to the seller outside a turn, as issue 6's agent replies do (Rasa's HTTP API)."""
    reply = requests.post(
        f"{settings.rasa_url}/conversations/{conversation_id}/tracker/events",
        params={"token": settings.rasa_token, "execute_side_effects": "true", "output_channel": output_channel},
        json=event, timeout=30,
    )
    assert reply.status_code == 200, reply.text


def force_session_expiry(settings: Settings, conversation: str) -> None:
    """What Rasa does when a session expires: a new session starts in the tracker (and clears any pause).
    (Rasa's routes take the conversation id as it is spelled: no percent-encoding.)"""
    reply = requests.post(
        f"{settings.rasa_url}/conversations/{conversation}/tracker/events",
        params={"token": settings.rasa_token},
        json=[{"event": "action", "name": "action_session_start"}, {"event": "session_started"},
              {"event": "action", "name": "action_listen"}], timeout=30)
    assert reply.status_code == 200, reply.text
