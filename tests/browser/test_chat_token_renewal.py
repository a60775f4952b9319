"""The widget renews its chat token before it expires, on the same socket, so an active seller is never cut off
(the server disconnects a socket whose token ran out). The help page issues short-lived tokens for this test."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from bot.settings import Settings
from bot.stack import Stack
from tests.browser.help_page import bot_said, expect, open_chat, send, sign_in

_LIFETIME_SECONDS = 4


@pytest.fixture
def short_lived_tokens(stack: tuple[Stack, Settings], monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The stack's help page, restarted to issue tokens that live a few seconds (and restarted back after)."""
    running, settings = stack
    running.halt("helppage")
    monkeypatch.setenv("ALEX_CHAT_TOKEN_TTL_SECONDS", str(_LIFETIME_SECONDS))
    running.resume("helppage")
    try:
        yield settings
    finally:
        running.halt("helppage")
        monkeypatch.delenv("ALEX_CHAT_TOKEN_TTL_SECONDS")
        running.resume("helppage")


def test_the_widget_renews_its_token_and_the_chat_goes_on_past_the_first_tokens_expiry(
    page: Any, short_lived_tokens: Settings
) -> None:
    sign_in(page, short_lived_tokens, "S1001")
    open_chat(page)
    socket_id = page.evaluate("window.alexChat.socket().id")
    # Two renewals take longer than the first token lives: await them rather than a fixed time.
    for _ in range(2):
        with page.expect_request(lambda request: "/api/chat-token" in request.url,
                                 timeout=2 * _LIFETIME_SECONDS * 1000):
            pass
    expect()(page.locator("#alex-chat")).to_have_attribute("data-state", "online")
    send(page, "where is my refund for CJ2410180012345")
    expect()(bot_said(page, "42.50 USD")).to_be_visible()
    assert page.evaluate("window.alexChat.socket().id") == socket_id, "the widget had to reconnect"
