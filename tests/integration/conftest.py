"""Fixtures for the actions' tests: the real backend (shared, session-scoped) and the platform's view of it."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from tests.integration.harness import Conversation, use_backend
from tests.platform import Platform


@pytest.fixture
def platform(backend_only: Settings) -> Platform:
    return Platform(backend_only)


@pytest.fixture
def chat(backend_only: Settings, monkeypatch: pytest.MonkeyPatch) -> Conversation:
    """A fresh conversation of demo seller S1001, its actions talking to the real backend."""
    use_backend(monkeypatch, backend_only)
    return Conversation(backend_only)
