"""Schema migrations (alembic): `upgrade()` brings any backend database to the current schema.

A database made by issue 2's create_all (tables but no alembic_version) is stamped with revision 0001, which
reproduces that schema exactly, and then upgraded like any other: its data is converted, never dropped.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

HERE = Path(__file__).resolve().parent
LEGACY_REVISION = "0001"


def config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> str:
    """Upgrade to `target`; returns what happened: 'current', 'upgraded', 'created' or 'stamped-and-upgraded'."""
    with engine.begin() as connection:
        before = current_revision(connection)
        outcome = "upgraded" if before else "created"
        if before is None and "sellers" in inspect(connection).get_table_names():
            command.stamp(config(connection), LEGACY_REVISION)
            outcome = "stamped-and-upgraded"
        command.upgrade(config(connection), target)
        if current_revision(connection) == before:
            outcome = "current"
    return outcome
