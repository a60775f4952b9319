"""Disputes against the real backend over HTTP: opening one (every question, corrections, ineligible orders,
idempotency), following it, agreeing to a resend, adding a message, closing it. Each test makes its own orders."""

from __future__ import annotations

import pytest

from actions.disputes import (
    ActionAddDisputeMessage,
    ActionAgreeResend,
    ActionCloseDispute,
    ActionDisputeStatus,
    ActionOpenDispute,
    AskCloseConfirmation,
    AskDisputeConfirmation,
    AskDisputeReason,
    AskResendConfirmation,
    ValidateAgreeResendForm,
    ValidateCloseDisputeForm,
    ValidateDisputeMessageForm,
    ValidateDisputeStatusForm,
    ValidateOpenDisputeForm,
)
from bot.settings import Settings
from tests.conftest import free_port
from tests.integration.harness import Conversation, responses, use_backend
from tests.platform import Platform

FORM = ValidateOpenDisputeForm


def answer(chat: Conversation, text: str, intent: str = "inform", entities: dict | None = None,
           attachments: list | None = None) -> list[str]:
    told, _ = chat.says(text, intent, entities, attachments).fill(FORM())
    return told


def open_until_confirmation(chat: Conversation, number: str) -> None:
    """A damaged-product refund dispute on a delivered store order, every question answered."""
    chat.says(f"open a dispute for {number}, the item arrived broken, i want a refund", "request_open_dispute",
              {"order_number": number, "dispute_reason": "damaged_product", "expected_result": "refund"})
    assert chat.fill(FORM(), activating=True)[0] == []
    assert chat.asking == "refund_type"
    assert answer(chat, "back in balance", entities={"refund_type": "balance"}) == []
    assert chat.asking == "buyer_email"
    assert answer(chat, "her email is anna@example.com") == []
    assert chat.asking == "complaint_proof"
    assert answer(chat, "Buyer wrote: the lamp arrived cracked, I want my money back") == []
    assert chat.asking == "product_proof"
    assert answer(chat, "photo https://i.imgur.com/crack.jpg") == []
    assert chat.asking == "dispute_message"
    assert answer(chat, "The lamp's glass shade was cracked on arrival.") == []
    assert chat.asking == "dispute_confirmed"


def test_open_a_dispute_asks_what_the_reason_needs_confirms_then_creates_exactly_one(
    chat: Conversation, platform: Platform
) -> None:
    number = platform.new_order(state="delivered")
    open_until_confirmation(chat, number)
    summary, _ = chat.run(AskDisputeConfirmation())
    assert responses(summary) == ["utter_ask_dispute_confirmed_refund"]
    assert summary[0]["refund_type"] == "Back in Balance (CJ Wallet)" and summary[0]["proof_count"] == 2
    assert platform.disputes_of(number) == []  # nothing written before the yes

    answer(chat, "yes", "affirm")
    assert chat.asking is None
    messages, _ = chat.run(ActionOpenDispute())
    assert responses(messages) == ["utter_dispute_opened"]
    [dispute] = platform.disputes_of(number)
    assert messages[0]["dispute_number"] == dispute["number"]
    full = platform.dispute(dispute["number"])
    assert (full["expected_result"], full["refund_type"], full["reason"], full["buyer_email"]) == (
        "refund", "balance", "damaged_product", "anna@example.com")
    assert sorted(e["purpose"] for e in full["evidence"]) == ["buyer_complaint", "product_media"]
    assert platform.order(number)["processing"] == "stopped_by_dispute"


def test_a_retried_confirmation_opens_the_dispute_once(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    open_until_confirmation(chat, number)
    answer(chat, "yes", "affirm")
    slots = dict(chat.slots)
    first, _ = chat.run(ActionOpenDispute())
    chat.slots = slots
    again, _ = chat.run(ActionOpenDispute())
    assert responses(first) == responses(again) == ["utter_dispute_opened"]
    assert first[0]["dispute_number"] == again[0]["dispute_number"]
    assert len(platform.disputes_of(number)) == 1


def test_no_at_the_confirmation_opens_nothing(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    open_until_confirmation(chat, number)
    answer(chat, "no", "deny")
    messages, _ = chat.run(ActionOpenDispute())
    assert responses(messages) == ["utter_dispute_not_opened"]
    assert platform.disputes_of(number) == [] and platform.order(number)["processing"] == "running"


def test_changing_refund_to_resend_edits_the_form_instead_of_restarting_it(
    chat: Conversation, platform: Platform
) -> None:
    number = platform.new_order(state="delivered")
    open_until_confirmation(chat, number)
    told = answer(chat, "actually i want a resend instead", entities={"expected_result": "resend"})
    assert told == ["utter_flow_answer_changed"]
    assert (chat.slots["expected_result"], chat.slots["refund_type"]) == ("resend", None)
    assert chat.slots["buyer_email"] == "anna@example.com" and chat.slots["dispute_message"]  # answers kept
    assert chat.asking == "dispute_confirmed"  # the new summary is confirmed again
    summary, _ = chat.run(AskDisputeConfirmation())
    assert responses(summary) == ["utter_ask_dispute_confirmed_resend"]
    answer(chat, "yes", "affirm")
    chat.run(ActionOpenDispute())
    [dispute] = platform.disputes_of(number)
    assert (dispute["expected_result"], dispute["refund_type"]) == ("resend", None)


def test_a_change_of_mind_while_alex_waits_for_the_message_is_a_change_not_the_message(
    chat: Conversation, platform: Platform
) -> None:
    number = platform.new_order(state="delivered")
    open_until_confirmation(chat, number)
    chat.slots.update({"dispute_message": None, "requested_slot": "dispute_message"})
    assert answer(chat, "actually i want a resend instead", entities={"expected_result": "resend"}) == [
        "utter_flow_answer_changed"]
    assert chat.slots["dispute_message"] is None and chat.asking == "dispute_message"
    long_text = "The buyer says it arrived damaged and wants a refund, the box was crushed in transit"
    assert answer(chat, long_text, entities={"expected_result": "refund", "dispute_reason": "damaged_product"}) == []
    assert chat.slots["dispute_message"] == long_text and chat.slots["expected_result"] == "resend"


def test_a_paid_undispatched_order_can_only_be_refunded(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="paid")
    chat.says(f"i want a resend for {number}", "request_open_dispute",
              {"order_number": number, "expected_result": "resend"})
    told, _ = chat.fill(FORM(), activating=True)
    assert "utter_dispute_refund_only" in told
    assert chat.slots["expected_result"] == "refund" and chat.asking == "dispute_reason"
    ask, _ = chat.run(AskDisputeReason())
    assert responses(ask) == ["utter_ask_dispute_reason_before_dispatch"]
    told = answer(chat, "/inform", entities={"dispute_reason": "lost_package"})
    assert told == ["utter_dispute_reason_not_for_order"]
    assert answer(chat, "/inform", entities={"dispute_reason": "cancel_before_dispatch"}) == []
    assert chat.asking == "refund_type"


@pytest.mark.parametrize("state, response", [
    ("unpaid", "utter_dispute_order_unpaid"), ("closed", "utter_dispute_order_closed"),
    ("cancelled", "utter_dispute_order_cancelled"),
])
def test_ineligible_orders_get_their_own_reply_and_the_flow_ends(chat: Conversation, platform: Platform,
                                                                  state: str, response: str) -> None:
    number = platform.new_order(state=state)
    told, _ = chat.says(f"open dispute {number}", "request_open_dispute", {"order_number": number}).fill(
        FORM(), activating=True)
    assert told == [response] and chat.asking is None and chat.slots["flow_stop_reason"] == "ineligible"
    messages, _ = chat.run(ActionOpenDispute())
    assert messages == []


def test_an_order_already_in_dispute_names_the_open_dispute_and_where_it_stands(chat: Conversation) -> None:
    messages, _ = chat.says("dispute CJ2411050010072", "request_open_dispute",
                            {"order_number": "CJ2411050010072"}).run(FORM())
    assert responses(messages) == ["utter_dispute_already_open", "utter_dispute_status_open"]
    assert messages[0]["dispute_number"] == messages[1]["dispute_number"] == "SH2411060072"


def test_unknown_and_another_sellers_orders_get_the_same_answer(chat: Conversation) -> None:
    for number in ("CJ2411050020031", "CJ2411059999999"):
        told, _ = chat.says(f"dispute {number}", "request_open_dispute", {"order_number": number}).fill(
            FORM(), activating=True)
        assert told == ["utter_order_not_found"] and chat.asking == "dispute_order"


def test_a_question_on_the_side_or_another_request_is_not_taken_as_an_answer(chat: Conversation,
                                                                            platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    chat.says(f"open a dispute for {number}", "request_open_dispute", {"order_number": number})
    chat.fill(FORM(), activating=True)
    assert chat.asking == "expected_result"
    assert chat.says("what's the difference between refund and resend?", "ask_refund_types").fill(FORM()) == ([], [])
    # Naming the choices, without the "?": still a question, not an answer.
    assert chat.says("whats the difference between refund and resend", "ask_refund_types",
                     [("expected_result", "refund"), ("expected_result", "resend")]).fill(FORM()) == ([], [])
    assert chat.asking == "expected_result" and chat.slots.get("expected_result") is None
    assert chat.says("where is my order CJ2411050010021 and what is it doing", "check_order_status",
                     {"order_number": "CJ2411050010021"}).fill(FORM()) == ([], [])


def test_stop_leaves_the_dispute_unopened(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    open_until_confirmation(chat, number)
    answer(chat, "forget it", "stop")
    messages, _ = chat.run(ActionOpenDispute())
    assert responses(messages) == ["utter_flow_stopped"] and platform.disputes_of(number) == []


def test_uploads_from_the_channel_go_with_the_dispute(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="dispatched")
    upload = platform.upload(filename="tracking.png")
    chat.says(f"open a dispute for {number}, the package is lost, resend please", "request_open_dispute",
              {"order_number": number, "dispute_reason": "lost_package", "expected_result": "resend"})
    chat.fill(FORM(), activating=True)
    assert chat.asking == "buyer_email"
    assert answer(chat, "/share_evidence", "share_evidence", attachments=[upload]) == ["utter_evidence_kept"]
    assert chat.asking == "buyer_email"  # the file is kept; the question stays
    answer(chat, "ben@example.com")
    answer(chat, "Buyer: my parcel never arrived, please send it again")
    answer(chat, "Tracking has not moved for 40 days.")
    answer(chat, "yes", "affirm")
    messages, _ = chat.run(ActionOpenDispute())
    assert responses(messages) == ["utter_dispute_opened"]
    evidence = {e["id"]: e for e in platform.dispute(messages[0]["dispute_number"])["evidence"]}
    assert upload["evidence_id"] in evidence


def test_uploaded_photos_count_as_the_proof_they_were_sent_for(chat: Conversation, platform: Platform) -> None:
    # The channel uploads a photo before anyone knows what it proves; the flow says so once the seller confirms.
    number = platform.new_order(state="delivered")
    chat.says(f"dispute {number}, wrong item, resend", "request_open_dispute",
              {"order_number": number, "dispute_reason": "wrong_product", "expected_result": "resend"})
    chat.fill(FORM(), activating=True)
    answer(chat, "cara@example.com")
    screenshot, photo = platform.upload(filename="buyer-mail.png"), platform.upload(filename="red.png")
    answer(chat, "/share_evidence", "share_evidence", attachments=[screenshot])
    assert chat.asking == "product_proof"
    answer(chat, "/share_evidence", "share_evidence", attachments=[photo])
    assert chat.asking == "dispute_message"
    answer(chat, "Wrong colour was shipped to the buyer.")
    answer(chat, "yes", "affirm")
    messages, _ = chat.run(ActionOpenDispute())
    assert responses(messages) == ["utter_dispute_opened"]
    evidence = {e["id"]: e["purpose"] for e in platform.dispute(messages[0]["dispute_number"])["evidence"]}
    assert evidence == {screenshot["evidence_id"]: "buyer_complaint", photo["evidence_id"]: "product_media"}


def test_missing_proof_the_backend_asks_for_is_asked_again_keeping_the_other_answers(
    chat: Conversation, platform: Platform
) -> None:
    # A photo whose purpose the backend refuses to count (here: a link Alex stored as a web page, which is no
    # image or video) makes the backend answer proof_required; Alex asks for that proof again.
    number = platform.new_order(state="delivered")
    chat.says(f"dispute {number}, wrong item, resend", "request_open_dispute",
              {"order_number": number, "dispute_reason": "wrong_product", "expected_result": "resend"})
    chat.fill(FORM(), activating=True)
    answer(chat, "cara@example.com")
    answer(chat, "Buyer: I ordered blue and got red")
    answer(chat, "see https://photos.example.com/album/red-not-blue")
    assert chat.asking == "dispute_message"
    answer(chat, "Wrong colour was shipped to the buyer.")
    answer(chat, "yes", "affirm")
    messages, events = chat.run(ActionOpenDispute())
    assert responses(messages) == ["utter_dispute_needs_proof"]
    assert {"event": "active_loop", "name": "open_dispute_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events]
    assert chat.slots["buyer_email"] == "cara@example.com" and chat.slots["product_proof"] is None
    told, events = chat.says("yes", "affirm").fill(FORM())  # the resumed form asks again, taking nothing
    assert chat.asking == "product_proof" and chat.slots["flow_resume"] is None
    answer(chat, "https://i.imgur.com/red-not-blue.jpg")
    answer(chat, "yes", "affirm")
    messages, _ = chat.run(ActionOpenDispute())
    assert responses(messages) == ["utter_dispute_opened"] and len(platform.disputes_of(number)) == 1


def test_a_backend_that_is_down_at_the_confirmation_writes_nothing_and_offers_a_person(
    chat: Conversation, platform: Platform, backend_only: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = platform.new_order(state="delivered")
    open_until_confirmation(chat, number)
    answer(chat, "yes", "affirm")
    use_backend(monkeypatch, backend_only, url=f"http://127.0.0.1:{free_port()}")
    messages, _ = chat.run(ActionOpenDispute())
    assert responses(messages) == ["utter_backend_unavailable", "utter_offer_human"]
    assert platform.disputes_of(number) == []


# ------------------------------------------------------------------------------------------ follow a dispute


def status_of(chat: Conversation, number: str) -> list[dict]:
    chat.says(f"status of {number}", "check_dispute_status", {"order_number": number})
    chat.fill(ValidateDisputeStatusForm(), activating=True)
    return chat.run(ActionDisputeStatus())[0]


def test_an_open_dispute_shows_its_state_and_cjs_latest_message(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="dispatched")
    dispute = platform.open_dispute("S1001", number, "refund", "delayed_order")
    platform.message_from_cj(dispute, "Please send a screenshot of the tracking page.")
    told = status_of(chat, dispute)
    assert responses(told) == ["utter_dispute_status_open", "utter_dispute_latest_message"]
    assert told[0]["reason"] == "delayed order" and "screenshot" in told[1]["message"]


def test_a_proposed_resend_is_shown_with_its_details(chat: Conversation, platform: Platform) -> None:
    dispute = platform.open_dispute("S1001", platform.new_order(state="delivered"))
    platform.propose_resend(dispute, "1x Test gadget 1, shipped with YunExpress")
    told = status_of(chat, dispute)
    assert told[0]["response"] == "utter_dispute_status_resend_proposed"
    assert told[0]["proposal"] == "1x Test gadget 1, shipped with YunExpress"


def test_an_order_number_shows_the_orders_disputes_and_refunds_show_their_money(chat: Conversation) -> None:
    told = status_of(chat, "CJ2410180012345")
    assert responses(told)[0] == "utter_refund_done_balance" and told[0]["amount"] == "42.50"
    assert responses(status_of(chat, "CJ2411050010021")) == ["utter_order_has_no_dispute"]


# ------------------------------------------------------------------------------------------ agree to a resend


def agree(chat: Conversation, number: str) -> list[str]:
    chat.says(f"i agree to the resend for {number}", "agree_resend", {"order_number": number})
    return chat.fill(ValidateAgreeResendForm(), activating=True)[0]


def test_agree_to_a_proposed_resend_after_seeing_it(chat: Conversation, platform: Platform) -> None:
    dispute = platform.open_dispute("S1001", platform.new_order(state="delivered"))
    platform.propose_resend(dispute)
    assert agree(chat, dispute) == [] and chat.asking == "resend_confirmed"
    ask, _ = chat.run(AskResendConfirmation())
    assert ask[0]["proposal"] == "2x Test gadget 1 by YunExpress"
    chat.says("yes", "affirm").fill(ValidateAgreeResendForm())
    messages, _ = chat.run(ActionAgreeResend())
    assert responses(messages) == ["utter_resend_agreed"]
    assert platform.dispute(dispute)["status"] == "resend_agreed"


def test_not_now_leaves_the_proposal_waiting(chat: Conversation, platform: Platform) -> None:
    dispute = platform.open_dispute("S1001", platform.new_order(state="delivered"))
    platform.propose_resend(dispute)
    agree(chat, dispute)
    chat.says("not now", "deny").fill(ValidateAgreeResendForm())
    messages, _ = chat.run(ActionAgreeResend())
    assert responses(messages) == ["utter_resend_not_agreed"]
    assert platform.dispute(dispute)["status"] == "resend_proposed"


def test_without_a_proposal_there_is_nothing_to_agree_to(chat: Conversation, platform: Platform) -> None:
    dispute = platform.open_dispute("S1001", platform.new_order(state="delivered"))
    assert agree(chat, dispute) == ["utter_no_resend_proposed"] and chat.asking is None


# ------------------------------------------------------------------------------------------ add a message


def test_add_a_message_with_a_photo_to_an_open_dispute(chat: Conversation, platform: Platform) -> None:
    order = platform.new_order(state="delivered")
    dispute = platform.open_dispute("S1001", order)
    chat.says(f"add a message to the dispute of {order}", "add_dispute_message", {"order_number": order})
    assert chat.fill(ValidateDisputeMessageForm(), activating=True)[0] == []
    assert chat.slots["message_dispute"] == dispute and chat.asking == "message_text"  # the order's open dispute
    photo = platform.upload(filename="label.png")
    told, _ = chat.says("Here is the shipping label the buyer sent.", "inform", attachments=[photo]).fill(
        ValidateDisputeMessageForm())
    assert told == ["utter_evidence_kept"] and chat.asking == "message_confirmed"
    chat.says("send it", "affirm").fill(ValidateDisputeMessageForm())
    messages, _ = chat.run(ActionAddDisputeMessage())
    assert responses(messages) == ["utter_dispute_message_added"]
    last = platform.dispute(dispute)["messages"][-1]
    assert last["body"] == "Here is the shipping label the buyer sent." and last["evidence_ids"] == [
        photo["evidence_id"]]


def test_a_closed_dispute_takes_no_messages(chat: Conversation) -> None:
    chat.says("reply to SH2410200045", "add_dispute_message", {"order_number": "SH2410200045"})
    told, _ = chat.fill(ValidateDisputeMessageForm(), activating=True)
    assert told == ["utter_dispute_not_open"] and chat.asking is None


# ------------------------------------------------------------------------------------------ close a dispute


def test_close_a_dispute_warns_that_processing_resumes_then_cancels_it(chat: Conversation,
                                                                      platform: Platform) -> None:
    order = platform.new_order(state="dispatched")
    dispute = platform.open_dispute("S1001", order)
    chat.says(f"close dispute {dispute}", "request_close_dispute", {"order_number": dispute})
    chat.fill(ValidateCloseDisputeForm(), activating=True)
    ask, _ = chat.run(AskCloseConfirmation())
    assert responses(ask) == ["utter_ask_close_confirmed"] and ask[0]["order_number"] == order
    assert platform.dispute(dispute)["status"] == "open"
    chat.says("yes", "affirm").fill(ValidateCloseDisputeForm())
    messages, _ = chat.run(ActionCloseDispute())
    assert responses(messages) == ["utter_dispute_closed"]
    assert platform.dispute(dispute)["status"] == "cancelled"
    assert platform.order(order)["processing"] == "running"


def test_keeping_the_dispute_open_changes_nothing(chat: Conversation, platform: Platform) -> None:
    dispute = platform.open_dispute("S1001", platform.new_order(state="dispatched"))
    chat.says(f"close {dispute}", "request_close_dispute", {"order_number": dispute})
    chat.fill(ValidateCloseDisputeForm(), activating=True)
    chat.says("no, keep it open", "deny").fill(ValidateCloseDisputeForm())
    messages, _ = chat.run(ActionCloseDispute())
    assert responses(messages) == ["utter_dispute_kept_open"] and platform.dispute(dispute)["status"] == "open"


def test_a_finished_dispute_cannot_be_closed(chat: Conversation) -> None:
    chat.says("close SH2410200051", "request_close_dispute", {"order_number": "SH2410200051"})
    told, _ = chat.fill(ValidateCloseDisputeForm(), activating=True)
    assert told == ["utter_dispute_cannot_close"] and chat.slots["flow_stop_reason"] == "ineligible"


def test_another_sellers_dispute_is_not_found_like_an_unknown_one(chat: Conversation) -> None:
    for number in ("SH2411060271", "SH2411069999"):
        chat.says(f"close {number}", "request_close_dispute", {"order_number": number})
        assert chat.fill(ValidateCloseDisputeForm(), activating=True)[0] == ["utter_order_not_found"]


def test_another_request_naming_a_number_is_not_taken_as_the_order_asked_for(chat: Conversation) -> None:
    chat.says("i want to open a dispute", "request_open_dispute").fill(FORM(), activating=True)
    assert chat.asking == "dispute_order"
    assert chat.says("cancel CJ2411050010001", "request_cancel_order",
                     {"order_number": "CJ2411050010001"}).fill(FORM()) == ([], [])
    assert chat.asking == "dispute_order" and chat.slots.get("dispute_order") is None
