"""A seller (or anyone holding a seller's token or number) sending hundreds of messages at once must not slow
every other seller down: each conversation has a cap on messages in flight, each seller a message budget
counted in the backend (so it holds across Rasa replicas), and a refused message gets a clear answer at once
(HTTP 429, the web chat's `chat_error`, one short WhatsApp reply), never silence and never half a turn."""

from __future__ import annotations

import queue
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bot.identity import mint_seller_token
from bot.settings import Settings
from bot.terminal_chat import SellerChatClient
from tests.channels import whatsapp_client as wa
from tests.channels.webchat_client import ChatSocket
from tests.e2e.conversation import tracker

FLOOD = 40
# Engine.IO refuses a polling request carrying more than 16 packets outright; the test client polls.
WEB_FLOOD = 16


def _fresh_seller() -> str:
    """A seller id no other test uses: its budget is this test's alone."""
    return f"S9{random.randrange(10**6):06d}"


def _user_texts(settings: Settings, conversation: str) -> list[str]:
    return [e["text"] for e in tracker(settings, conversation)["events"] if e["event"] == "user"]


def _admit(settings: Settings, sender: str) -> bool:
    """One message of this sender counted in the backend, as a Rasa replica counts it: admitted or not."""
    reply = requests.post(f"{settings.backend_url}/v1/channels/message-admissions", json={"sender": sender},
                          headers={"Authorization": f"Bearer {settings.backend_key}",
                                   "Idempotency-Key": uuid.uuid4().hex}, timeout=10)
    assert reply.status_code == 200, reply.text
    return bool(reply.json()["admitted"])


def _use_up_budget(settings: Settings, sender: str) -> None:
    """Spend this sender's whole burst in the backend, as other Rasa replicas would, until it is refused (the
    budget flows back while the burst is spent, and while a test connects: call it again right before sending)."""
    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(lambda _: _admit(settings, sender), range(settings.message_burst)))
    while _admit(settings, sender):
        pass


def _assert_too_many(reply: requests.Response) -> None:
    assert reply.status_code == 429, reply.text
    assert reply.json()["error"]["code"] == "too_many_messages"
    assert "send it again" in reply.json()["error"]["message"]
    assert int(reply.headers["Retry-After"]) >= 1


def test_a_flood_in_one_conversation_is_refused_at_once_and_nothing_is_lost_or_half_processed(stack) -> None:
    settings = stack[1]
    client = SellerChatClient(settings.rasa_url, mint_seller_token(_fresh_seller(), settings.identity_secret))
    texts = [f"hello number {n}" for n in range(FLOOD)]
    start = threading.Barrier(FLOOD)

    def send_at_once(text: str) -> requests.Response:
        start.wait()  # every thread is ready: the flood arrives together, however busy the machine is
        return client.send(text)

    with ThreadPoolExecutor(FLOOD) as pool:
        replies = list(pool.map(send_at_once, texts))

    refused = [r for r in replies if r.status_code != 200]
    assert refused, "every message of the flood was handled"
    for reply in refused:
        _assert_too_many(reply)
    accepted = [text for text, reply in zip(texts, replies) if reply.status_code == 200]
    conversation = replies[texts.index(accepted[0])].json()["conversation_id"]
    assert sorted(_user_texts(settings, conversation)) == sorted(accepted)


def test_the_seller_budget_is_counted_in_the_backend_so_it_holds_across_replicas(stack) -> None:
    settings = stack[1]
    seller_id = _fresh_seller()
    _use_up_budget(settings, f"seller:{seller_id}")

    client = SellerChatClient(settings.rasa_url, mint_seller_token(seller_id, settings.identity_secret))
    reply = client.send("where is my refund")
    _assert_too_many(reply)

    socket = ChatSocket(settings)
    socket.connect(seller_id=seller_id)
    try:
        conversation = socket.session()["conversation_id"]
        while _admit(settings, f"seller:{seller_id}"):  # what flowed back while the socket connected
            pass
        socket.send("where is my refund")
        event, data = socket.next_event()
        assert (event, data["code"]) == ("chat_error", "too_many_messages"), (event, data)
        assert "send it again" in data["message"]
    finally:
        socket.client.disconnect()
    assert _user_texts(settings, conversation) == []


def test_a_web_chat_flood_gets_an_error_event_for_each_refused_message(stack) -> None:
    settings = stack[1]
    socket = ChatSocket(settings)
    socket.connect(seller_id=_fresh_seller())
    try:
        conversation = socket.session()["conversation_id"]
        for n in range(WEB_FLOOD):
            socket.send(f"hello number {n}")
        refused = turns = 0
        while refused + turns < WEB_FLOOD:
            try:
                event, data = socket.next_event(timeout=60)
            except queue.Empty:
                raise AssertionError(f"{WEB_FLOOD - refused - turns} of {WEB_FLOOD} messages got no answer "
                                     f"({refused} refused, {turns} turns)") from None
            if event == "chat_error":
                assert data["code"] == "too_many_messages", data
                refused += 1
            elif event == "bot_typing" and not data["typing"]:
                turns += 1
    finally:
        socket.client.disconnect()
    assert refused > 0
    assert len(_user_texts(settings, conversation)) == turns


def test_a_whatsapp_number_over_its_budget_gets_one_short_reply_not_one_per_message(stack, fake_graph_api) -> None:
    settings = stack[1]
    number = wa.new_number()
    _use_up_budget(settings, f"wa:{number}")  # a number linked to no seller has its own budget

    for n in range(3):
        assert wa.post(settings, wa.delivery(settings, [wa.text_message(number, f"hello {n}")])).status_code == 200
    sent = wa.answered(fake_graph_api, number)
    assert len(sent) == 1 and "send them again" in wa.bodies(sent)
    assert _user_texts(settings, f"wa:{number}") == []
