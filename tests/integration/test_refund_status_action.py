"""ActionRefundStatus against the real backend over HTTP: every refund state of the demo data, several numbers
at once, the seller's recent refunds, and the failures."""

from __future__ import annotations

import pytest

from actions.refunds import ActionRefundStatus
from bot.settings import Settings
from tests.conftest import free_port
from tests.integration.harness import Conversation, responses, use_backend


def ask(chat: Conversation, *numbers: str) -> tuple[list[dict], list[dict]]:
    chat.says("where is my refund " + " ".join(numbers), "check_refund_status",
              [("order_number", n) for n in numbers])
    return chat.run(ActionRefundStatus())


@pytest.mark.parametrize(
    "number, response, facts",
    [
        ("CJ2410180012345", "utter_refund_done_balance", {"amount": "42.50", "completed_date": "15 Oct 2024"}),
        ("CJ2410180012346", "utter_refund_pending_balance", {"amount": "18.90", "approved_date": "16 Oct 2024"}),
        ("CJ2410180012347", "utter_refund_done_original", {"amount": "65.00", "completed_date": "19 Oct 2024"}),
        ("CJ2410180012348", "utter_refund_pending_original", {"amount": "27.30", "approved_date": "22 Oct 2024"}),
        ("SH2410200045", "utter_refund_done_balance", {"order_number": "CJ2410180012345"}),
        ("cj 2410 1800 12345", "utter_refund_done_balance", {"dispute_number": "SH2410200045"}),
    ],
)
def test_each_refund_state_is_told_with_its_facts_and_where_to_see_it(
    chat: Conversation, number: str, response: str, facts: dict
) -> None:
    messages, events = ask(chat, number)
    assert responses(messages) == [response, "utter_refund_where_to_see"]
    assert facts.items() <= messages[0].items()
    assert messages[0]["currency"] == "USD"


@pytest.mark.parametrize(
    "number, response",
    [
        ("CJ2410180012349", "utter_no_refund_dispute_open"),
        ("CJ2410180012350", "utter_no_refund_dispute_resent"),
        ("CJ2410180012351", "utter_no_refund_dispute_rejected"),
        ("CJ2410180012352", "utter_no_refund_dispute_cancelled"),
        ("CJ2410180012353", "utter_no_refund_unpaid"),
        ("CJ2410180012354", "utter_no_refund_closed"),
        ("CJ2410180012355", "utter_no_refund_no_dispute"),
        ("CJ2411050010081", "utter_no_refund_dispute_resend"),
    ],
)
def test_orders_without_a_refund_say_why(chat: Conversation, number: str, response: str) -> None:
    messages, _ = ask(chat, number)
    assert responses(messages)[0] == response
    # Only an order that could have a dispute but has none gets the offer of one.
    offered = ["utter_offer_dispute"] if response == "utter_no_refund_no_dispute" else []
    assert responses(messages)[1:] == offered


def test_several_numbers_in_one_message_are_each_answered(chat: Conversation) -> None:
    messages, _ = ask(chat, "CJ2410180012345", "#SH2410200047", "CJ2410180012353")
    assert responses(messages) == ["utter_refund_done_balance", "utter_refund_done_original",
                                   "utter_no_refund_unpaid", "utter_refund_where_to_see"]


def test_without_a_number_the_recent_refunds_are_listed_newest_first(chat: Conversation) -> None:
    chat.says("show my recent refunds", "check_refund_status")
    messages, _ = chat.run(ActionRefundStatus())
    told = responses(messages)
    assert told[0] == "utter_recent_refunds"
    assert told[-2:] == ["utter_refund_where_to_see", "utter_refund_other_order"]
    refunds = messages[1:-2]
    assert 1 <= len(refunds) <= 5
    assert all(m["response"].startswith("utter_refund_") and m["dispute_number"].startswith("SH") for m in refunds)


def test_a_seller_without_refunds_hears_so(chat: Conversation, platform) -> None:
    chat.seller = "S9001"
    platform._write("/v1/platform/sellers", {"id": "S9001", "name": "No Refunds Yet", "email": "s9001@example.com"})
    chat.says("my refunds", "check_refund_status")
    messages, _ = chat.run(ActionRefundStatus())
    assert responses(messages) == ["utter_no_recent_refunds"]


def test_another_sellers_order_gets_the_same_answer_as_an_unknown_one(chat: Conversation) -> None:
    foreign, _ = ask(chat, "CJ2410190020001")
    unknown, _ = ask(chat, "CJ2499999999999")
    assert responses(foreign) == responses(unknown) == ["utter_order_not_found"]


def test_a_malformed_number_is_explained(chat: Conversation) -> None:
    messages, _ = ask(chat, "CJ12")
    assert responses(messages) == ["utter_malformed_number"]


def test_a_conversation_without_a_verified_seller_gets_no_data(chat: Conversation) -> None:
    chat.bound = False
    messages, _ = ask(chat, "CJ2410180012345")
    assert responses(messages) == ["utter_identity_required"]


def test_a_backend_that_is_down_gets_its_own_answer_and_the_offer_of_a_person(
    chat: Conversation, backend_only: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_backend(monkeypatch, backend_only, url=f"http://127.0.0.1:{free_port()}")
    messages, events = ask(chat, "CJ2410180012345")
    assert responses(messages) == ["utter_backend_unavailable", "utter_offer_human"]
    assert chat.slots["offer_pending"] is True
    assert chat.slots["pending_offer"] == {"kind": "human", "reason": "backend_failure"}
