"""A person takes over a help-page chat: what the seller sees in the page (its DOM) while an agent answers from the
console, after a reload, after the session expires under the takeover, after Rasa restarts, and when Alex is
back."""

from __future__ import annotations

import re
import time
from typing import Any

from bot.settings import Settings
from bot.stack import Stack
from tests.browser.conftest import shot
from tests.browser.help_page import bot_said, expect, open_chat, send, sign_in
from tests.e2e.agent_desk import AgentDesk
from tests.e2e.conversation import force_session_expiry
from tests.platform import Platform


def write_to_agent(page: Any, platform: Platform, conversation: str, text: str) -> None:
    """Type a message that goes to the agent: it shows as sent, reaches the ticket the agent works from, and Alex
    does not answer it."""
    bots = page.locator(".alex-bot").count()
    page.fill(".alex-input", text)
    page.press(".alex-input", "Enter")
    expect()(page.locator(".alex-user").last).to_have_text(text)
    deadline = time.monotonic() + 15
    while text not in seller_messages(platform, conversation) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert text in seller_messages(platform, conversation)
    assert page.locator(".alex-bot").count() == bots


def seller_messages(platform: Platform, conversation: str) -> list[str]:
    return [m["body"] for m in platform.ticket_of(conversation)["messages"] if m["author_kind"] == "seller"]


def test_the_seller_sees_the_agent_join_answer_and_hand_back_through_a_reload_a_session_expiry_and_a_rasa_restart(
    page: Any, stack: tuple[Stack, Settings]
) -> None:
    running, settings = stack
    platform = Platform(settings)
    sign_in(page, settings, "S1002")
    open_chat(page)
    send(page, "I'd like to talk to a person please")
    number = re.search(r"TK\d+", page.locator(".alex-messages").inner_text()).group(0)
    conversation = f"web:{page.evaluate('window.alexChat.session()')}:S1002"

    desk = AgentDesk(settings)
    desk.claim(number)
    expect()(bot_said(page, "has joined the chat")).to_contain_text(desk.name)
    shot(page, "takeover-agent-joined")

    write_to_agent(page, platform, conversation, "my sofa arrived with a broken leg")
    desk.reply(number, "Sorry to hear that! Could you send a photo of the leg?")
    expect()(bot_said(page, "Could you send a photo")).to_be_visible()
    expect()(page.locator(".alex-agent").last.locator(".alex-sender")).to_contain_text(desk.name)
    assert seller_messages(platform, conversation) == ["my sofa arrived with a broken leg"]
    bots = page.locator(".alex-bot").count()

    page.reload()
    page.wait_for_selector('#alex-chat[data-state="online"]')
    expect()(page.locator(".alex-user").last).to_have_text("my sofa arrived with a broken leg")
    expect()(page.locator(".alex-bot").last).to_contain_text("Could you send a photo")
    expect()(page.locator(".alex-agent .alex-sender")).to_have_text([f"{desk.name} · CJ support"])
    assert page.locator(".alex-bot").count() == bots  # the history is the server's, Alex added nothing
    shot(page, "takeover-after-reload")

    force_session_expiry(settings, conversation)
    write_to_agent(page, platform, conversation, "ok, one moment")
    desk.reply(number, "Thanks, I've asked the warehouse to resend the leg.")
    expect()(bot_said(page, "resend the leg")).to_be_visible()

    running.halt("rasa")  # the chat's socket drops with it; the widget reconnects to the new server
    running.resume("rasa")
    page.wait_for_selector('#alex-chat[data-state="online"]', timeout=60_000)
    write_to_agent(page, platform, conversation, "is it shipped yet?")
    desk.reply(number, "Yes: it ships tomorrow with YunExpress.")
    expect()(bot_said(page, "ships tomorrow")).to_be_visible()

    desk.hand_back(number)
    expect()(bot_said(page, "back with Alex")).to_be_visible()
    send(page, "refund CJ2410190020001")
    expect()(bot_said(page, "88.00")).to_be_visible()
    shot(page, "takeover-handed-back")
