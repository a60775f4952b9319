"""Signing in must not hold the database's write lock while the password is hashed: scrypt takes tens of
milliseconds by design, and a burst of wrong sign-ins holding the lock through it queues every seller's write
behind them (a dispute write was seen 110x slower). Checked where it happens: whenever the backend hashes a
password for a sign-in, another connection can take SQLite's write lock at once."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.backend.__main__ import build_app, prepare
from bot.backend.api import all_operations
from bot.backend.db import Database
from bot.backend.operations import Role
from tests.conftest import make_settings


def _write_lock_free(path: Path) -> bool:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def test_a_sign_in_hashes_the_password_outside_any_write_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    database = Database(settings.backend_db_url)
    prepare(database, reseed=False, agent_password=settings.demo_agent_password)
    api = build_app(settings, database).ctx.api
    sign_in = next(op for op in all_operations() if op.operation_id == "sign_in")
    path = tmp_path / "backend.db"

    seen: list[bool] = []
    scrypt = hashlib.scrypt

    def watched_scrypt(*args: Any, **kwargs: Any) -> bytes:
        seen.append(_write_lock_free(path))
        return scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", watched_scrypt)

    async def attempt(n: int, password: str) -> int:
        request = SimpleNamespace(
            ctx=SimpleNamespace(role=Role.CONSOLE), headers={"Idempotency-Key": f"sign-in-{n}"}, args={},
            body=json.dumps({"email": "agent@alex.example", "password": password}).encode())
        return (await api.handle(sign_in, request, {})).status  # type: ignore[arg-type]

    async def attempts() -> list[int]:
        return [await attempt(1, "wrong"), await attempt(2, "also wrong"),
                await attempt(3, settings.demo_agent_password)]

    try:
        assert asyncio.run(attempts()) == [401, 401, 201]
    finally:
        database.dispose()
    assert seen and all(seen), f"the write lock was held during {seen.count(False)} of {len(seen)} hashes"
