"""Guessing an agent's password: 30 wrong passwords in a row are not all tried. After a few failures the
account (and, separately, the address they come from) is locked for a short while that grows with each further
failure and is capped, so nobody can lock an agent out for long; a correct password after the lockout passes.
The backend runs on its own here: its lockouts must not touch the other tests' sign-ins."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import requests

from bot.settings import Settings
from bot.stack import Stack
from tests.conftest import make_settings

AGENT = "agent@alex.example"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    state: Path = tmp_path_factory.mktemp("sign-in-throttle")
    settings = make_settings(state)
    with Stack(settings, None, state / "logs", only=("backend",)):
        yield settings


def _sign_in(settings: Settings, email: str, password: str, address: str | None = None) -> requests.Response:
    """As the console signs an agent in; `address` is the browser's (the console passes it on)."""
    body = {"email": email, "password": password, **({"client_address": address} if address else {})}
    return requests.post(f"{settings.backend_url}/v1/agent/sessions", json=body,
                         headers={"Authorization": f"Bearer {settings.console_key}",
                                  "Idempotency-Key": uuid.uuid4().hex}, timeout=30)


def _retry_after(reply: requests.Response) -> int:
    assert reply.status_code == 429, reply.text
    assert reply.json()["error"]["code"] == "too_many_sign_in_attempts"
    return int(reply.headers["Retry-After"])


def test_thirty_wrong_passwords_in_a_row_are_not_all_tried_and_the_lockout_is_short(backend: Settings) -> None:
    replies = [_sign_in(backend, AGENT, f"guess-{n}") for n in range(30)]

    tried = [r for r in replies if r.status_code == 401]
    locked = [r for r in replies if r.status_code == 429]
    assert len(tried) + len(locked) == 30
    assert len(tried) <= 10, f"{len(tried)} of 30 guesses were tried"
    waits = [_retry_after(r) for r in locked]
    assert max(waits) <= 60

    # The right password during the lockout is refused too (it is not checked); after it, it passes.
    assert _retry_after(_sign_in(backend, AGENT, backend.demo_agent_password)) >= 1
    time.sleep(waits[-1] + 0.2)
    assert _sign_in(backend, AGENT, backend.demo_agent_password).status_code == 201


def test_one_address_guessing_many_accounts_is_locked_but_others_still_sign_in(backend: Settings) -> None:
    replies = [_sign_in(backend, f"nobody-{n}@alex.example", "guess", "198.51.100.9") for n in range(15)]

    assert any(r.status_code == 429 for r in replies)
    for reply in replies:
        assert reply.status_code in (401, 429)
        if reply.status_code == 429:
            _retry_after(reply)
    assert _sign_in(backend, "supervisor@alex.example", backend.demo_agent_password,
                    "192.0.2.44").status_code == 201
