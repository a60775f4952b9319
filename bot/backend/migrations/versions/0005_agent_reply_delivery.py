"""An agent's reply on WhatsApp followed to the seller: which outbound message carried it (the status webhooks
name only that), why the channel could not deliver it, and when the channel last reported on it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_outbound",
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("ticket_message_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_message_id"], ["ticket_messages.id"],
                                name=op.f("fk_whatsapp_outbound_ticket_message_id_ticket_messages")),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_whatsapp_outbound")),
    )
    op.create_index(op.f("ix_whatsapp_outbound_ticket_message_id"), "whatsapp_outbound", ["ticket_message_id"])
    op.add_column("ticket_messages", sa.Column("delivery_error", sa.String(500), nullable=True))
    op.add_column("ticket_messages", sa.Column("delivery_reported_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_messages") as batch:
        batch.drop_column("delivery_reported_at")
        batch.drop_column("delivery_error")
    op.drop_index(op.f("ix_whatsapp_outbound_ticket_message_id"), table_name="whatsapp_outbound")
    op.drop_table("whatsapp_outbound")
