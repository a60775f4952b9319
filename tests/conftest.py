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

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_settings(state: Path) -> Settings:
    return Settings(
        backend_port=free_port(),
        actions_port=free_port(),
        rasa_port=free_port(),
        backend_db_url=f"sqlite:///{state / 'backend.db'}",
        tracker_db_path=state / "tracker.db",
        identity_secret=secrets.token_urlsafe(32),
        backend_key=secrets.token_urlsafe(32),
        actions_token=secrets.token_urlsafe(32),
        rasa_token=secrets.token_urlsafe(32),
        backend_timeout_seconds=3.0,
        max_message_chars=2000,
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
def stack(tmp_path_factory: pytest.TempPathFactory, trained_model: Path) -> Iterator[tuple[Stack, Settings]]:
    """All three servers, as `./alex start` runs them, on free loopback ports."""
    state = tmp_path_factory.mktemp("stack")
    settings = make_settings(state)
    running = Stack(settings, trained_model, state / "logs")
    running.start()
    try:
        yield running, settings
    finally:
        running.stop()
        if sys.exc_info()[0] is not None:
            for process in running.processes:
                print(process.log_path.read_text()[-3000:])
