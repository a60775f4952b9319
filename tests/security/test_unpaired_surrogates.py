"""A lone surrogate (half of a UTF-16 pair, e.g. "\\ud800", which JSON can carry) is no text: every channel's
shared check refuses it with a clear answer instead of failing later with a 500."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.verified import Refused, checked_text
from tests.channels.whatsapp_client import new_number


@pytest.mark.parametrize("text", ["\ud800", "where is my order \udfff", "\ud83d refund"])
def test_a_message_with_a_lone_surrogate_is_refused_with_a_clear_answer(text: str) -> None:
    with pytest.raises(Refused) as refused:
        asyncio.run(checked_text(None, "web:main:S1001", text, 2000))  # type: ignore[arg-type]
    assert refused.value.status == 400 and refused.value.code == "bad_message"
    assert "characters" in refused.value.message


def test_the_seller_chat_answers_a_lone_surrogate_with_400_not_500(stack) -> None:
    from tests.e2e.conversation import seller

    reply = seller(stack[1]).send("where is my refund \ud800")
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad_message"


def test_whatsapp_answers_a_lone_surrogate_instead_of_dropping_it(stack, fake_graph_api) -> None:
    from tests.channels.whatsapp_client import bodies, say

    number = new_number()
    answer = bodies(say(stack[1], fake_graph_api, number, "refund \ud800 please"))
    assert "couldn't read" in answer and "type it again" in answer
