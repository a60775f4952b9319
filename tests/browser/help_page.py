"""The help page's chat as a seller drives it in the browser (shared by the browser tests)."""

from __future__ import annotations

from typing import Any

from bot.settings import Settings


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def sign_in(page: Any, settings: Settings, seller_id: str = "S1001", path: str = "/") -> None:
    page.goto(settings.help_page_url + path)
    page.select_option("#demo-sign-in select[name=seller]", seller_id)
    page.click("#demo-sign-in button[type=submit]")
    page.wait_for_selector(f'.signed-in[data-seller="{seller_id}"]')


def open_chat(page: Any) -> None:
    page.click("#alex-launcher")
    page.wait_for_selector('#alex-chat[data-state="online"]')


def send(page: Any, text: str) -> None:
    """Type and send a message; return once the bot answered and stopped typing (the whole turn is shown)."""
    before = page.locator(".alex-bot").count()
    page.fill(".alex-input", text)
    page.press(".alex-input", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('.alex-bot').length > n && document.querySelector('.alex-typing').hidden",
        arg=before,
    )


def last_bot(page: Any) -> Any:
    return page.locator(".alex-bot").last


def bot_said(page: Any, text: str) -> Any:
    """The newest bot message containing the text (an answer can be several messages)."""
    return page.locator(".alex-bot").filter(has_text=text).last
