"""Message limits as a rate with a burst (a generic cell rate per sender) instead of a fixed window: a flood
got a whole window's budget through at once. The old counters are dropped, not converted: they only ever
hold the last half minute.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("message_windows")
    op.create_table(
        "message_allowances",
        sa.Column("sender", sa.String(160), primary_key=True),
        sa.Column("spent_until", sa.DateTime(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("message_allowances")
    op.create_table(
        "message_windows",
        sa.Column("sender", sa.String(160), primary_key=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )
