"""Setting up a return (seed 000 §4) against the real backend over HTTP; each test makes its own order."""

from __future__ import annotations

import pytest

from actions.handoff import ActionAcceptOffer
from actions.returns import ActionCreateReturn, AskReturnConfirmation, AskReturnOrder, ValidateReturnForm
from tests.integration.harness import Conversation, responses
from tests.platform import Platform

FORM = ValidateReturnForm


def until_confirmation(chat: Conversation, number: str, image: dict | None = None) -> None:
    chat.says(f"i want to return order {number}", "request_return", {"order_number": number})
    assert chat.fill(FORM(), activating=True)[0] == [] and chat.asking == "store_link"
    assert chat.says("my shop on shopify", "inform").fill(FORM())[0] == ["utter_return_form_store_link_invalid"]
    assert chat.says("its gadgetcorner.myshopify.com", "inform").fill(FORM())[0] == []
    assert chat.slots["store_link"] == "https://gadgetcorner.myshopify.com"
    assert chat.asking == "store_image"
    if image:
        chat.says("/share_evidence", "share_evidence", attachments=[image]).fill(FORM())
    else:
        chat.says("https://i.imgur.com/storefront.png", "inform").fill(FORM())
    assert chat.asking == "return_confirmed"


def test_a_return_is_created_after_the_warning_and_a_yes_and_the_link_handed_over(
    chat: Conversation, platform: Platform
) -> None:
    number = platform.new_order(state="delivered")
    until_confirmation(chat, number)
    ask, _ = chat.run(AskReturnConfirmation())
    assert responses(ask) == ["utter_ask_return_confirmed"] and ask[0]["store_link"].startswith("https://")
    assert platform.order(number)["returns"] == []
    chat.says("create it", "affirm").fill(FORM())
    messages, _ = chat.run(ActionCreateReturn())
    assert responses(messages) == ["utter_return_created", "utter_offer_agent_for_return"]
    [created] = platform.order(number)["returns"]
    assert messages[0]["return_number"] == created["number"] and messages[0]["return_link"] == created["return_link"]


def test_an_uploaded_store_image_is_used_as_is(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="completed")
    image = platform.upload(filename="store.png")
    until_confirmation(chat, number, image=image)
    chat.says("yes", "affirm").fill(FORM())
    messages, _ = chat.run(ActionCreateReturn())
    assert responses(messages) == ["utter_return_created", "utter_offer_agent_for_return"]
    [made] = platform.order(number)["returns"]
    assert platform.evidence("S1001", image["evidence_id"])["purpose"] == "store_image"


def test_not_now_creates_no_return(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    until_confirmation(chat, number)
    chat.says("not now", "deny").fill(FORM())
    messages, _ = chat.run(ActionCreateReturn())
    assert responses(messages) == ["utter_return_not_created"] and platform.order(number)["returns"] == []


@pytest.mark.parametrize("state, kind, response", [
    ("dispatched", "store", "utter_return_not_delivered"), ("delivered", "sample", "utter_return_not_store_order"),
    ("cancelled", "store", "utter_return_order_cancelled"),
])
def test_orders_that_cannot_be_returned_say_why(chat: Conversation, platform: Platform, state: str, kind: str,
                                                response: str) -> None:
    number = platform.new_order(state=state, kind=kind)
    told, _ = chat.says(f"return {number}", "request_return", {"order_number": number}).fill(FORM(), activating=True)
    assert told == [response] and chat.asking is None


def test_an_order_with_an_open_return_says_so(chat: Conversation) -> None:
    told, _ = chat.says("return CJ2411050010131", "request_return", {"order_number": "CJ2411050010131"}).fill(
        FORM(), activating=True)
    assert told == ["utter_return_already_open"]


def test_the_pick_list_offers_orders_that_can_be_returned(chat: Conversation, platform: Platform) -> None:
    platform.new_order(state="delivered")
    messages, _ = chat.says("start a return", "request_return").run(AskReturnOrder())
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert titles and all(platform.order(n)["eligibility"]["return"]["allowed"] for n in titles)


def test_after_the_return_yes_tells_an_agent_with_the_order(chat: Conversation, platform: Platform) -> None:
    number = platform.new_order(state="delivered")
    until_confirmation(chat, number)
    chat.says("yes", "affirm").fill(FORM())
    chat.run(ActionCreateReturn())
    assert chat.slots["offer_pending"] is True
    messages, _ = chat.says("yes please", "affirm").run(ActionAcceptOffer())
    ticket = platform.ticket_of(chat.sender)
    assert responses(messages)[0] == "utter_handoff_created" and ticket["reasons"] == ["needs_agent"]
    assert ticket["order_numbers"] == [number]
