"""The backend on both databases: every test that takes `backend` runs once against SQLite and once against
PostgreSQL (found or started by tests/postgres_server.py; skipped loudly where neither is possible)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from bot.settings import Settings
from bot.stack import Stack
from tests.backend.client import Backend
from tests.conftest import SKIPPED_LOUDLY, make_settings
from tests.postgres_server import PostgresServer, find_postgres

DB_KINDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer | None]:
    server, how = find_postgres()
    if server is None:
        SKIPPED_LOUDLY.append(f"PostgreSQL backend tests: {how}")
    yield server
    if server is not None:
        server.stop()


def database_url(kind: str, state: Path, postgres: PostgresServer | None) -> str:
    if kind == "sqlite":
        return f"sqlite:///{state / 'backend.db'}"
    if postgres is None:
        pytest.skip("no PostgreSQL server (see the banner at the end of the run)")
    return postgres.create_database()


@pytest.fixture(scope="session", params=DB_KINDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            postgres: PostgresServer | None) -> Iterator[Backend]:
    """A real backend over HTTP with the demo data, on SQLite and on PostgreSQL."""
    kind = request.param
    state = tmp_path_factory.mktemp(f"backend-{kind}")
    url = database_url(kind, state, postgres)
    settings: Settings = make_settings(state, backend_db_url=url)
    stack = Stack(settings, None, state / "logs", only=("backend",))
    stack.start()
    try:
        yield Backend(settings, kind, url)
    finally:
        stack.stop()
        if kind == "postgresql" and postgres is not None:
            postgres.drop_database(url)
