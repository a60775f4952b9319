"""Every way a conversation reaches a person, through the running stack: the ticket in the backend carries the
reason, the priority the triage gives it, the numbers in play and a summary; the seller is told its number and
what to expect. (The backend outage is in test_flow_conversations.py.)"""

from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.stack import Stack
from tests.e2e.conversation import say, seller
from tests.platform import Platform


@pytest.fixture
def platform(stack: tuple[Stack, Settings]) -> Platform:
    return Platform(stack[1])


def ticket_after(stack: tuple[Stack, Settings], platform: Platform, messages: list[str]) -> tuple[dict, str]:
    """Send the messages as a fresh seller conversation; return the conversation's ticket and Alex's last answer."""
    chat = seller(stack[1], "S1001")
    answer = ""
    for text in messages:
        answer = " ".join(say(chat, text))
    ticket = platform.ticket_of(f"web:{chat.session}:S1001")
    assert ticket is not None, f"no ticket after {messages}; Alex said: {answer}"
    return ticket, answer


def test_asking_for_a_person_tells_the_ticket_number_and_the_wait(stack, platform: Platform) -> None:
    ticket, answer = ticket_after(stack, platform, ["I want to talk to a human"])
    assert ticket["reasons"] == ["seller_request"] and ticket["priority"] == "normal"
    assert ticket["number"] in answer
    assert "in the queue" in answer and "minutes" in answer  # the support hours are "always" in tests


def test_asking_twice_updates_the_one_ticket_and_raises_its_priority(stack, platform: Platform) -> None:
    ticket, answer = ticket_after(stack, platform, ["agent please", "still waiting, can I talk to a real person now?"])
    assert ticket["priority"] == "high" and ticket["number"] in answer
    assert "added this to your ticket" in answer


def test_not_understood_twice_in_a_row_gets_a_person(stack, platform: Platform) -> None:
    ticket, answer = ticket_after(stack, platform, ["qwxz pflorb zzkt", "vrumpf klatoo blarg"])
    assert ticket["reasons"] == ["not_understood"]
    assert "still not getting it" in answer and ticket["number"] in answer


def test_a_question_failed_twice_ends_the_flow_and_gets_a_person(stack, platform: Platform) -> None:
    ticket, answer = ticket_after(stack, platform, ["cancel an order", "CJ12", "it's CJ99"])
    assert ticket["reasons"] == ["form_failed"]
    assert "stop asking" in answer and ticket["number"] in answer
    assert "Answers so far" in ticket["summary"] or "cancel an order" in ticket["summary"]


def test_a_chargeback_goes_to_a_person_urgently_with_the_order(stack, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    ticket, answer = ticket_after(stack, platform, [f"my buyer opened a chargeback with paypal for {number}"])
    assert ticket["reasons"] == ["chargeback"] and ticket["priority"] == "urgent"
    assert ticket["order_numbers"] == [number]
    assert "opened and negotiated on CJ" in answer and ticket["number"] in answer


def test_a_blocked_account_goes_to_a_person_urgently(stack, platform: Platform) -> None:
    ticket, answer = ticket_after(stack, platform, ["my cj account has been suspended"])
    assert ticket["reasons"] == ["account_blocked"] and ticket["priority"] == "urgent"
    assert ticket["number"] in answer


def test_an_upset_seller_is_offered_a_person_first_and_gets_one_when_still_upset(stack, platform: Platform) -> None:
    chat = seller(stack[1], "S1001")
    first = " ".join(say(chat, "this is useless, you never help"))
    assert "frustrating" in first and platform.ticket_of(f"web:{chat.session}:S1001") is None
    say(chat, "no")
    answer = " ".join(say(chat, "worst support ever"))
    ticket = platform.ticket_of(f"web:{chat.session}:S1001")
    assert ticket is not None and ticket["reasons"] == ["frustration"] and ticket["priority"] == "high"
    assert ticket["number"] in answer


def test_a_complaint_mid_flow_leaves_the_flow_and_yes_gets_a_person(stack, platform: Platform) -> None:
    number = platform.new_order(state="unpaid")
    chat = seller(stack[1], "S1001")
    say(chat, f"cancel {number}")
    say(chat, "ugh this is so annoying")
    answer = " ".join(say(chat, "yes"))
    ticket = platform.ticket_of(f"web:{chat.session}:S1001")
    assert ticket is not None and ticket["reasons"] == ["frustration"] and ticket["number"] in answer
    assert platform.order(number)["status"] == "unpaid"  # the "yes" went to the offer, not to the cancellation
