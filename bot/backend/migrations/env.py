"""Alembic's environment for the backend: always run with a connection handed in by
`bot.backend.migrations` (no alembic.ini, no URL of its own)."""

from __future__ import annotations

from alembic import context

from bot.backend.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
