"""WhatsApp senders known only by a username: Meta's business-scoped user id (up to 135 characters) stands where
a number did in the WhatsApp channel's state (inbound messages, last inbound times, status recipients).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = (("whatsapp_inbound", "number"), ("whatsapp_contacts", "number"), ("whatsapp_statuses", "recipient"))


def upgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(140), existing_type=sa.String(20), existing_nullable=False)


def downgrade() -> None:
    for table, column in _COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(20), existing_type=sa.String(140), existing_nullable=False)
