"""The schema issue 2 created with create_all (sellers, orders, disputes, refunds, wallet entries), exactly.

Databases made before migrations existed are stamped with this revision and upgraded from it. The tables are
built from a metadata of their own without a naming convention, as issue 2's create_all built them.

Revision ID: 0001
Revises:
Create Date: 2024-11-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def issue2_metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "sellers", metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
    )
    sa.Table(
        "orders", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(24), nullable=False, unique=True),
        sa.Column("seller_id", sa.String(32), sa.ForeignKey("sellers.id"), nullable=False, index=True),
        sa.Column("status", _enum("orderstatus", "unpaid", "paid", "dispatched", "completed", "closed"),
                  nullable=False),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("paid_at", sa.DateTime),
        sa.Column("dispatched_at", sa.DateTime),
        sa.Column("carrier", sa.String(60)),
        sa.Column("tracking_number", sa.String(60)),
        sa.CheckConstraint("amount_cents >= 0", name="order_amount_not_negative"),
        sa.CheckConstraint("status = 'unpaid' OR paid_at IS NOT NULL", name="order_paid_has_paid_at"),
        sa.CheckConstraint("status NOT IN ('dispatched', 'completed') OR dispatched_at IS NOT NULL",
                           name="order_dispatched_has_dispatched_at"),
    )
    sa.Table(
        "disputes", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(24), nullable=False, unique=True),
        sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
        sa.Column("expected_result", _enum("expectedresult", "refund", "resend"), nullable=False),
        sa.Column("refund_type", _enum("refundmethod", "balance", "original")),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("status", _enum("disputestatus", "open", "refunded", "resent", "rejected", "cancelled"),
                  nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("resolved_at", sa.DateTime),
        sa.CheckConstraint("(expected_result = 'refund') = (refund_type IS NOT NULL)",
                           name="dispute_refund_type_iff_refund"),
        sa.CheckConstraint("(status = 'open') = (resolved_at IS NULL)", name="dispute_resolved_at_iff_not_open"),
    )
    sa.Table(
        "refunds", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dispute_id", sa.Integer, sa.ForeignKey("disputes.id"), nullable=False),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("method", _enum("refundmethod", "balance", "original"), nullable=False),
        sa.Column("status", _enum("refundstatus", "pending", "done"), nullable=False),
        sa.Column("approved_at", sa.DateTime, nullable=False),
        sa.Column("completed_at", sa.DateTime),
        sa.CheckConstraint("amount_cents > 0", name="refund_amount_positive"),
        sa.CheckConstraint("(status = 'done') = (completed_at IS NOT NULL)", name="refund_completed_at_iff_done"),
        sa.UniqueConstraint("dispute_id", name="one_refund_per_dispute"),
    )
    sa.Table(
        "wallet_entries", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seller_id", sa.String(32), sa.ForeignKey("sellers.id"), nullable=False, index=True),
        sa.Column("refund_id", sa.Integer, sa.ForeignKey("refunds.id")),
        sa.Column("amount_cents", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("refund_id", name="one_wallet_credit_per_refund"),
    )
    return metadata


def upgrade() -> None:
    issue2_metadata().create_all(op.get_bind())


def downgrade() -> None:
    issue2_metadata().drop_all(op.get_bind())
