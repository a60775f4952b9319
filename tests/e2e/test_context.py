"""What a message means depends on what Alex just said: follow-ups, answers at a decision point, corrected
numbers, a problem told instead of a request named, and messages while a ticket waits for a person. Each test
talks to the running stack and checks what the backend holds afterwards."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.stack import Stack
from tests.e2e.conversation import say, seller
from tests.platform import Platform


@pytest.fixture
def platform(stack: tuple[Stack, Settings]) -> Platform:
    return Platform(stack[1])


def told(chat, text: str) -> str:
    return " ".join(say(chat, text))


def test_why_after_a_refused_cancel_names_the_rule_and_what_now_offers_a_dispute(stack, platform) -> None:
    number = platform.new_order(state="dispatched")
    chat = seller(stack[1])
    assert "can't be cancelled" in told(chat, f"cancel {number} please")
    why = told(chat, "why not?")
    assert "already left CJ's warehouse" in why and "FAQ 11" in why
    assert f"Shall I open a dispute for order {number}" in told(chat, "so what can i do then")
    assert "refund or a resend" in told(chat, "yes")
    assert platform.disputes_of(number) == []  # nothing is written before the dispute's own confirmation


def test_ok_ill_talk_to_the_buyer_first_turns_an_offer_down(stack, platform) -> None:
    number = platform.new_order(state="paid")
    chat = seller(stack[1])
    assert "Shall I open a refund dispute" in told(chat, f"cancel {number}")
    told(chat, "ok i'll talk to the buyer first")
    assert platform.disputes_of(number) == []
    assert "Where should the refund go" not in " ".join(say(chat, "thanks"))


def test_try_again_after_an_outage_runs_the_request_again(stack, platform) -> None:
    running, _ = stack
    number = platform.new_order(state="dispatched")
    chat = seller(running.settings)
    running.halt("backend")
    try:
        assert "can't reach the order system" in told(chat, f"where is my order {number}")
    finally:
        running.resume("backend")
    assert f"Order {number} was dispatched" in told(chat, "can you try again?")


def test_a_number_glued_to_a_quantity_is_read_exactly(stack, platform) -> None:
    number = platform.new_order(state="dispatched")
    answer = told(seller(stack[1]), f"where is {number}-2pcs ??")
    assert f"Order {number} was dispatched" in answer and f"{number}2" not in answer


def test_a_number_a_digit_short_is_refused_not_completed(stack, platform) -> None:
    number = platform.new_order(state="unpaid")
    chat = seller(stack[1])
    answer = told(chat, f"cancel {number[:-1]} - 5 pcs")
    assert "doesn't look like an order or dispute number" in answer
    assert platform.order(number)["status"] == "unpaid"


def test_refund_question_on_an_order_without_a_dispute_offers_one_and_yes_starts_it(stack, platform) -> None:
    number = platform.new_order(state="dispatched")
    chat = seller(stack[1])
    answer = told(chat, f"refund for {number}?")
    assert "no refund on order" in answer and f"Shall I open a dispute for order {number}" in answer
    assert "refund or a resend" in told(chat, "sure go ahead")


def test_a_corrected_number_asks_the_same_request_again(stack, platform) -> None:
    wrong, meant = platform.new_order(state="paid"), platform.new_order(state="unpaid")
    chat = seller(stack[1])
    assert "can't be cancelled" in told(chat, f"cancel {wrong}")
    assert f"Cancel order {meant}" in told(chat, f"sorry wrong one, it's {meant}")
    told(chat, "yes")
    assert platform.order(meant)["status"] == "cancelled" and platform.order(wrong)["status"] == "paid"


def test_an_order_already_in_dispute_shows_that_disputes_state_and_opens_no_second(stack, platform) -> None:
    number = platform.new_order(state="delivered")
    dispute = platform.open_dispute("S1001", number, "resend", "lost_package")
    chat = seller(stack[1])
    answer = told(chat, f"parcel {number} never arrived, send it again pls")
    assert f"Dispute {dispute} is already open" in answer and "has been open since" in answer
    assert len(platform.disputes_of(number)) == 1


def test_a_change_of_mind_while_the_email_is_asked_is_taken(stack, platform) -> None:
    number = platform.new_order(state="delivered")
    chat = seller(stack[1])
    assert "buyer's email" in told(chat, f"{number} arrived damaged, i want a refund to my wallet")
    answer = told(chat, "wait, buyer prefers a new one. so resend not refund pls")
    assert "buyer's email" in answer and "doesn't look like an email" not in answer
    told(chat, "mia@example.com")
    told(chat, "Buyer: the glass is shattered, please send a new one")
    told(chat, "https://photos.example.com/shattered.jpg")
    summary = told(chat, "Arrived shattered, the buyer wants a new one.")
    assert "Wanted: a resend" in summary


def test_messages_while_a_ticket_waits_reach_it(stack, platform) -> None:
    _, settings = stack
    number = platform.new_order(state="delivered")
    chat = seller(settings)
    assert "your ticket is TK" in told(chat, "i want to talk to a real person")
    answer = told(chat, f"order number is {number}")
    assert "added that to your ticket" in answer and "didn't quite get that" not in answer
    ticket = platform.ticket_of(f"web:{chat.session}:S1001")
    assert ticket is not None and number in ticket["order_numbers"]
    assert any(number in message["body"] for message in ticket["messages"])
