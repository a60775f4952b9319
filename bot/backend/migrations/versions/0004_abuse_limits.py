"""Abuse limits: each sender's message window and each account's and address's failed sign-ins, kept in the
backend so every Rasa replica and console counts against the same numbers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_windows",
        sa.Column("sender", sa.String(160), primary_key=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "sign_in_throttles",
        sa.Column("subject", sa.String(300), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttles")
    op.drop_table("message_windows")
