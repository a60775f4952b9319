"""Shared fixtures: real servers on free loopback ports, fresh databases and secrets per test session."""

from __future__ import annotations

import os
import secrets
import socket
import sys
from pathlib import Path
from typing import Iterator

import pytest

from bot.settings import PROJECT_ROOT, Settings
from bot.stack import Stack
from tests.fakes.graph_api import FakeGraphApi

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Tests that could not run on this machine, named in a banner at the end of the run (never skipped silently).
SKIPPED_LOUDLY: list[str] = []


def _banner(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_sep("!", "NOT RUN ON THIS MACHINE", red=True, bold=True)
    for line in SKIPPED_LOUDLY:
        terminalreporter.write_line(f"SKIPPED: {line}", red=True, bold=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SKIPPED_LOUDLY:
        _banner(terminalreporter)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Once more as the very last lines, below pytest's own summary, so nobody scrolls past it."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if SKIPPED_LOUDLY and reporter is not None:
        _banner(reporter)


def make_settings(
    state: Path, backend_db_url: str | None = None, graph_api: FakeGraphApi | None = None
) -> Settings:
    return Settings(
        backend_port=free_port(),
        actions_port=free_port(),
        rasa_port=free_port(),
        backend_db_url=backend_db_url or f"sqlite:///{state / 'backend.db'}",
        tracker_db_path=state / "tracker.db",
        identity_secret=secrets.token_urlsafe(32),
        backend_key=secrets.token_urlsafe(32),
        actions_token=secrets.token_urlsafe(32),
        rasa_token=secrets.token_urlsafe(32),
        backend_timeout_seconds=3.0,
        max_message_chars=2000,
        platform_key=secrets.token_urlsafe(32),
        console_key=secrets.token_urlsafe(32),
        demo_agent_password=secrets.token_urlsafe(16),
        evidence_dir=state / "evidence",
        help_page_port=free_port(),
        console_port=free_port(),
        max_upload_bytes=1024 * 1024,
        # WhatsApp only ever talks to the fake Graph API on loopback in tests (an unroutable port otherwise).
        whatsapp_graph_url=graph_api.url if graph_api else f"http://127.0.0.1:{free_port()}/v21.0",
        whatsapp_token=graph_api.access_token if graph_api else secrets.token_urlsafe(32),
        whatsapp_app_secret=secrets.token_urlsafe(32),
        whatsapp_verify_token=secrets.token_urlsafe(32),
        whatsapp_phone_number_id=graph_api.phone_number_id if graph_api else "100000000000001",
        # Most tests chat as S1001, one turn after another: a burst no test reaches by chance, flowing back
        # slowly enough (0.6 s a message) that a budget the limit tests spend through the backend stays spent
        # while they send their next message.
        message_limit=1000,
        message_window_seconds=600,
        message_burst=1000,
    )


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model for the current data and config: trained once if stale, shared with `./alex start`."""
    from bot.training import ensure_model

    log = PROJECT_ROOT / ".alex" / "logs" / "train.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    return ensure_model(log=log)


@pytest.fixture(scope="session")
def backend_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A real backend over HTTP with the demo data, for tests of the actions and the API."""
    state = tmp_path_factory.mktemp("backend")
    settings = make_settings(state)
    with Stack(settings, None, state / "logs", only=("backend",)):
        yield settings


@pytest.fixture(scope="session")
def fake_graph_api() -> Iterator[FakeGraphApi]:
    """The WhatsApp Cloud API stand-in the stack's WhatsApp channel talks to; it records every request."""
    fake = FakeGraphApi(access_token=secrets.token_urlsafe(24), phone_number_id="100000000000001").start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory, trained_model: Path, fake_graph_api: FakeGraphApi
) -> Iterator[tuple[Stack, Settings]]:
    """Every server, as `./alex start` runs them (help page included), on free loopback ports; WhatsApp's
    Graph API is the fake."""
    state = tmp_path_factory.mktemp("stack")
    settings = make_settings(state, graph_api=fake_graph_api)
    running = Stack(settings, trained_model, state / "logs")
    running.start()
    fake_graph_api.subscribe(f"{settings.rasa_url}/webhooks/whatsapp/webhook", settings.whatsapp_app_secret)
    try:
        yield running, settings
    finally:
        running.stop()
        if sys.exc_info()[0] is not None:
            for process in running.processes:
                print(process.log_path.read_text()[-3000:])


# ---- browser tests: Debian's chromium through Playwright (its own browser download is never used) ----------------
def chromium_path() -> str | None:
    import shutil

    return os.environ.get("ALEX_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
