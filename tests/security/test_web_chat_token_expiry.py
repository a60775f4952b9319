"""A web-chat socket lives only as long as its token: at expiry the server disconnects it, and nothing sent to the
conversation afterwards (an agent's reply, say) reaches it; a seller whose page renews the token stays connected.

Before, the expiry was checked only when the socket itself sent something, so a socket that merely listened kept
receiving the conversation (an agent's reply arrived 33 s after expiry).
"""

from __future__ import annotations

import threading
import time
import uuid


from bot.identity import mint_seller_token
from bot.settings import Settings
from bot.stack import Stack
from tests.channels.webchat_client import ChatSocket
from tests.e2e.conversation import post_bot_event

_LIFETIME_SECONDS = 2


def _bot_texts(chat: ChatSocket) -> list[str]:
    texts = []
    while not chat.events.empty():
        event, data = chat.events.get_nowait()
        if event == "bot_uttered":
            texts.append(data.get("text", ""))
    return texts


def test_a_socket_is_disconnected_at_its_tokens_expiry_and_gets_nothing_after(
    stack: tuple[Stack, Settings],
) -> None:
    _, settings = stack
    name = uuid.uuid4().hex[:16]
    expiring, witness = ChatSocket(settings), ChatSocket(settings)
    disconnected = threading.Event()
    expiring.client.on("disconnect", disconnected.set)
    try:
        expiring.connect(token=mint_seller_token("S1001", settings.identity_secret, ttl_seconds=_LIFETIME_SECONDS))
        conversation = expiring.session(name)["conversation_id"]
        witness.connect()
        witness.session(name)
        assert disconnected.wait(_LIFETIME_SECONDS + 3), "the socket was still connected after its token expired"

        post_bot_event(settings, conversation, {"event": "bot", "text": "An agent's late reply"}, "webchat")
        event, data = witness.next_event(timeout=10)
        assert (event, data.get("text")) == ("bot_uttered", "An agent's late reply")
        assert "An agent's late reply" not in _bot_texts(expiring)
    finally:
        expiring.close()
        witness.close()


def test_a_socket_that_renews_its_token_before_expiry_stays_connected(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    chat = ChatSocket(settings)
    renewed = threading.Event()
    chat.client.on("token_renewed", lambda _data: renewed.set())
    try:
        chat.connect(token=mint_seller_token("S1001", settings.identity_secret, ttl_seconds=_LIFETIME_SECONDS))
        expires = time.time() + _LIFETIME_SECONDS
        chat.session(uuid.uuid4().hex[:16])
        chat.client.emit("renew_token", {"token": mint_seller_token("S1001", settings.identity_secret)})
        assert renewed.wait(5), "the server did not confirm the renewal"
        time.sleep(max(0.0, expires - time.time()) + 1)  # past the first token's expiry: nothing to await
        assert chat.client.connected
        assert "42.50 USD" in chat.say("where is my refund for CJ2410180012345")
    finally:
        chat.close()


def test_a_socket_cannot_renew_with_another_sellers_token(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    chat = ChatSocket(settings)
    try:
        chat.connect(token=mint_seller_token("S1001", settings.identity_secret))
        chat.session(uuid.uuid4().hex[:16])
        chat.client.emit("renew_token", {"token": mint_seller_token("S1002", settings.identity_secret)})
        event, data = chat.next_event(timeout=5)
        assert (event, data["code"]) == ("chat_error", "token_mismatch")
    finally:
        chat.close()
