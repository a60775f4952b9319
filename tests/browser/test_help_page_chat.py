"""The help page and its chat, as a seller uses them: headless chromium against the running stack.

Everything is asserted in the page's DOM (what the seller sees), never in the browser's storage.
"""

from __future__ import annotations

import json
from typing import Any


from bot.identity import mint_seller_token
from bot.settings import Settings
from bot.stack import Stack
from tests.browser.conftest import shot
from tests.browser.help_page import bot_said, expect, last_bot, open_chat, send, sign_in
from tests.e2e.conversation import tracker
from tests.images import image_bytes


def test_the_help_page_shows_the_platforms_policy_articles(page: Any, stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    page.goto(settings.help_page_url + "/")
    links = page.locator(".article-list a")
    expect()(links).to_have_count(3)
    page.click("text=How to open or close a dispute on CJ")
    expect()(page.locator("article h1")).to_have_text("How to open or close a dispute on CJ")
    expect()(page.locator("article")).to_contain_text("email address is a must")
    page.click("#alex-launcher")
    expect()(page.locator(".alex-notice")).to_contain_text("Sign in to chat")
    shot(page, "help-page-article-signed-out")


def test_a_seller_chats_through_a_lookup_and_after_a_reload_history_and_form_are_still_there(
    page: Any, stack: tuple[Stack, Settings]
) -> None:
    _, settings = stack
    sign_in(page, settings, "S1001")
    open_chat(page)
    expect()(page.locator(".alex-message")).to_have_count(0)

    send(page, "where is my refund for CJ2410180012345")
    expect()(bot_said(page, "42.50 USD")).to_be_visible()
    send(page, "where is my order")
    expect()(last_bot(page)).to_contain_text("Which order should I check")
    shot(page, "chat-before-reload")

    page.reload()
    page.wait_for_selector('#alex-chat[data-state="online"]')
    messages = page.locator(".alex-message")
    expect()(messages).to_have_count(5)  # the refund answer is two bot messages
    expect()(messages.nth(0)).to_have_text("where is my refund for CJ2410180012345")
    expect()(messages.nth(1)).to_contain_text("42.50 USD")
    expect()(messages.nth(3)).to_have_text("where is my order")
    expect()(messages.last).to_contain_text("Which order should I check")
    shot(page, "chat-after-reload")

    send(page, "CJ2410180012347")  # the unfinished form continues
    expect()(bot_said(page, "Order CJ2410180012347 is completed")).to_be_visible()
    shot(page, "chat-form-finished-after-reload")


def test_buttons_and_the_typing_indicator_work(page: Any, stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    sign_in(page, settings, "S1002")
    open_chat(page)
    page.evaluate("""() => {
        window.sawTyping = false;
        const typing = document.querySelector('.alex-typing');
        new MutationObserver(() => { if (!typing.hidden) window.sawTyping = true; })
            .observe(typing, {attributes: true});
    }""")
    send(page, "hello")
    buttons = last_bot(page).locator(".alex-button")
    expect()(buttons).to_have_count(3)
    assert page.evaluate("window.sawTyping") is True
    expect()(page.locator(".alex-typing")).to_be_hidden()
    shot(page, "chat-buttons")

    before = page.locator(".alex-bot").count()
    buttons.filter(has_text="Where's my order?").click()
    page.wait_for_function("n => document.querySelectorAll('.alex-bot').length > n", arg=before)
    expect()(page.locator(".alex-user").last).to_have_text("Where's my order?")
    expect()(last_bot(page)).to_contain_text("Which order should I check")
    # Answered buttons are retired: the only live ones are the new question's pick-list of recent orders.
    expect()(page.locator(".alex-buttons")).to_have_count(1)
    expect()(last_bot(page).locator(".alex-buttons")).to_have_count(1)


def test_an_empty_message_is_refused_in_the_page(page: Any, stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    sign_in(page, settings, "S1001")
    open_chat(page)
    page.fill(".alex-input", "   ")
    page.press(".alex-input", "Enter")
    expect()(page.locator(".alex-notice")).to_contain_text("Type a message")
    expect()(page.locator(".alex-message")).to_have_count(0)


def test_a_forged_token_gets_nothing(page: Any, stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    sign_in(page, settings, "S1001")
    forged = mint_seller_token("S1001", "a-secret-the-platform-never-used-0123456789")
    page.route("**/api/chat-token", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"token": forged, "seller_id": "S1001", "expires_at": 4102444800}),
    ))
    page.click("#alex-launcher")
    expect()(page.locator(".alex-notice")).to_contain_text("could not be verified")
    expect()(page.locator("#alex-chat")).to_have_attribute("data-state", "offline")
    expect()(page.locator(".alex-message")).to_have_count(0)
    shot(page, "chat-forged-token")


def test_a_foreign_session_id_gets_nothing(browser: Any, page: Any, stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    sign_in(page, settings, "S1001")
    open_chat(page)
    send(page, "where is my refund for CJ2410180012345")
    expect()(bot_said(page, "42.50 USD")).to_be_visible()
    owners_session = page.evaluate("window.alexChat.session()")

    for planted in (owners_session, f"web:{owners_session}:S1001"):
        context = browser.new_context()
        other = context.new_page()
        other.add_init_script(f"localStorage.setItem('alex-chat-session:S1002', {json.dumps(planted)})")
        sign_in(other, settings, "S1002")
        open_chat(other)
        expect()(other.locator(".alex-message")).to_have_count(0)
        send(other, "hi")
        assert "42.50" not in other.locator(".alex-messages").inner_text()
        shot(other, "chat-foreign-session")
        context.close()
    expect()(page.locator(".alex-message")).to_have_count(3)  # nothing of the other seller reached the owner


def test_a_seller_attaches_a_photo_and_it_reaches_the_bot_as_evidence(
    page: Any, stack: tuple[Stack, Settings], tmp_path: Any
) -> None:
    _, settings = stack
    photo = tmp_path / "damaged parcel.png"
    photo.write_bytes(image_bytes("PNG"))  # a real image: the evidence store decodes and writes every image anew
    sign_in(page, settings, "S1001")
    open_chat(page)
    session = page.evaluate("window.alexChat.session()")
    page.set_input_files(".alex-file", str(photo))
    expect()(page.locator(".alex-pending-file")).to_contain_text("damaged parcel.png")
    send(page, "the parcel arrived like this")  # returns once Alex answered this message (the turn is done)
    expect()(page.locator(".alex-user").last.locator(".alex-attachment")).to_contain_text("damaged parcel.png")
    shot(page, "chat-attachment")
    latest = tracker(settings, f"web:{session}:S1001")["latest_message"]
    [attachment] = latest["metadata"]["attachments"]
    assert attachment["filename"] == "damaged parcel.png" and attachment["content_type"] == "image/png"
    assert attachment["evidence_id"]
