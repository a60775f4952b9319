"""A person (tickets in the real backend), offers and their yes/no, switching and stopping flows."""

from __future__ import annotations

import pytest

from actions.escalation import ActionHandoff, ActionNotUnderstood
from actions.handoff import (
    ActionAcceptOffer,
    ActionAnswerOutsideAFlow,
    ActionDeclineOffer,
    ActionOfferSwitch,
    ActionStopFlow,
)
from actions.disputes import ValidateOpenDisputeForm
from actions.orders import ActionCancelOrder, ValidateCancelOrderForm
from actions.refunds import ActionRefundStatus
from bot.settings import Settings
from tests.conftest import free_port
from tests.integration.harness import Conversation, responses, use_backend
from tests.platform import Platform


def test_asking_for_a_person_opens_a_ticket_an_agent_can_act_on(chat: Conversation, platform: Platform) -> None:
    chat.session = "handoff1"
    chat.says("where is my refund for CJ2410180012349", "check_refund_status", {"order_number": "CJ2410180012349"})
    chat.run(ActionRefundStatus())
    chat.says("this is taking forever, i want a human", "request_human_agent")
    messages, _ = chat.run(ActionHandoff())
    assert responses(messages) == ["utter_handoff_created", "utter_handoff_wait"]
    ticket = platform.ticket_of(chat.sender)
    assert ticket["number"] == messages[0]["ticket_number"] and ticket["number"].startswith("TK")
    assert ticket["reasons"] == ["seller_request"] and ticket["seller_id"] == "S1001" and ticket["channel"] == "web"
    assert ticket["order_numbers"] == ["CJ2410180012349"]
    assert "refund status" in ticket["summary"] and "i want a human" in ticket["summary"]


def test_asking_again_updates_the_same_ticket(chat: Conversation, platform: Platform) -> None:
    chat.session = "handoff2"
    chat.says("agent please", "request_human_agent")
    first, _ = chat.run(ActionHandoff())
    chat.says("SH2410200049 is the dispute, agent please", "request_human_agent", {"order_number": "SH2410200049"})
    again, _ = chat.run(ActionHandoff())
    assert responses(again) == ["utter_handoff_updated", "utter_handoff_wait"]
    assert again[0]["ticket_number"] == first[0]["ticket_number"]
    assert platform.ticket_of(chat.sender)["dispute_numbers"] == ["SH2410200049"]


def test_yes_to_a_person_after_a_failure_opens_a_ticket_for_that_reason(
    chat: Conversation, platform: Platform, backend_only: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat.session = "handoff3"
    number = platform.new_order()
    use_backend(monkeypatch, backend_only, url=f"http://127.0.0.1:{free_port()}")
    chat.says(f"cancel {number}", "request_cancel_order", {"order_number": number})
    chat.fill(ValidateCancelOrderForm(), activating=True)
    chat.run(ActionCancelOrder())
    assert chat.slots["offer_pending"] is True
    use_backend(monkeypatch, backend_only)  # the backend is back when the seller answers
    messages, events = chat.says("yes", "affirm").run(ActionAcceptOffer())
    assert responses(messages) == ["utter_handoff_created", "utter_handoff_wait"]
    assert chat.slots["offer_pending"] is None and chat.slots["pending_offer"] is None
    ticket = platform.ticket_of(chat.sender)
    assert ticket["reasons"] == ["backend_failure"] and number in ticket["order_numbers"]
    assert platform.order(number)["status"] == "unpaid"


def test_a_person_asked_for_inside_a_flow_leaves_the_flow(chat: Conversation, platform: Platform) -> None:
    chat.session = "handoff4"
    number = platform.new_order(state="delivered")
    chat.says(f"open a dispute for {number}", "request_open_dispute", {"order_number": number})
    chat.fill(ValidateOpenDisputeForm(), activating=True)
    chat.says("get me a person", "request_human_agent")
    messages, events = chat.run(ActionHandoff())
    assert responses(messages) == ["utter_handoff_created", "utter_handoff_wait"]
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in events]
    assert chat.slots["dispute_order"] is None
    assert number in platform.ticket_of(chat.sender)["order_numbers"]


def test_accepting_the_offered_refund_dispute_hands_over_the_request(chat: Conversation,
                                                                    platform: Platform) -> None:
    number = platform.new_order(state="paid")
    chat.says(f"cancel {number}", "request_cancel_order", {"order_number": number})
    chat.fill(ValidateCancelOrderForm(), activating=True)
    chat.run(ActionCancelOrder())
    _, events = chat.says("yes please", "affirm").run(ActionAcceptOffer())
    listen, user = events[-2:]
    assert listen == {**listen, "event": "action", "name": "action_listen"}
    assert user["event"] == "user" and user["parse_data"]["intent"]["name"] == "request_open_dispute"
    assert {(e["entity"], e["value"]) for e in user["parse_data"]["entities"]} == {
        ("order_number", number), ("expected_result", "refund"), ("dispute_reason", "cancel_before_dispatch")}
    assert user["metadata"] == chat.message["metadata"]  # the seller's verified binding goes with it


def test_a_new_request_mid_flow_pauses_it_and_yes_replays_the_new_request(chat: Conversation,
                                                                         platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    chat.says(f"dispute {number}", "request_open_dispute", {"order_number": number})
    chat.fill(ValidateOpenDisputeForm(), activating=True)
    chat.says("cancel CJ2411050010001 instead", "request_cancel_order", {"order_number": "CJ2411050010001"})
    messages, events = chat.run(ActionOfferSwitch())
    assert responses(messages) == ["utter_offer_switch_from_open_dispute_form"]
    assert chat.active_loop is None and chat.slots["dispute_order"] == number  # paused, not forgotten
    messages, events = chat.says("yes", "affirm").run(ActionAcceptOffer())
    assert responses(messages) == ["utter_switched_flow"]
    assert chat.slots["dispute_order"] is None
    assert events[-1]["text"] == "cancel CJ2411050010001 instead"
    assert events[-1]["parse_data"]["intent"]["name"] == "request_cancel_order"


def test_no_to_the_switch_resumes_the_paused_flow_where_it_was(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    chat.says(f"dispute {number}, i want a refund", "request_open_dispute",
              {"order_number": number, "expected_result": "refund"})
    chat.fill(ValidateOpenDisputeForm(), activating=True)
    assert chat.asking == "dispute_reason"
    chat.says("where is my order CJ2411050010021", "check_order_status", {"order_number": "CJ2411050010021"})
    chat.run(ActionOfferSwitch())
    messages, events = chat.says("no", "deny").run(ActionDeclineOffer())
    assert responses(messages) == ["utter_resume_flow"] and chat.active_loop == "open_dispute_form"
    told, _ = chat.fill(ValidateOpenDisputeForm())  # the form runs again: asks its question, takes nothing
    assert told == [] and chat.asking == "dispute_reason" and chat.slots["expected_result"] == "refund"


def test_no_to_an_offered_person_carries_on(chat: Conversation) -> None:
    chat.slots.update({"offer_pending": True, "pending_offer": {"kind": "human", "reason": "backend_failure"}})
    messages, _ = chat.says("no thanks", "deny").run(ActionDeclineOffer())
    assert responses(messages) == ["utter_offer_declined"] and chat.slots["offer_pending"] is None


def test_stop_outside_a_form_forgets_a_paused_flow(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    chat.says(f"dispute {number}", "request_open_dispute", {"order_number": number})
    chat.fill(ValidateOpenDisputeForm(), activating=True)
    chat.says("check CJ2411050010021", "check_order_status", {"order_number": "CJ2411050010021"})
    chat.run(ActionOfferSwitch())
    messages, _ = chat.says("stop", "stop").run(ActionStopFlow())
    assert responses(messages) == ["utter_flow_stopped"]
    assert chat.slots["dispute_order"] is None and chat.slots["offer_pending"] is None
    messages, _ = chat.says("stop", "stop").run(ActionStopFlow())
    assert responses(messages) == ["utter_nothing_to_stop"]


def test_an_answer_with_no_question_open_says_what_alex_can_do_and_a_captioned_photo_asks_for_a_flow(
    chat: Conversation, platform: Platform
) -> None:
    messages, _ = chat.says("broken", "inform").run(ActionAnswerOutsideAFlow())
    assert responses(messages) == ["utter_what_next"]
    messages, _ = chat.says("broken", "inform", attachments=[platform.upload()]).run(ActionAnswerOutsideAFlow())
    assert responses(messages) == ["utter_evidence_needs_flow"]


def test_a_file_the_channel_could_not_keep_is_said_so_not_thanked_for(chat: Conversation) -> None:
    chat.says("/share_evidence", "share_evidence")
    chat.message["metadata"]["files_not_stored"] = ["invoice.docx"]
    messages, _ = chat.run(ActionAnswerOutsideAFlow())
    assert responses(messages) == ["utter_file_not_stored"] and messages[0]["filename"] == "invoice.docx"


@pytest.mark.parametrize("refusal, response", [("evidence_quota_exceeded", "utter_evidence_quota_exceeded"),
                                               ("pdf_active_content", "utter_file_pdf_refused"),
                                               ("unsupported_media_type", "utter_file_not_stored")])
def test_a_file_the_evidence_store_refused_is_answered_with_why(chat: Conversation, refusal: str,
                                                                response: str) -> None:
    chat.says("/share_evidence", "share_evidence")
    chat.message["metadata"].update(files_not_stored=["invoice.pdf"], file_refusals=[refusal])
    messages, _ = chat.run(ActionAnswerOutsideAFlow())
    assert responses(messages) == [response] and messages[0]["filename"] == "invoice.pdf"


def test_asking_again_in_the_same_session_raises_the_priority(chat: Conversation, platform: Platform) -> None:
    chat.session = "handoff-again"
    chat.says("agent please", "request_human_agent")
    chat.run(ActionHandoff())
    assert platform.ticket_of(chat.sender)["priority"] == "normal"
    chat.says("still waiting, get me a person", "request_human_agent")
    chat.run(ActionHandoff())
    assert platform.ticket_of(chat.sender)["priority"] == "high"


def test_a_question_failed_twice_ends_the_form_and_opens_a_ticket(chat: Conversation, platform: Platform) -> None:
    chat.session = "failed-twice"
    chat.says("cancel an order", "request_cancel_order")
    chat.fill(ValidateCancelOrderForm(), activating=True)
    first, _ = chat.says("CJ12", "inform_order_number", {"order_number": "CJ12"}).fill(ValidateCancelOrderForm())
    assert first == ["utter_malformed_number"] and chat.asking == "cancel_order"
    second, _ = chat.says("CJ99", "inform_order_number", {"order_number": "CJ99"}).fill(ValidateCancelOrderForm())
    assert second == ["utter_malformed_number"] and chat.asking is None
    assert chat.slots["flow_stop_reason"] == "failed"
    messages, _ = chat.run(ActionCancelOrder())
    assert responses(messages)[:2] == ["utter_flow_failed_twice", "utter_handoff_created"]
    assert platform.ticket_of(chat.sender)["reasons"] == ["form_failed"]


def test_one_bad_answer_then_a_good_one_keeps_the_form_going(chat: Conversation, platform: Platform) -> None:
    chat.session = "failed-once"
    number = platform.new_order()
    chat.says("cancel an order", "request_cancel_order")
    chat.fill(ValidateCancelOrderForm(), activating=True)
    chat.says("CJ12", "inform_order_number", {"order_number": "CJ12"}).fill(ValidateCancelOrderForm())
    chat.says(number, "inform_order_number", {"order_number": number}).fill(ValidateCancelOrderForm())
    assert chat.asking == "cancel_confirmed" and not chat.slots.get("flow_failures")


def test_a_message_not_understood_gets_the_likeliest_requests_as_buttons_with_its_number(chat: Conversation) -> None:
    chat.session = "clarify"
    chat.says("CJ2410180012349 ???", "nlu_fallback", {"order_number": "CJ2410180012349"})
    chat.message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.3}, {"name": "check_refund_status", "confidence": 0.3},
        {"name": "check_order_status", "confidence": 0.25}, {"name": "greet", "confidence": 0.12},
        {"name": "request_open_dispute", "confidence": 0.09}, {"name": "ask_refund_types", "confidence": 0.05},
    ]
    messages, _ = chat.run(ActionNotUnderstood())
    assert responses(messages) == ["utter_clarify"]
    number = '{"order_number":"CJ2410180012349"}'
    assert [(b["title"], b["payload"]) for b in messages[0]["buttons"]] == [
        ("Refund status", f"/check_refund_status{number}"), ("Where's my order?", f"/check_order_status{number}"),
        ("Open a dispute", f"/request_open_dispute{number}")]
