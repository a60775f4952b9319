"""Every seller flow as a conversation through the running stack (seller chat channel -> Rasa -> actions ->
backend), checking what the backend holds afterwards. Each test makes its own orders with the platform key, so
no test depends on another's."""

from __future__ import annotations

import os
import signal
import time

import pytest

from bot.settings import Settings
from bot.stack import Stack
from tests.e2e.conversation import say, seller
from tests.platform import Platform


@pytest.fixture
def platform(stack: tuple[Stack, Settings]) -> Platform:
    return Platform(stack[1])


def chat_of(stack: tuple[Stack, Settings], seller_id: str = "S1001"):
    return seller(stack[1], seller_id)


def spaced(number: str) -> str:
    """A number the way sellers paste it: lower case, grouped, with a '#'."""
    return f"#{number[:2].lower()} {number[2:6]} {number[6:10]} {number[10:]}"


# ------------------------------------------------------------------------------------------ orders


def test_order_status_for_two_orders_in_one_message(stack, platform: Platform) -> None:
    paid, dispatched = platform.new_order(state="paid"), platform.new_order(state="dispatched")
    tracking = platform.order(dispatched)["shipping"]["tracking_number"]
    answer = " ".join(say(chat_of(stack), f"where are my orders {spaced(paid)} and {dispatched}?"))
    assert f"Order {paid} was paid" in answer and "no tracking number yet" in answer
    assert f"Order {dispatched} was dispatched" in answer and tracking in answer
    assert "I don't have a delivery date" in answer


def test_cancel_unpaid_order_asks_for_confirmation_then_cancels(stack, platform: Platform) -> None:
    number = platform.new_order(state="unpaid")
    chat = chat_of(stack)
    assert f"Cancel order {number}" in " ".join(say(chat, f"please cancel order {spaced(number)}"))
    assert platform.order(number)["status"] == "unpaid"
    assert f"order {number} is cancelled" in " ".join(say(chat, "yes"))
    assert platform.order(number)["status"] == "cancelled"


def test_cancel_then_no_changes_nothing(stack, platform: Platform) -> None:
    number = platform.new_order(state="unpaid")
    chat = chat_of(stack)
    say(chat, "i want to cancel an order")
    assert f"Cancel order {number}" in " ".join(say(chat, number))
    assert "haven't cancelled anything" in " ".join(say(chat, "no"))
    assert platform.order(number)["status"] == "unpaid"


def test_cancelling_a_paid_order_leads_to_a_refund_dispute(stack, platform: Platform) -> None:
    number = platform.new_order(state="paid")
    chat = chat_of(stack)
    answer = " ".join(say(chat, f"cancel {number}"))
    assert "already paid, so it can't be cancelled" in answer and "Shall I open a refund dispute" in answer
    assert "Where should the refund go" in " ".join(say(chat, "yes please"))
    say(chat, "back in balance")
    say(chat, "dana@example.com")
    assert "short message for CJ's review team" in " ".join(say(chat, "Buyer: please cancel, I ordered by mistake"))
    summary = " ".join(say(chat, "The buyer cancelled before we shipped."))
    assert "Wanted: a refund, Back in Balance (CJ Wallet)" in summary and "cancel before dispatch" in summary
    assert "is open for order" in " ".join(say(chat, "yes"))
    [dispute] = platform.disputes_of(number)
    assert (dispute["reason"], dispute["refund_type"]) == ("cancel_before_dispatch", "balance")


def test_cancelling_a_dispatched_order_explains_the_options(stack, platform: Platform) -> None:
    number = platform.new_order(state="dispatched")
    answer = " ".join(say(chat_of(stack), f"cancel {number}"))
    assert "can't be cancelled any more" in answer and "open a dispute" in answer
    assert platform.order(number)["status"] == "dispatched"


# ------------------------------------------------------------------------------------------ disputes


def test_open_a_dispute_with_a_side_question_and_a_change_of_mind_creates_it_once(stack, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    chat = chat_of(stack)
    assert "a refund or a resend" in " ".join(say(chat, f"i want to open a dispute for {spaced(number)}"))
    assert "What went wrong" in " ".join(say(chat, "refund"))
    side = " ".join(say(chat, "what proof do i need for a dispute?"))
    assert "buyer's complaint" in side and "What went wrong" in side  # answered, then the form resumes
    assert "Where should the refund go" in " ".join(say(chat, "it arrived damaged"))
    say(chat, "original way")
    say(chat, "buyer email: erin@example.com")
    say(chat, "Buyer wrote: the glass is cracked, I want my money back")
    assert "short message" in " ".join(say(chat, "https://i.imgur.com/cracked.jpg"))
    changed = " ".join(say(chat, "actually i want a resend instead"))
    assert "changed to: resend" in changed
    summary = " ".join(say(chat, "The glass was cracked when the buyer opened the parcel."))
    assert "Wanted: a resend" in summary and "stops processing this order" in summary
    assert platform.disputes_of(number) == []  # nothing before the yes
    opened = " ".join(say(chat, "yes"))
    [dispute] = platform.disputes_of(number)
    assert f"Done: dispute {dispute['number']} is open" in opened
    assert (dispute["expected_result"], dispute["reason"]) == ("resend", "damaged_product")
    assert platform.order(number)["processing"] == "stopped_by_dispute"
    say(chat, "yes")  # a repeated yes after the dispute is open writes nothing
    assert len(platform.disputes_of(number)) == 1


def test_stop_in_the_middle_of_a_dispute_opens_nothing(stack, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    chat = chat_of(stack)
    say(chat, f"open a dispute for {number}, i want a resend")
    assert "Nothing was changed" in " ".join(say(chat, "never mind"))
    assert platform.disputes_of(number) == []
    assert "anything else" in " ".join(say(chat, "stop"))  # nothing left to stop


def test_an_order_that_cannot_be_disputed_gets_its_own_reply(stack, platform: Platform) -> None:
    closed, unpaid = platform.new_order(state="closed"), platform.new_order(state="unpaid")
    assert "disputes can't be opened for closed orders" in " ".join(say(chat_of(stack), f"open a dispute for {closed}"))
    assert "hasn't been paid yet" in " ".join(say(chat_of(stack), f"open a dispute for {unpaid}"))


def test_follow_a_dispute_and_agree_to_the_proposed_resend(stack, platform: Platform) -> None:
    dispute = platform.open_dispute("S1001", platform.new_order(state="delivered"))
    platform.propose_resend(dispute, "1x Test gadget 1, shipped again with YunExpress")
    chat = chat_of(stack)
    status = " ".join(say(chat, f"what happened with dispute {dispute}?"))
    assert "CJ proposed a resend: 1x Test gadget 1, shipped again with YunExpress" in status
    assert "Do you agree?" in " ".join(say(chat, f'/agree_resend{{"order_number":"{dispute}"}}'))
    assert "you've agreed to the resend" in " ".join(say(chat, "yes"))
    assert platform.dispute(dispute)["status"] == "resend_agreed"


def test_add_a_message_to_a_dispute(stack, platform: Platform) -> None:
    dispute = platform.open_dispute("S1001", platform.new_order(state="delivered"))
    chat = chat_of(stack)
    assert "What should I add" in " ".join(say(chat, f"add a message to dispute {dispute}"))
    assert "Add this to dispute" in " ".join(say(chat, "The buyer says the parcel arrived today after all."))
    assert "your message is on dispute" in " ".join(say(chat, "send it"))
    assert platform.dispute(dispute)["messages"][-1]["body"] == "The buyer says the parcel arrived today after all."


def test_close_a_dispute_warns_then_cancels_it_and_processing_resumes(stack, platform: Platform) -> None:
    order = platform.new_order(state="dispatched")
    dispute = platform.open_dispute("S1001", order)
    chat = chat_of(stack)
    assert "CJ resumes processing the order" in " ".join(say(chat, f"close dispute {dispute} please"))
    assert platform.dispute(dispute)["status"] == "open"
    assert f"dispute {dispute} is closed" in " ".join(say(chat, "yes"))
    assert platform.dispute(dispute)["status"] == "cancelled" and platform.order(order)["processing"] == "running"


# ------------------------------------------------------------------------------------------ returns


def test_set_up_a_return_with_the_warning_and_the_return_link(stack, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    chat = chat_of(stack)
    assert "link to your store" in " ".join(say(chat, f"i want to return order {number}"))
    assert "image of your store" in " ".join(say(chat, "gadgetcorner.myshopify.com"))
    confirm = " ".join(say(chat, "https://i.imgur.com/storefront.png"))
    assert "isn't recommended" in confirm and "Create the return?" in confirm
    created = " ".join(say(chat, "yes"))
    [made] = platform.order(number)["returns"]
    assert made["return_link"] in created and "contact your assigned agent" in created


# ------------------------------------------------------------------------------------------ between flows, a person


def test_another_request_mid_flow_asks_first_and_yes_switches(stack, platform: Platform) -> None:
    returnable, unpaid = platform.new_order(state="delivered"), platform.new_order(state="unpaid")
    chat = chat_of(stack)
    say(chat, f"start a return for {returnable}")
    assert "middle of setting up a return" in " ".join(say(chat, f"cancel {unpaid} please"))
    answer = " ".join(say(chat, "yes"))
    assert f"Cancel order {unpaid}" in answer
    say(chat, "yes")
    assert platform.order(unpaid)["status"] == "cancelled" and platform.order(returnable)["returns"] == []


def test_another_request_mid_flow_and_no_carries_on_where_it_was(stack, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    chat = chat_of(stack)
    say(chat, f"start a return for {number}")
    assert "setting up a return" in " ".join(say(chat, "where is my refund for CJ2410180012345?"))
    assert "link to your store" in " ".join(say(chat, "no"))


def test_asking_for_a_person_opens_a_ticket_with_the_numbers_in_play(stack, platform: Platform) -> None:
    chat = chat_of(stack)
    say(chat, "where is my refund for CJ2410180012349")
    answer = " ".join(say(chat, "this takes too long, i want to talk to a human"))
    ticket = platform.ticket_of(f"web:{chat.session}:S1001")
    assert ticket is not None and ticket["number"] in answer
    assert ticket["order_numbers"] == ["CJ2410180012349"] and ticket["reasons"] == ["seller_request"]


def test_an_outage_mid_flow_offers_a_person_and_writes_nothing(stack, platform: Platform) -> None:
    running, _ = stack
    number = platform.new_order(state="unpaid")
    chat = chat_of(stack)
    say(chat, f"cancel {number}")
    running.halt("backend")
    try:
        answer = " ".join(say(chat, "yes"))
    finally:
        running.resume("backend")
    assert "can't reach the order system" in answer and "pass this to a person" in answer
    assert platform.order(number)["status"] == "unpaid"
    answer = " ".join(say(chat, "yes"))
    ticket = platform.ticket_of(f"web:{chat.session}:S1001")
    assert ticket["number"] in answer and ticket["reasons"] == ["backend_failure"]
    assert number in ticket["order_numbers"]


# ------------------------------------------------------------------------------------------ no, and nothing changes


def test_no_at_the_close_confirmation_keeps_the_dispute_open(stack, platform: Platform) -> None:
    order = platform.new_order(state="dispatched")
    dispute = platform.open_dispute("S1001", order)
    chat = chat_of(stack)
    say(chat, f"close dispute {dispute} please")
    say(chat, "no")
    assert platform.dispute(dispute)["status"] == "open"
    assert platform.order(order)["processing"] == "stopped_by_dispute"


def test_no_at_the_resend_confirmation_agrees_to_nothing(stack, platform: Platform) -> None:
    dispute = platform.open_dispute("S1001", platform.new_order(state="delivered"))
    platform.propose_resend(dispute)
    chat = chat_of(stack)
    say(chat, f"what happened with dispute {dispute}?")  # offers the "agree" button
    assert "Do you agree?" in " ".join(say(chat, f'/agree_resend{{"order_number":"{dispute}"}}'))
    say(chat, "no")
    assert platform.dispute(dispute)["status"] == "resend_proposed"


def test_no_at_the_return_confirmation_creates_no_return(stack, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    chat = chat_of(stack)
    say(chat, f"i want to return order {number}")
    say(chat, "gadgetcorner.myshopify.com")
    assert "Create the return?" in " ".join(say(chat, "https://i.imgur.com/storefront.png"))
    say(chat, "no")
    assert platform.order(number)["returns"] == []


def test_an_order_already_in_dispute_gets_its_own_reply_and_no_second_dispute(stack, platform: Platform) -> None:
    order = platform.new_order(state="delivered")
    dispute = platform.open_dispute("S1001", order)
    chat = chat_of(stack)
    answer = " ".join(say(chat, f"open a dispute for {order}, the parcel is lost"))
    assert dispute in answer
    assert [d["number"] for d in platform.disputes_of(order)] == [dispute]


def test_a_backend_that_hangs_gets_an_answer_within_the_timeout_and_the_offer_of_a_person(
    stack, platform: Platform
) -> None:
    running, settings = stack
    number = platform.new_order(state="unpaid")
    chat = chat_of(stack)
    say(chat, f"cancel {number}")
    backend = running.process("backend").popen
    os.kill(backend.pid, signal.SIGSTOP)  # alive but silent: every call waits for its timeout
    try:
        started = time.monotonic()
        answer = " ".join(say(chat, "yes"))
        waited = time.monotonic() - started
    finally:
        os.kill(backend.pid, signal.SIGCONT)
    assert "can't reach the order system" in answer and "pass this to a person" in answer
    assert waited < 8 * settings.backend_timeout_seconds
    assert platform.order(number)["status"] == "unpaid"
