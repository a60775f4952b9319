"""Order status and cancelling an order, against the real backend over HTTP; each test makes its own orders."""

from __future__ import annotations

import pytest

from actions.orders import (
    ActionCancelOrder,
    ActionOrderStatus,
    ActionWhatAboutNumber,
    AskCancelConfirmation,
    AskOrderToCancel,
    AskOrderToCheck,
    ValidateCancelOrderForm,
    ValidateOrderStatusForm,
)
from bot.settings import Settings
from tests.conftest import free_port
from tests.integration.harness import Conversation, responses, use_backend
from tests.platform import Platform

# ------------------------------------------------------------------------------------------ order status


def check(chat: Conversation, *numbers: str) -> list[dict]:
    chat.says("where is " + " and ".join(numbers), "check_order_status", [("order_number", n) for n in numbers])
    told, _ = chat.fill(ValidateOrderStatusForm(), activating=True)
    assert told == [] and chat.asking is None
    messages, _ = chat.run(ActionOrderStatus())
    return messages


def test_a_dispatched_order_has_its_date_carrier_and_tracking_and_no_invented_delivery_date(
    chat: Conversation, platform: Platform
) -> None:
    number = platform.new_order(state="dispatched")
    order = platform.order(number)
    [message] = check(chat, number)
    assert message["response"] == "utter_order_status_dispatched"
    assert message["carrier"] == order["shipping"]["carrier"]
    assert message["tracking_number"] == order["shipping"]["tracking_number"]
    assert message["dispatched_date"] and message["delivered_date"] == ""


@pytest.mark.parametrize("state, response", [
    ("unpaid", "utter_order_status_unpaid"), ("paid", "utter_order_status_paid"),
    ("delivered", "utter_order_status_delivered"), ("completed", "utter_order_status_completed"),
    ("cancelled", "utter_order_status_cancelled"), ("closed", "utter_order_status_closed"),
])
def test_each_order_state_gets_its_own_answer(chat: Conversation, platform: Platform, state: str,
                                              response: str) -> None:
    assert responses(check(chat, platform.new_order(state=state))) == [response]


def test_several_orders_in_one_message_in_any_format_each_get_an_answer(chat: Conversation,
                                                                         platform: Platform) -> None:
    paid, dispatched = platform.new_order(state="paid"), platform.new_order(state="dispatched")
    spaced = f"{paid[:2].lower()} {paid[2:6]} {paid[6:10]} {paid[10:]}"
    told = responses(check(chat, spaced, "#" + dispatched, "CJ2499999999999"))
    assert told == ["utter_order_status_paid", "utter_order_status_dispatched", "utter_order_not_found"]


def test_an_order_held_by_an_open_dispute_says_so(chat: Conversation) -> None:
    told = check(chat, "CJ2411050010071")
    assert [m["response"] for m in told] == ["utter_order_status_dispatched", "utter_order_on_hold"]
    assert told[1]["dispute_number"] == "SH2411060071"


def test_another_sellers_order_is_not_found_like_an_unknown_one(chat: Conversation) -> None:
    assert responses(check(chat, "CJ2411050020021")) == responses(check(chat, "CJ2411059999999")) == [
        "utter_order_not_found"]


def test_without_a_number_alex_asks_with_the_sellers_recent_orders_as_a_pick_list(chat: Conversation) -> None:
    messages, _ = chat.says("where is my order", "check_order_status").run(AskOrderToCheck())
    [ask] = messages
    assert ask["response"] == "utter_ask_order_status_form_status_orders_pick"
    assert 1 <= len(ask["buttons"]) <= 5
    assert all(b["payload"].startswith('/inform_order_number{"order_number":"') for b in ask["buttons"])


def test_a_malformed_number_is_explained_and_the_question_stays_open(chat: Conversation) -> None:
    chat.says("where is my order", "check_order_status")
    chat.fill(ValidateOrderStatusForm(), activating=True)
    assert chat.asking == "status_orders"
    told, _ = chat.says("CJ12", "inform_order_number", {"order_number": "CJ12"}).fill(ValidateOrderStatusForm())
    assert told == ["utter_malformed_number"] and chat.asking == "status_orders"


def test_a_bare_number_offers_what_can_be_done_with_it(chat: Conversation) -> None:
    messages, _ = chat.says("SH2411060071", "inform_order_number", {"order_number": "sh 2411 060071"}).run(
        ActionWhatAboutNumber())
    assert responses(messages) == ["utter_what_about_dispute"] and messages[0]["order_number"] == "SH2411060071"
    messages, _ = chat.says("CJ2411050010021", "inform_order_number", {"order_number": "CJ2411050010021"}).run(
        ActionWhatAboutNumber())
    assert responses(messages) == ["utter_what_about_order"]


# ------------------------------------------------------------------------------------------ cancel


def start_cancel(chat: Conversation, number: str | None) -> list[str]:
    chat.says(f"cancel {number or 'my order'}", "request_cancel_order", {"order_number": number} if number else {})
    told, _ = chat.fill(ValidateCancelOrderForm(), activating=True)
    return told


def test_cancel_unpaid_order_asks_for_confirmation_then_cancels(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="unpaid")
    assert start_cancel(chat, number) == [] and chat.asking == "cancel_confirmed"
    ask, _ = chat.run(AskCancelConfirmation())
    assert responses(ask) == ["utter_ask_cancel_confirmed"] and ask[0]["amount"] == "12.50"
    assert platform.order(number)["status"] == "unpaid"  # nothing written before the yes
    chat.says("yes", "affirm").fill(ValidateCancelOrderForm())
    assert chat.asking is None
    messages, _ = chat.run(ActionCancelOrder())
    assert responses(messages) == ["utter_order_cancelled"]
    assert platform.order(number)["status"] == "cancelled"
    assert chat.slots["cancel_order"] is None and chat.slots["order_facts"] is None  # the flow is forgotten


def test_cancel_retried_with_the_same_confirmation_writes_once(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="unpaid")
    start_cancel(chat, number)
    chat.says("yes", "affirm").fill(ValidateCancelOrderForm())
    slots = dict(chat.slots)
    first, _ = chat.run(ActionCancelOrder())
    chat.slots = slots  # Rasa retries the same action on the same tracker
    again, _ = chat.run(ActionCancelOrder())
    # The retry was answered from the backend's record (a second write would be refused as already cancelled).
    assert responses(first) == responses(again) == ["utter_order_cancelled"]
    assert platform.log_events("S1001", number).count("cancelled") == 1


def test_no_at_the_confirmation_changes_nothing(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="unpaid")
    start_cancel(chat, number)
    chat.says("no", "deny").fill(ValidateCancelOrderForm())
    messages, _ = chat.run(ActionCancelOrder())
    assert responses(messages) == ["utter_cancel_declined"]
    assert platform.order(number)["status"] == "unpaid"


def test_a_paid_order_is_explained_and_a_refund_dispute_offered(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="paid")
    assert start_cancel(chat, number) == [] and chat.asking is None  # no yes/no for what can't be done
    messages, _ = chat.run(ActionCancelOrder())
    assert responses(messages) == ["utter_cancel_paid", "utter_offer_refund_dispute"]
    assert chat.slots["offer_pending"] is True
    assert chat.slots["pending_offer"]["request"] == {"intent": "request_open_dispute", "entities": {
        "order_number": number, "expected_result": "refund", "dispute_reason": "cancel_before_dispatch"}}
    assert platform.order(number)["status"] == "paid"


@pytest.mark.parametrize("state, response", [
    ("dispatched", "utter_cancel_dispatched"), ("delivered", "utter_cancel_dispatched"),
    ("closed", "utter_cancel_closed"), ("cancelled", "utter_cancel_already_cancelled"),
])
def test_orders_past_payment_explain_the_options(chat: Conversation, platform: Platform, state: str,
                                                 response: str) -> None:
    number = platform.new_order(state=state)
    start_cancel(chat, number)
    messages, _ = chat.run(ActionCancelOrder())
    assert responses(messages) == [response]
    assert platform.order(number)["status"] == state


def test_unknown_and_another_sellers_orders_get_the_same_answer_and_a_second_miss_ends_the_flow(
    chat: Conversation,
) -> None:
    assert start_cancel(chat, "CJ2411050020001") == ["utter_order_not_found"]  # S1002's order
    assert chat.asking == "cancel_order"
    told, _ = chat.says("CJ2411059999999", "inform_order_number", {"order_number": "CJ2411059999999"}).fill(
        ValidateCancelOrderForm())
    # The same answer again; a second miss in a row is not asked a third time (a person takes over).
    assert told == ["utter_order_not_found"] and chat.asking is None
    assert chat.slots["flow_stop_reason"] == "failed"


def test_a_dispute_number_is_not_an_order_to_cancel(chat: Conversation) -> None:
    assert start_cancel(chat, "SH2411060071") == ["utter_order_number_expected"]


def test_several_numbers_ask_which_one_first(chat: Conversation, platform: Platform) -> None:
    first, second = platform.new_order(), platform.new_order()
    chat.says(f"cancel {first} and {second}", "request_cancel_order", [("order_number", first),
                                                                       ("order_number", second)])
    told, _ = chat.fill(ValidateCancelOrderForm(), activating=True)
    assert told == ["utter_pick_order"] and chat.asking == "cancel_order"


@pytest.mark.parametrize("text, intent", [("never mind", "stop"), ("ok bye", "goodbye")])
def test_stop_or_bye_in_the_middle_leaves_without_cancelling(chat: Conversation, platform: Platform, text: str,
                                                             intent: str) -> None:
    number = platform.new_order(state="unpaid")
    start_cancel(chat, number)
    chat.says(text, intent).fill(ValidateCancelOrderForm())
    assert chat.asking is None and chat.slots["flow_stop_reason"] == "stopped"
    messages, _ = chat.run(ActionCancelOrder())
    assert responses(messages) == ["utter_flow_stopped"]
    assert platform.order(number)["status"] == "unpaid"


def test_a_question_on_the_side_is_not_taken_as_an_answer(chat: Conversation, platform: Platform) -> None:
    start_cancel(chat, platform.new_order(state="unpaid"))
    told, events = chat.says("can i cancel after paying?", "ask_cancel_order").fill(ValidateCancelOrderForm())
    assert (told, events) == ([], [])  # nothing taken: Rasa rejects the form and the rules answer the question


def test_the_pick_list_offers_only_orders_that_can_be_cancelled(chat: Conversation, platform: Platform) -> None:
    platform.new_order(state="unpaid")
    messages, _ = chat.says("cancel my order", "request_cancel_order").run(AskOrderToCancel())
    numbers = [b["title"] for b in messages[0]["buttons"]]
    assert numbers and all(platform.order(n)["status"] == "unpaid" for n in numbers)


def test_a_backend_that_is_down_offers_a_person_and_cancels_nothing(
    chat: Conversation, platform: Platform, backend_only: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = platform.new_order(state="unpaid")
    use_backend(monkeypatch, backend_only, url=f"http://127.0.0.1:{free_port()}")
    assert start_cancel(chat, number) == [] and chat.asking is None
    messages, _ = chat.run(ActionCancelOrder())
    assert responses(messages) == ["utter_backend_unavailable", "utter_offer_human"]
    assert platform.order(number)["status"] == "unpaid"


def test_a_conversation_without_a_verified_seller_gets_nothing(chat: Conversation, platform: Platform) -> None:
    chat.bound = False
    assert start_cancel(chat, platform.new_order()) == ["utter_identity_required"]


def test_a_yes_or_a_stray_answer_while_a_number_is_asked_for_is_said_to_answer_nothing(chat: Conversation) -> None:
    start_cancel(chat, None)
    assert chat.asking == "cancel_order"
    told, events = chat.says("ok", "affirm").fill(ValidateCancelOrderForm())
    assert told == ["utter_flow_not_understood"] and chat.asking == "cancel_order"


def test_a_bare_unpaid_order_number_offers_to_cancel_it(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="unpaid")
    messages, _ = chat.says(number, "inform_order_number", {"order_number": number}).run(ActionWhatAboutNumber())
    assert responses(messages) == ["utter_what_about_unpaid_order"]
