"""An agent's reply reaches the seller exactly once, whatever the console's client retries: the same request
again with its Idempotency-Key, several copies in flight at once, a retry of a reply already delivered. The same
holds for the "agent joined" announcement when a claim is repeated."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from bot.settings import Settings
from bot.stack import Stack
from tests.e2e.agent_desk import AgentDesk
from tests.e2e.conversation import say, seller, tracker
from tests.platform import Platform


def bot_texts(settings: Settings, conversation: str) -> list[str]:
    return [e.get("text") or "" for e in tracker(settings, conversation)["events"] if e.get("event") == "bot"]


def taken_over(settings: Settings, seller_id: str) -> tuple[AgentDesk, str, str]:
    """A seller who asked for a person, and the agent who claimed the ticket: (desk, ticket number, conversation)."""
    chat = seller(settings, seller_id)
    conversation = f"web:{chat.session}:{seller_id}"
    say(chat, "I want to talk to a human please")
    number = Platform(settings).ticket_of(conversation)["number"]
    desk = AgentDesk(settings)
    desk.claim(number)
    return desk, number, conversation


def post_reply(desk: AgentDesk, number: str, text: str, key: str) -> requests.Response:
    return desk.http.post(f"{desk.url}/api/tickets/{number}/messages", json={"body": text}, timeout=60,
                          headers={"Idempotency-Key": key})


def agent_replies(detail: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in detail["ticket"]["messages"] if m["author_kind"] == "agent" and not m["internal"]]


def test_a_reply_sent_again_with_the_same_key_reaches_the_seller_once(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    desk, number, conversation = taken_over(settings, "S1001")
    key = uuid.uuid4().hex
    first = post_reply(desk, number, "Checking your refund with finance now.", key)
    again = post_reply(desk, number, "Checking your refund with finance now.", key)
    assert first.status_code == again.status_code == 201
    assert bot_texts(settings, conversation).count("Checking your refund with finance now.") == 1
    assert [m["delivery_state"] for m in agent_replies(again.json())] == ["sent"]  # not the stored "pending"


def test_copies_of_a_reply_in_flight_at_once_reach_the_seller_once(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    desk, number, conversation = taken_over(settings, "S1002")
    key = uuid.uuid4().hex
    text = "Your parcel is with the carrier, I have asked them for news."
    with ThreadPoolExecutor(max_workers=5) as pool:
        replies = list(pool.map(lambda _: post_reply(desk, number, text, key), range(5)))
    assert all(r.status_code in (201, 409) for r in replies), [r.text for r in replies]
    assert bot_texts(settings, conversation).count(text) == 1
    detail = desk.ticket(number)
    assert [m["delivery_state"] for m in agent_replies(detail)] == ["sent"]


def test_retries_of_a_delivered_reply_are_refused_and_send_nothing(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    desk, number, conversation = taken_over(settings, "S1001")
    text = "I have opened the case with the warehouse."
    message_id = agent_replies(desk.reply(number, text))[-1]["id"]

    def retry(_: int) -> requests.Response:
        return desk.http.post(f"{desk.url}/api/tickets/{number}/messages/{message_id}/retry", timeout=60)

    with ThreadPoolExecutor(max_workers=4) as pool:
        retries = list(pool.map(retry, range(4)))
    assert {r.status_code for r in retries} == {409}, [r.text for r in retries]  # it was delivered already
    assert bot_texts(settings, conversation).count(text) == 1


def test_a_repeated_claim_announces_the_agent_once(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    desk, number, conversation = taken_over(settings, "S1002")
    key = uuid.uuid4().hex
    for headers in ({"Idempotency-Key": key}, {"Idempotency-Key": key}, {"Idempotency-Key": uuid.uuid4().hex}):
        reply = desk.http.post(f"{desk.url}/api/tickets/{number}/claim", timeout=60, headers=headers)
        assert reply.status_code == 200, reply.text
    joined = [text for text in bot_texts(settings, conversation) if desk.name in text and "joined" in text]
    assert len(joined) == 1, joined
