"""Refund-status conversations through the running stack: seller chat channel -> Rasa -> actions -> backend."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.stack import Stack
from tests.e2e.conversation import say, seller


@pytest.mark.parametrize(
    "question, expected",
    [
        ("where is my refund for cj 2410 1800 12345", ["42.50 USD", "CJ Wallet", "15 Oct 2024", "done",
                                                       "billing history"]),
        ("refund for CJ2410180012346 not in my wallet??", ["18.90 USD", "16 Oct 2024", "pending"]),
        ("pls check refund #CJ2410180012347", ["65.00 USD", "original payment account", "19 Oct 2024", "done"]),
        ("has the refund of CJ-2410180012348 been paid", ["27.30 USD", "original payment account", "pending"]),
        ("what happened to the refund for dispute #SH2410200045", ["42.50 USD", "CJ2410180012345", "done"]),
        ("where is my refund for CJ2410180012349", ["SH2410200049", "still open", "no refund yet"]),
        ("refund status CJ2410180012350", ["resend", "no refund"]),
        ("why no refund for CJ2410180012351", ["rejected", "19 Oct 2024"]),
        ("where is my refund CJ2410180012352", ["cancelled", "back to processing"]),
        ("where's the refund for CJ2410180012353", ["hasn't been paid"]),
        ("refund for CJ2410180012354?", ["closed"]),
        ("where is my refund for CJ2410180012355", ["no refund", "open a dispute"]),
    ],
)
def test_every_refund_state_in_the_demo_data_gets_its_facts(
    stack: tuple[Stack, Settings], question: str, expected: list[str]
) -> None:
    _, settings = stack
    answer = " ".join(say(seller(settings), question))
    for fact in expected:
        assert fact in answer, answer


def test_without_a_number_alex_lists_the_recent_refunds_then_answers_for_a_number(
    stack: tuple[Stack, Settings]
) -> None:
    _, settings = stack
    chat = seller(settings)
    answer = " ".join(say(chat, "where is my refund??"))
    assert "Your most recent refunds" in answer and "42.50 USD" in answer and "send me its number" in answer
    assert "What would you like to do" in " ".join(say(chat, "#SH2410200045"))  # a bare number: buttons
    assert "42.50 USD" in " ".join(say(chat, '/check_refund_status{"order_number":"SH2410200045"}'))


def test_a_malformed_number_is_explained(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    chat = seller(settings)
    assert "doesn't look like an order or dispute number" in " ".join(say(chat, "refund status for CJ12 pls"))
    assert "65.00 USD" in " ".join(say(chat, "sorry, refund for CJ2410180012347"))


def test_several_numbers_in_one_message_each_get_their_refund(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    answer = " ".join(say(seller(settings), "refunds for cj 2410 1800 12345 and #SH2410200047?"))
    assert "42.50 USD" in answer and "65.00 USD" in answer


def test_unknown_and_another_sellers_numbers_get_the_same_not_found_answer(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    foreign = say(seller(settings), "where is my refund for CJ2410190020001")
    unknown = say(seller(settings), "where is my refund for CJ2499999999999")
    assert "can't find CJ2410190020001 on your account" in " ".join(foreign)
    assert "can't find CJ2499999999999 on your account" in " ".join(unknown)
    assert "88.00" not in " ".join(foreign)
    # The owner sees it.
    assert "88.00 USD" in " ".join(say(seller(settings, "S1002"), "where is my refund for CJ2410190020001"))


def test_a_backend_outage_gets_its_own_answer_and_alex_recovers(stack: tuple[Stack, Settings]) -> None:
    running, settings = stack
    running.halt("backend")
    try:
        answer = " ".join(say(seller(settings), "where is my refund for CJ2410180012345"))
        assert "can't reach the order system" in answer and "pass this to a person" in answer
    finally:
        running.resume("backend")
    assert "42.50 USD" in " ".join(say(seller(settings), "where is my refund for CJ2410180012345"))


@pytest.mark.parametrize(
    "question, expected",
    [
        ("can i cancel an order after i paid", "before you pay"),
        ("how do i open a dispute", "Open Dispute"),
        ("how to close my dispute", "Cancel"),
        ("whats the difference between back in balance and original way", "CJ Wallet"),
        ("customer opened a paypal case, can i solve it there?", "may be blocked"),
        ("what proof do i need for a damaged item dispute", "email address"),
        ("should my buyer send it back to your warehouse in china", "isn't recommended"),
    ],
)
def test_policy_questions_get_the_platform_answer(stack: tuple[Stack, Settings], question: str, expected: str) -> None:
    _, settings = stack
    assert expected in " ".join(say(seller(settings), question))
