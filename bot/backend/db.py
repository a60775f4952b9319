"""Engine and sessions: one session per unit of work, committed or rolled back in one place.

SQLite: WAL (readers never wait for the writer), a busy timeout, foreign keys on, and `BEGIN IMMEDIATE` for
write transactions, so concurrent writers queue for the lock up front instead of failing half-way with
"database is locked". PostgreSQL: READ COMMITTED; writes lock the rows they decide on (SELECT ... FOR UPDATE)
and UNIQUE constraints settle the races that locks cannot (two inserts of the same thing).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_SECONDS = 30
_WRITE = "alex_write"


def normalise_url(url: str) -> str:
    """Accept `postgresql://` and `postgres://` URLs and use the psycopg2 driver the lock provides."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return url


def make_engine(url: str, pool_size: int = 16) -> Engine:
    """A 2.0-style engine tuned for the database behind it."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                                              "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite (it would BEGIN lazily and DEFERRED) and give it to
        # the "begin" hook below; switch on what SQLite leaves off by default.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """The backend's handle on its database."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self._reads = sessionmaker(self.engine, future=True, expire_on_commit=False)
        self._writes = sessionmaker(
            self.engine.execution_options(**{_WRITE: True}), future=True, expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error. `write=False` for reads (SQLite then
        takes no write lock)."""
        with (self._writes if write else self._reads)() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
