"""Headless Debian chromium through Playwright for the browser tests; screenshots go to tests/artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.conftest import SKIPPED_LOUDLY, chromium_path

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "browser"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def _skip_loudly(why: str) -> None:
    reason = f"browser tests of the help page chat: {why}"
    if reason not in SKIPPED_LOUDLY:
        SKIPPED_LOUDLY.append(reason)
    pytest.skip(reason)


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is open, which would
# break later tests that call asyncio.run(); it must be closed before they run.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from bot.helppage.app import SOCKET_IO_CLIENT

    if not SOCKET_IO_CLIENT.exists():
        _skip_loudly("the widget's socket.io-client is not installed "
                     "(`./alex` runs `npm ci` in bot/helppage/ when npm is on the machine)")
    executable = chromium_path()
    if executable is None:
        _skip_loudly("Debian's chromium is not installed (no `chromium` on PATH, ALEX_CHROMIUM unset; "
                     "`apt-get install chromium chromium-driver`, which `./alex test` does as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (no cookies, no storage) per test; a screenshot of the end state is kept."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.set_default_timeout(30_000)
    opened = context.new_page()
    console: list[str] = []
    opened.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    opened.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    try:
        yield opened
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"{request.node.name}-console.log").write_text("\n".join(console) + "\n")
        try:
            opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}-end.png"))
        except Exception:  # the screenshot is a courtesy; a closed page must not hide the real failure
            pass
        context.close()


def shot(page: Any, name: str) -> None:
    """Keep a screenshot of a step as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
