"""The full backend: order kinds, lines and log; dispute lines, messages, evidence and resends; the ledger;
returns; evidence; tickets, agents and the audit log; WhatsApp channel state; idempotency records.

Issue 2's five tables are read, dropped and recreated in their new shape, and their rows converted: every
order becomes a store order with one line worth its amount, dispute reasons become codes (the old words kept
as reason_detail), wallet entries become ledger entries on the CJ Wallet, and every paid-out refund gets its
one matching ledger entry (refunds to the original way had none before).

Revision ID: 0002
Revises: 0001
Create Date: 2024-11-08
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_LEGACY = ("wallet_entries", "refunds", "disputes", "orders", "sellers")
_REASONS = {
    "damaged product": "damaged_product", "wrong product": "wrong_product", "lost package": "lost_package",
    "missing product": "missing_product", "delayed order": "delayed_order",
    "destination limitation": "destination_limitation", "shipping method limitation": "shipping_method_limitation",
    "cancel before dispatch": "cancel_before_dispatch", "buyer cancelled before dispatch": "cancel_before_dispatch",
}
_ISSUE2_DEMO_SELLER = ("S1001", "ava@example.com")


def _rows(table_name: str, /, **columns: Any) -> list[dict[str, Any]]:
    table = sa.table(table_name, *(sa.column(c, t) for c, t in columns.items()))
    return [dict(r._mapping) for r in op.get_bind().execute(sa.select(table).order_by(table.c[next(iter(columns))]))]


def _insert(table_name: str, rows: list[dict[str, Any]], /, **types: Any) -> None:
    if rows:
        op.bulk_insert(sa.table(table_name, *(sa.column(c, t) for c, t in types.items())), rows)


def upgrade() -> None:
    dt, i, s = sa.DateTime(), sa.Integer(), sa.String()
    sellers = _rows("sellers", id=s, name=s, email=s)
    orders = _rows("orders", id=i, number=s, seller_id=s, status=s, amount_cents=i, currency=s, created_at=dt,
                   paid_at=dt, dispatched_at=dt, carrier=s, tracking_number=s)
    disputes = _rows("disputes", id=i, number=s, order_id=i, expected_result=s, refund_type=s, reason=s, status=s,
                     opened_at=dt, resolved_at=dt)
    refunds = _rows("refunds", id=i, dispute_id=i, amount_cents=i, currency=s, method=s, status=s,
                    approved_at=dt, completed_at=dt)
    wallet = _rows("wallet_entries", id=i, seller_id=s, refund_id=i, amount_cents=i, currency=s, description=s,
                   created_at=dt)
    for table in _LEGACY:
        op.drop_table(table)
    _create_tables()
    _convert(sellers, orders, disputes, refunds, wallet)
    if op.get_bind().dialect.name == "postgresql":
        # The converted rows kept their ids: move the id sequences past them.
        for table in ("orders", "order_lines", "disputes", "refunds"):
            op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                       f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


def _create_tables() -> None:
    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.Enum('agent', 'supervisor', name='agentrole', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('email', name=op.f('uq_agents_email'))
    )
    op.create_table('backend_meta',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_backend_meta'))
    )
    op.create_table('idempotency_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('caller', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_records')),
    sa.UniqueConstraint('caller', 'key', name=op.f('uq_idempotency_records_caller_key'))
    )
    op.create_table('number_sequences',
    sa.Column('prefix', sa.String(length=2), nullable=False),
    sa.Column('next_value', sa.Integer(), nullable=False),
    sa.CheckConstraint('next_value >= 1', name=op.f('ck_number_sequences_next_value_positive')),
    sa.PrimaryKeyConstraint('prefix', name=op.f('pk_number_sequences'))
    )
    op.create_table('sellers',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('wallet_currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('length(wallet_currency) = 3', name=op.f('ck_sellers_wallet_currency_is_iso')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sellers')),
    sa.UniqueConstraint('email', name=op.f('uq_sellers_email'))
    )
    op.create_table('whatsapp_contacts',
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('last_inbound_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_whatsapp_contacts'))
    )
    op.create_table('whatsapp_inbound',
    sa.Column('message_id', sa.String(length=128), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_whatsapp_inbound'))
    )
    op.create_index(op.f('ix_whatsapp_inbound_number'), 'whatsapp_inbound', ['number'], unique=False)
    op.create_table('whatsapp_statuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=128), nullable=False),
    sa.Column('status', sa.Enum('sent', 'delivered', 'read', 'failed', name='outboundstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('recipient', sa.String(length=20), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_whatsapp_statuses')),
    sa.UniqueConstraint('message_id', 'status', name=op.f('uq_whatsapp_statuses_message_id_status'))
    )
    op.create_table('agent_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_agent_sessions_agent_id_agents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_agent_sessions_token_hash'))
    )
    op.create_index(op.f('ix_agent_sessions_agent_id'), 'agent_sessions', ['agent_id'], unique=False)
    op.create_table('evidence',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('seller_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('file', 'link', 'note', name='evidencekind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('purpose', sa.Enum('buyer_complaint', 'product_media', 'parcel_media', 'store_image', 'other', name='evidencepurpose', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('media', sa.Enum('image', 'video', 'document', 'page', name='linkmedia', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(kind = 'file') = (sha256 IS NOT NULL AND size_bytes IS NOT NULL AND content_type IS NOT NULL)", name=op.f('ck_evidence_files_have_content')),
    sa.CheckConstraint("(kind = 'link') = (url IS NOT NULL AND media IS NOT NULL)", name=op.f('ck_evidence_links_have_url')),
    sa.CheckConstraint("(kind = 'note') = (text IS NOT NULL)", name=op.f('ck_evidence_notes_have_text')),
    sa.CheckConstraint('size_bytes IS NULL OR size_bytes > 0', name=op.f('ck_evidence_files_not_empty')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_evidence_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence'))
    )
    op.create_index(op.f('ix_evidence_seller_id'), 'evidence', ['seller_id'], unique=False)
    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('seller_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('store', 'sample', 'wholesale', 'preorder', name='orderkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('unpaid', 'paid', 'dispatched', 'delivered', 'completed', 'closed', 'cancelled', name='orderstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('processing', sa.Enum('running', 'stopped_by_dispute', name='processing', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('shipping_cents', sa.Integer(), nullable=False),
    sa.Column('store_name', sa.String(length=120), nullable=True),
    sa.Column('payment_method', sa.Enum('balance', 'paypal', 'card', 'bank_transfer', name='paymentmethod', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(), nullable=True),
    sa.Column('carrier', sa.String(length=60), nullable=True),
    sa.Column('tracking_number', sa.String(length=60), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(kind = 'wholesale') = (number LIKE 'ZF%')", name=op.f('ck_orders_wholesale_numbers_begin_with_zf')),
    sa.CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL)", name=op.f('ck_orders_cancelled_iff_cancelled_at')),
    sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name=op.f('ck_orders_closed_iff_closed_at')),
    sa.CheckConstraint("status <> 'completed' OR completed_at IS NOT NULL", name=op.f('ck_orders_completed_has_completed_at')),
    sa.CheckConstraint("(status IN ('unpaid', 'cancelled')) = (paid_at IS NULL)", name=op.f('ck_orders_paid_iff_paid_at')),
    sa.CheckConstraint("processing = 'running' OR status NOT IN ('unpaid', 'cancelled')", name=op.f('ck_orders_unpaid_orders_never_stopped')),
    sa.CheckConstraint("status <> 'delivered' OR delivered_at IS NOT NULL", name=op.f('ck_orders_delivered_has_delivered_at')),
    sa.CheckConstraint("status NOT IN ('dispatched', 'delivered', 'completed') OR dispatched_at IS NOT NULL", name=op.f('ck_orders_dispatched_has_dispatched_at')),
    sa.CheckConstraint('(dispatched_at IS NULL) = (tracking_number IS NULL) AND (dispatched_at IS NULL) = (carrier IS NULL)', name=op.f('ck_orders_dispatched_iff_tracking')),
    sa.CheckConstraint('(paid_at IS NULL) = (payment_method IS NULL)', name=op.f('ck_orders_payment_method_iff_paid')),
    sa.CheckConstraint('length(currency) = 3', name=op.f('ck_orders_currency_is_iso')),
    sa.CheckConstraint('shipping_cents >= 0', name=op.f('ck_orders_shipping_not_negative')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_orders_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_orders_number'))
    )
    op.create_index(op.f('ix_orders_seller_id'), 'orders', ['seller_id'], unique=False)
    op.create_table('seller_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('help_page', 'whatsapp', name='identitykind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('linked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_seller_identities_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seller_identities')),
    sa.UniqueConstraint('kind', 'external_id', name=op.f('uq_seller_identities_kind_external_id'))
    )
    op.create_index(op.f('ix_seller_identities_seller_id'), 'seller_identities', ['seller_id'], unique=False)
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('seller_id', sa.String(length=32), nullable=True),
    sa.Column('conversation_id', sa.String(length=200), nullable=False),
    sa.Column('active_conversation_id', sa.String(length=200), nullable=True),
    sa.Column('channel', sa.Enum('web', 'whatsapp', name='channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='priority', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('priority_rank', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('new', 'open', 'pending', 'solved', 'closed', name='ticketstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('handoff', sa.Enum('waiting', 'agent', 'returned', name='handoff', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('order_numbers', sa.JSON(), nullable=False),
    sa.Column('dispute_numbers', sa.JSON(), nullable=False),
    sa.Column('transcript_url', sa.String(length=2000), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('first_response_due_at', sa.DateTime(), nullable=False),
    sa.Column('resolution_due_at', sa.DateTime(), nullable=False),
    sa.Column('first_responded_at', sa.DateTime(), nullable=True),
    sa.Column('solved_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(status IN ('new', 'open', 'pending')) = (active_conversation_id IS NOT NULL)", name=op.f('ck_tickets_active_iff_status_active')),
    sa.CheckConstraint("handoff <> 'agent' OR assignee_id IS NOT NULL", name=op.f('ck_tickets_agent_handoff_has_assignee')),
    sa.CheckConstraint("status NOT IN ('solved', 'closed') OR solved_at IS NOT NULL", name=op.f('ck_tickets_solved_has_solved_at')),
    sa.CheckConstraint('active_conversation_id IS NULL OR active_conversation_id = conversation_id', name=op.f('ck_tickets_active_conversation_is_own')),
    sa.ForeignKeyConstraint(['assignee_id'], ['agents.id'], name=op.f('fk_tickets_assignee_id_agents')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_tickets_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('active_conversation_id', name='uq_tickets_one_active_ticket_per_conversation'),
    sa.UniqueConstraint('number', name=op.f('uq_tickets_number'))
    )
    op.create_index(op.f('ix_tickets_assignee_id'), 'tickets', ['assignee_id'], unique=False)
    op.create_index(op.f('ix_tickets_conversation_id'), 'tickets', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_tickets_seller_id'), 'tickets', ['seller_id'], unique=False)
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_audit_log_agent_id_agents')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_audit_log_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_agent_id'), 'audit_log', ['agent_id'], unique=False)
    op.create_index(op.f('ix_audit_log_ticket_id'), 'audit_log', ['ticket_id'], unique=False)
    op.create_table('disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('expected_result', sa.Enum('refund', 'resend', name='expectedresult', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('refund_type', sa.Enum('balance', 'original', name='refundmethod', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('reason', sa.Enum('delayed_order', 'lost_package', 'damaged_product', 'wrong_product', 'missing_product', 'destination_limitation', 'shipping_method_limitation', 'cancel_before_dispatch', 'other', name='disputereason', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason_detail', sa.String(length=200), nullable=True),
    sa.Column('buyer_email', sa.String(length=254), nullable=True),
    sa.Column('status', sa.Enum('open', 'resend_proposed', 'resend_agreed', 'refunded', 'resent', 'rejected', 'cancelled', name='disputestatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.CheckConstraint("(expected_result = 'refund') = (refund_type IS NOT NULL)", name=op.f('ck_disputes_refund_type_iff_refund')),
    sa.CheckConstraint("(status IN ('open', 'resend_proposed', 'resend_agreed')) = (resolved_at IS NULL)", name=op.f('ck_disputes_resolved_at_iff_not_active')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_disputes_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes')),
    sa.UniqueConstraint('number', name=op.f('uq_disputes_number'))
    )
    op.create_index(op.f('ix_disputes_order_id'), 'disputes', ['order_id'], unique=False)
    op.create_table('order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=60), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint('line_no >= 1', name=op.f('ck_order_lines_line_no_positive')),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_order_lines_quantity_positive')),
    sa.CheckConstraint('unit_price_cents >= 0', name=op.f('ck_order_lines_unit_price_not_negative')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines')),
    sa.UniqueConstraint('order_id', 'line_no', name=op.f('uq_order_lines_order_id_line_no'))
    )
    op.create_table('returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('active_order_id', sa.Integer(), nullable=True),
    sa.Column('store_link', sa.String(length=500), nullable=False),
    sa.Column('store_image_evidence_id', sa.String(length=40), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('link_sent', 'buyer_submitted', 'closed', name='returnstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(status = 'closed') = (active_order_id IS NULL)", name=op.f('ck_returns_open_iff_active')),
    sa.CheckConstraint('active_order_id IS NULL OR active_order_id = order_id', name=op.f('ck_returns_active_order_is_own_order')),
    sa.ForeignKeyConstraint(['active_order_id'], ['orders.id'], name=op.f('fk_returns_active_order_id_orders')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_returns_order_id_orders')),
    sa.ForeignKeyConstraint(['store_image_evidence_id'], ['evidence.id'], name=op.f('fk_returns_store_image_evidence_id_evidence')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_returns')),
    sa.UniqueConstraint('active_order_id', name='uq_returns_one_open_return_per_order'),
    sa.UniqueConstraint('number', name=op.f('uq_returns_number')),
    sa.UniqueConstraint('token', name=op.f('uq_returns_token'))
    )
    op.create_index(op.f('ix_returns_order_id'), 'returns', ['order_id'], unique=False)
    op.create_table('ticket_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('author_kind', sa.Enum('seller', 'agent', 'bot', 'system', name='authorkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('delivery_state', sa.Enum('recorded', 'pending', 'sent', 'delivered', 'read', 'failed', name='deliverystate', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=True),
    sa.Column('evidence_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(author_kind = 'agent') = (agent_id IS NOT NULL)", name=op.f('ck_ticket_messages_agent_messages_name_agent')),
    sa.CheckConstraint("NOT internal OR author_kind = 'agent'", name=op.f('ck_ticket_messages_only_agents_write_internal_notes')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_ticket_messages_agent_id_agents')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_messages_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_messages')),
    sa.UniqueConstraint('ticket_id', 'external_id', name=op.f('uq_ticket_messages_ticket_id_external_id'))
    )
    op.create_index(op.f('ix_ticket_messages_ticket_id'), 'ticket_messages', ['ticket_id'], unique=False)
    op.create_table('dispute_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('active_line_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('active_line_id IS NULL OR active_line_id = order_line_id', name=op.f('ck_dispute_lines_active_line_is_own_line')),
    sa.CheckConstraint('quantity >= 1', name=op.f('ck_dispute_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['active_line_id'], ['order_lines.id'], name=op.f('fk_dispute_lines_active_line_id_order_lines')),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_lines_dispute_id_disputes')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_dispute_lines_order_line_id_order_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_lines')),
    sa.UniqueConstraint('active_line_id', name='uq_dispute_lines_one_active_dispute_per_order_line'),
    sa.UniqueConstraint('dispute_id', 'order_line_id', name=op.f('uq_dispute_lines_dispute_id_order_line_id'))
    )
    op.create_index(op.f('ix_dispute_lines_dispute_id'), 'dispute_lines', ['dispute_id'], unique=False)
    op.create_index(op.f('ix_dispute_lines_order_line_id'), 'dispute_lines', ['order_line_id'], unique=False)
    op.create_table('dispute_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.Enum('seller', 'platform', 'agent', 'system', name='actor', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_messages_dispute_id_disputes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_messages'))
    )
    op.create_index(op.f('ix_dispute_messages_dispute_id'), 'dispute_messages', ['dispute_id'], unique=False)
    op.create_table('order_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.Enum('seller', 'platform', 'agent', 'system', name='actor', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_order_log_dispute_id_disputes')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_log_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_log'))
    )
    op.create_index(op.f('ix_order_log_dispute_id'), 'order_log', ['dispute_id'], unique=False)
    op.create_index(op.f('ix_order_log_order_id'), 'order_log', ['order_id'], unique=False)
    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('method', sa.Enum('balance', 'original', name='refundmethod', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'done', name='refundstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("(status = 'done') = (completed_at IS NOT NULL)", name=op.f('ck_refunds_completed_at_iff_done')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_refunds_amount_positive')),
    sa.CheckConstraint('length(currency) = 3', name=op.f('ck_refunds_currency_is_iso')),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_refunds_dispute_id_disputes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('dispute_id', name=op.f('uq_refunds_dispute_id')),
    sa.UniqueConstraint('id', 'method', 'amount_cents', 'currency', name='uq_refunds_ledger_match')
    )
    op.create_table('resend_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('details', sa.String(length=500), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('agreed_at', sa.DateTime(), nullable=True),
    sa.Column('shipped_at', sa.DateTime(), nullable=True),
    sa.Column('carrier', sa.String(length=60), nullable=True),
    sa.Column('tracking_number', sa.String(length=60), nullable=True),
    sa.CheckConstraint('(shipped_at IS NULL) = (tracking_number IS NULL)', name=op.f('ck_resend_proposals_shipped_iff_tracking')),
    sa.CheckConstraint('shipped_at IS NULL OR agreed_at IS NOT NULL', name=op.f('ck_resend_proposals_shipped_only_after_agreement')),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_resend_proposals_dispute_id_disputes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resend_proposals')),
    sa.UniqueConstraint('dispute_id', name=op.f('uq_resend_proposals_dispute_id'))
    )
    op.create_table('dispute_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.String(length=40), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_evidence_dispute_id_disputes')),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], name=op.f('fk_dispute_evidence_evidence_id_evidence')),
    sa.ForeignKeyConstraint(['message_id'], ['dispute_messages.id'], name=op.f('fk_dispute_evidence_message_id_dispute_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_evidence')),
    sa.UniqueConstraint('dispute_id', 'evidence_id', name=op.f('uq_dispute_evidence_dispute_id_evidence_id'))
    )
    op.create_index(op.f('ix_dispute_evidence_evidence_id'), 'dispute_evidence', ['evidence_id'], unique=False)
    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.String(length=32), nullable=False),
    sa.Column('account', sa.Enum('balance', 'original', name='ledgeraccount', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('kind', sa.Enum('refund', 'top_up', 'order_payment', 'adjustment', name='ledgerkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(kind = 'refund') = (refund_id IS NOT NULL)", name=op.f('ck_ledger_entries_refund_entries_name_their_refund')),
    sa.CheckConstraint("kind <> 'order_payment' OR (amount_cents < 0 AND order_id IS NOT NULL)", name=op.f('ck_ledger_entries_payments_debit_an_order')),
    sa.CheckConstraint("kind <> 'refund' OR amount_cents > 0", name=op.f('ck_ledger_entries_refunds_credit')),
    sa.CheckConstraint('amount_cents <> 0', name=op.f('ck_ledger_entries_amount_not_zero')),
    sa.CheckConstraint('length(currency) = 3', name=op.f('ck_ledger_entries_currency_is_iso')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_ledger_entries_order_id_orders')),
    sa.ForeignKeyConstraint(['refund_id', 'account', 'amount_cents', 'currency'], ['refunds.id', 'refunds.method', 'refunds.amount_cents', 'refunds.currency'], name='fk_ledger_entries_matches_refund'),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_ledger_entries_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_ledger_entries_refund_id'))
    )
    op.create_index(op.f('ix_ledger_entries_seller_id'), 'ledger_entries', ['seller_id'], unique=False)


def _convert(sellers: list[dict[str, Any]], orders: list[dict[str, Any]], disputes: list[dict[str, Any]],
             refunds: list[dict[str, Any]], wallet: list[dict[str, Any]]) -> None:
    dt, i, s = sa.DateTime(), sa.Integer(), sa.String()
    now = datetime.utcnow().replace(microsecond=0)
    first_order = {o["seller_id"]: o["created_at"] for o in sorted(orders, key=lambda o: o["created_at"], reverse=True)}
    _insert("sellers", [{**r, "wallet_currency": "USD", "created_at": first_order.get(r["id"], now)} for r in sellers],
            id=s, name=s, email=s, wallet_currency=s, created_at=dt)
    open_orders = {d["order_id"] for d in disputes if d["status"] == "open"}
    converted, lines, log = [], [], []
    for o in orders:
        status = o["status"]
        paid_at = None if status == "unpaid" else (o["paid_at"] or o["created_at"])
        dispatched_at = o["dispatched_at"]
        if status in ("dispatched", "completed") and dispatched_at is None:
            dispatched_at = paid_at
        shipped = dispatched_at is not None
        converted.append({
            "id": o["id"], "number": o["number"], "seller_id": o["seller_id"],
            "kind": "wholesale" if o["number"].startswith("ZF") else "store", "status": status,
            "processing": "stopped_by_dispute" if o["id"] in open_orders else "running", "currency": o["currency"],
            "shipping_cents": 0, "payment_method": "paypal" if paid_at else None, "created_at": o["created_at"],
            "paid_at": paid_at, "dispatched_at": dispatched_at, "carrier": (o["carrier"] or "unknown") if shipped else None,
            "tracking_number": (o["tracking_number"] or "unknown") if shipped else None,
            "completed_at": (dispatched_at or o["created_at"]) if status == "completed" else None,
            "closed_at": (paid_at or o["created_at"]) if status == "closed" else None,
        })
        lines.append({"id": o["id"], "order_id": o["id"], "line_no": 1, "sku": "LEGACY", "product": "Order items",
                      "quantity": 1, "unit_price_cents": o["amount_cents"]})
        log.append({"order_id": o["id"], "dispute_id": None, "at": o["created_at"], "event": "created",
                    "actor": "platform", "message": "Order created."})
        if paid_at:
            log.append({"order_id": o["id"], "dispute_id": None, "at": paid_at, "event": "paid", "actor": "platform",
                        "message": "Order paid."})
        if shipped:
            log.append({"order_id": o["id"], "dispute_id": None, "at": dispatched_at, "event": "dispatched",
                        "actor": "platform", "message": f"Dispatched with {converted[-1]['carrier']}, tracking "
                                                        f"number {converted[-1]['tracking_number']}."})
    _insert("orders", converted, id=i, number=s, seller_id=s, kind=s, status=s, processing=s, currency=s,
            shipping_cents=i, payment_method=s, created_at=dt, paid_at=dt, dispatched_at=dt, carrier=s,
            tracking_number=s, completed_at=dt, closed_at=dt)
    _insert("order_lines", lines, id=i, order_id=i, line_no=i, sku=s, product=s, quantity=i, unit_price_cents=i)
    new_disputes, dispute_lines, active_lines = [], [], set()
    for d in disputes:
        code = _REASONS.get(d["reason"].strip().lower(), "other")
        new_disputes.append({**d, "reason": code,
                             "reason_detail": None if code.replace("_", " ") == d["reason"].strip().lower()
                             else d["reason"][:200]})
        active = d["status"] == "open" and d["order_id"] not in active_lines
        active_lines.add(d["order_id"]) if active else None
        dispute_lines.append({"dispute_id": d["id"], "order_line_id": d["order_id"],
                              "active_line_id": d["order_id"] if active else None, "quantity": 1})
        log.append({"order_id": d["order_id"], "dispute_id": d["id"], "at": d["opened_at"], "event": "dispute_opened",
                    "actor": "seller", "message": f"Dispute {d['number']} opened."})
    _insert("disputes", new_disputes, id=i, number=s, order_id=i, expected_result=s, refund_type=s, reason=s,
            reason_detail=s, status=s, opened_at=dt, resolved_at=dt)
    _insert("dispute_lines", dispute_lines, dispute_id=i, order_line_id=i, active_line_id=i, quantity=i)
    _insert("refunds", refunds, id=i, dispute_id=i, amount_cents=i, currency=s, method=s, status=s,
            approved_at=dt, completed_at=dt)
    _convert_ledger(refunds, disputes, orders, wallet, log)
    _insert("order_log", log, order_id=i, dispute_id=i, at=dt, event=s, actor=s, message=s)
    for prefix in ("CJ", "ZF", "SH", "RT", "TK"):
        _insert("number_sequences", [{"prefix": prefix, "next_value": 1}], prefix=s, next_value=i)
    if any((r["id"], r["email"]) == _ISSUE2_DEMO_SELLER for r in sellers):
        # Issue 2 wrote nothing but its demo data: say so, and the backend replaces it with today's demo set.
        _insert("backend_meta", [{"key": "demo_data", "value": "2", "updated_at": now}], key=s, value=s, updated_at=dt)


def _convert_ledger(refunds: list[dict[str, Any]], disputes: list[dict[str, Any]], orders: list[dict[str, Any]],
                    wallet: list[dict[str, Any]], log: list[dict[str, Any]]) -> None:
    dt, i, s = sa.DateTime(), sa.Integer(), sa.String()
    refund_by_id = {r["id"]: r for r in refunds}
    dispute_by_id = {d["id"]: d for d in disputes}
    seller_of_order = {o["id"]: o["seller_id"] for o in orders}
    entries, credited = [], set()
    for w in wallet:
        refund = refund_by_id.get(w["refund_id"])
        matches = refund is not None and refund["method"] == "balance" and refund["status"] == "done" and (
            refund["amount_cents"], refund["currency"]) == (w["amount_cents"], w["currency"])
        if w["amount_cents"] == 0:
            continue
        entries.append({"seller_id": w["seller_id"], "account": "balance",
                        "kind": "refund" if matches else ("top_up" if w["amount_cents"] > 0 else "adjustment"),
                        "refund_id": w["refund_id"] if matches else None, "order_id": None,
                        "amount_cents": w["amount_cents"], "currency": w["currency"], "description": w["description"],
                        "created_at": w["created_at"]})
        if matches:
            credited.add(w["refund_id"])
    for r in refunds:
        dispute = dispute_by_id[r["dispute_id"]]
        if r["status"] == "done" and r["id"] not in credited:
            entries.append({"seller_id": seller_of_order[dispute["order_id"]], "account": r["method"],
                            "kind": "refund", "refund_id": r["id"], "order_id": dispute["order_id"],
                            "amount_cents": r["amount_cents"], "currency": r["currency"],
                            "description": f"Refund for dispute {dispute['number']}", "created_at": r["completed_at"]})
        log.append({"order_id": dispute["order_id"], "dispute_id": dispute["id"], "at": r["approved_at"],
                    "event": "refund_approved", "actor": "platform", "message": f"Refund approved on dispute "
                                                                                 f"{dispute['number']}."})
        if r["status"] == "done":
            log.append({"order_id": dispute["order_id"], "dispute_id": dispute["id"], "at": r["completed_at"],
                        "event": "refund_paid", "actor": "platform", "message": f"Refund for dispute "
                                                                                f"{dispute['number']} paid."})
    _insert("ledger_entries", entries, seller_id=s, account=s, kind=s, refund_id=i, order_id=i, amount_cents=i,
            currency=s, description=s, created_at=dt)


def downgrade() -> None:
    raise NotImplementedError("0002 converts data one way; restore a backup to go back to issue 2's schema")
