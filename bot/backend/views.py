"""Objects shaped as the API's JSON (the shapes `schemas/responses.py` documents).

Views only read what the caller may see: the seller-scoped lookups in `bot/backend/domain/` decide which
objects reach them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from bot.backend import rules
from bot.backend.models import (
    Agent,
    AuditEntry,
    AuthorKind,
    DeliveryState,
    Dispute,
    Evidence,
    Handoff,
    LedgerEntry,
    Order,
    OrderLogEntry,
    Refund,
    ReturnRequest,
    Seller,
    SellerIdentity,
    Ticket,
    TicketMessage,
)
from bot.backend.domain.waiting import Expectations
from bot.backend.money import format_cents
from bot.support_hours import SupportHours


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with an explicit offset (Python 3.10's fromisoformat reads it; 'Z' it doesn't)."""
    return moment.isoformat(timespec="seconds") + "+00:00" if moment else None


def page(items: list[Any], limit: int, offset: int, total: int) -> dict[str, Any]:
    return {"items": items, "limit": limit, "offset": offset, "total": total}


# ------------------------------------------------------------------ sellers and money


def seller_view(seller: Seller, balance_cents: int) -> dict[str, Any]:
    return {
        "id": seller.id,
        "name": seller.name,
        "email": seller.email,
        "wallet": {"balance": format_cents(balance_cents), "currency": seller.wallet_currency},
        "identities": [identity_view(i) for i in seller.identities],
    }


def identity_view(identity: SellerIdentity) -> dict[str, Any]:
    return {"kind": identity.kind.value, "external_id": identity.external_id, "linked_at": iso(identity.linked_at)}


def refund_view(refund: Refund | None) -> dict[str, Any] | None:
    if refund is None:
        return None
    return {
        "id": refund.id,
        "dispute_number": refund.dispute.number,
        "order_number": refund.dispute.order.number,
        "amount": format_cents(refund.amount_cents),
        "currency": refund.currency,
        "method": refund.method.value,
        "status": refund.status.value,
        "approved_at": iso(refund.approved_at),
        "completed_at": iso(refund.completed_at),
        "ledger_entry_id": refund.ledger_entry.id if refund.ledger_entry else None,
    }


def ledger_entry_view(entry: LedgerEntry, order_numbers: dict[int, str], dispute_numbers: dict[int, str]) -> dict[str, Any]:
    return {
        "id": entry.id,
        "account": entry.account.value,
        "kind": entry.kind.value,
        "amount": format_cents(entry.amount_cents),
        "currency": entry.currency,
        "description": entry.description,
        "created_at": iso(entry.created_at),
        "order_number": order_numbers.get(entry.order_id) if entry.order_id else None,
        "dispute_number": dispute_numbers.get(entry.refund_id) if entry.refund_id else None,
    }


# ------------------------------------------------------------------ orders


def dispute_summary(dispute: Dispute) -> dict[str, Any]:
    return {
        "number": dispute.number,
        "order_number": dispute.order.number,
        "expected_result": dispute.expected_result.value,
        "refund_type": dispute.refund_type.value if dispute.refund_type else None,
        "reason": dispute.reason.value,
        "status": dispute.status.value,
        "active": dispute.active,
        "opened_at": iso(dispute.opened_at),
        "resolved_at": iso(dispute.resolved_at),
        "line_nos": sorted(line.order_line.line_no for line in dispute.lines),
        "refund": refund_view(dispute.refund),
    }


def return_summary(request: ReturnRequest, link_base: str) -> dict[str, Any]:
    return {
        "number": request.number,
        "status": request.status.value,
        "return_link": link_base + request.token,
        "created_at": iso(request.created_at),
    }


def order_view(order: Order, link_base: str) -> dict[str, Any]:
    covered = rules.lines_in_active_disputes(order)
    paid = order.paid_at is not None
    return {
        "number": order.number,
        "seller_id": order.seller_id,
        "kind": order.kind.value,
        "status": order.status.value,
        "processing": order.processing.value,
        "currency": order.currency,
        "amount": format_cents(order.amount_cents),
        "subtotal": format_cents(order.subtotal_cents),
        "shipping_cost": format_cents(order.shipping_cents),
        "store_name": order.store_name,
        "created_at": iso(order.created_at),
        "completed_at": iso(order.completed_at),
        "closed_at": iso(order.closed_at),
        "cancelled_at": iso(order.cancelled_at),
        "lines": [
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "product": line.product,
                "quantity": line.quantity,
                "unit_price": format_cents(line.unit_price_cents),
                "amount": format_cents(line.amount_cents),
                "dispute_number": covered.get(line.line_no),
            }
            for line in order.lines
        ],
        "payment": {
            "status": "paid" if paid else "unpaid",
            "method": order.payment_method.value if order.payment_method else None,
            "paid_at": iso(order.paid_at),
        },
        "shipping": {
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
            "dispatched_at": iso(order.dispatched_at),
            "delivered_at": iso(order.delivered_at),
        },
        "disputes": [dispute_summary(d) for d in order.disputes],
        "returns": [return_summary(r, link_base) for r in order.returns],
        "eligibility": _eligibility(order),
    }


def _eligibility(order: Order) -> dict[str, Any]:
    verdicts = rules.eligibility(order)
    verdicts["dispute"].setdefault("dispute_numbers", None)
    for key in ("expected_results", "line_nos"):
        verdicts["dispute"].setdefault(key, [])
    verdicts["dispute"].setdefault("proof", {})
    return verdicts


def log_entry_view(entry: OrderLogEntry, dispute_numbers: dict[int, str]) -> dict[str, Any]:
    return {
        "at": iso(entry.at),
        "event": entry.event,
        "actor": entry.actor.value,
        "message": entry.message,
        "dispute_number": dispute_numbers.get(entry.dispute_id) if entry.dispute_id else None,
    }


# ------------------------------------------------------------------ disputes, evidence, returns


def evidence_view(item: Evidence) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind.value,
        "purpose": item.purpose.value,
        "content_type": item.content_type,
        "size": item.size_bytes,
        "sha256": item.sha256,
        "filename": item.filename,
        "url": item.url,
        "media": item.media.value if item.media else None,
        "text": item.text,
        "created_at": iso(item.created_at),
    }


def dispute_view(dispute: Dispute, timeline: Iterable[OrderLogEntry]) -> dict[str, Any]:
    evidence_by_message: dict[int, list[str]] = {}
    for link in dispute.evidence:
        if link.message_id is not None:
            evidence_by_message.setdefault(link.message_id, []).append(link.evidence_id)
    resend = dispute.resend
    numbers = {dispute.id: dispute.number}
    return {
        **dispute_summary(dispute),
        "reason_detail": dispute.reason_detail,
        "decision_note": dispute.decision_note,
        "buyer_email": dispute.buyer_email,
        "lines": [
            {"line_no": line.order_line.line_no, "sku": line.order_line.sku, "product": line.order_line.product,
             "quantity": line.quantity}
            for line in sorted(dispute.lines, key=lambda line: line.order_line.line_no)
        ],
        "resend": None if resend is None else {
            "details": resend.details,
            "proposed_at": iso(resend.proposed_at),
            "agreed_at": iso(resend.agreed_at),
            "shipped_at": iso(resend.shipped_at),
            "carrier": resend.carrier,
            "tracking_number": resend.tracking_number,
        },
        "messages": [
            {"id": m.id, "author": m.author.value, "body": m.body, "created_at": iso(m.created_at),
             "evidence_ids": evidence_by_message.get(m.id, [])}
            for m in dispute.messages
        ],
        "evidence": [evidence_view(link.item) for link in dispute.evidence],
        "timeline": [log_entry_view(entry, numbers) for entry in timeline],
        "order_status": dispute.order.status.value,
        "order_processing": dispute.order.processing.value,
    }


def return_view(request: ReturnRequest, link_base: str) -> dict[str, Any]:
    return {
        "number": request.number,
        "order_number": request.order.number,
        "status": request.status.value,
        "store_link": request.store_link,
        "store_image_evidence_id": request.store_image_evidence_id,
        "return_link": link_base + request.token,
        "created_at": iso(request.created_at),
    }


# ------------------------------------------------------------------ tickets and agents


def handoff_view(ticket: Ticket) -> dict[str, Any]:
    agent_name = ticket.assignee.name if ticket.assignee is not None and ticket.handoff is Handoff.AGENT else None
    return {"state": ticket.handoff.value, "agent_name": agent_name}


def ticket_message_view(message: TicketMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "author_kind": message.author_kind.value,
        "author_name": message.agent.name if message.agent is not None else None,
        "body": message.body,
        "internal": message.internal,
        "delivery_state": message.delivery_state.value,
        "delivery_error": message.delivery_error,
        "external_id": message.external_id,
        "evidence_ids": list(message.evidence_ids or []),
        "created_at": iso(message.created_at),
    }


def ticket_view(ticket: Ticket, internal_notes: bool = False) -> dict[str, Any]:
    """`internal_notes`: only agents see their colleagues' internal notes."""
    return {
        "number": ticket.number,
        "seller_id": ticket.seller_id,
        "conversation_id": ticket.conversation_id,
        "channel": ticket.channel.value,
        "reasons": list(ticket.reasons),
        "summary": ticket.summary,
        "priority": ticket.priority.value,
        "status": ticket.status.value,
        "handoff": handoff_view(ticket),
        "order_numbers": list(ticket.order_numbers),
        "dispute_numbers": list(ticket.dispute_numbers),
        "transcript_url": ticket.transcript_url,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "first_response_due_at": iso(ticket.first_response_due_at),
        "resolution_due_at": iso(ticket.resolution_due_at),
        "first_responded_at": iso(ticket.first_responded_at),
        "solved_at": iso(ticket.solved_at),
        "messages": [ticket_message_view(m) for m in ticket.messages if internal_notes or not m.internal],
        "undelivered_replies": [m.id for m in ticket.messages
                                if m.author_kind is AuthorKind.AGENT and m.delivery_state is DeliveryState.FAILED],
    }


def conversation_ticket_view(ticket: Ticket, expected: Expectations, hours: SupportHours) -> dict[str, Any]:
    """The assistant's view: the ticket and what the seller can expect while waiting for a person."""
    return {
        **ticket_view(ticket),
        "queue": None if expected.ahead is None else {"position": expected.ahead + 1, "ahead": expected.ahead},
        "estimated_wait_minutes": expected.estimated_wait_minutes,
        "support_hours": {"open_now": expected.open_now, "next_open_at": iso(expected.next_open_at),
                          "schedule": hours.schedule, "timezone": hours.timezone},
    }


def agent_view(agent: Agent) -> dict[str, Any]:
    return {"id": agent.id, "email": agent.email, "name": agent.name, "role": agent.role.value,
            "active": agent.active}


def assignee_view(agent: Agent | None) -> dict[str, Any] | None:
    return None if agent is None else {"id": agent.id, "name": agent.name}


def queue_item_view(ticket: Ticket, now: datetime) -> dict[str, Any]:
    responded = ticket.first_responded_at is not None
    solved = ticket.solved_at is not None
    return {
        "number": ticket.number,
        "seller_id": ticket.seller_id,
        "channel": ticket.channel.value,
        "reasons": list(ticket.reasons),
        "summary": ticket.summary,
        "priority": ticket.priority.value,
        "status": ticket.status.value,
        "handoff": ticket.handoff.value,
        "assignee": assignee_view(ticket.assignee),
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "first_response_due_at": iso(ticket.first_response_due_at),
        "resolution_due_at": iso(ticket.resolution_due_at),
        "first_responded_at": iso(ticket.first_responded_at),
        "first_response_overdue": not responded and now > ticket.first_response_due_at,
        "resolution_overdue": not solved and now > ticket.resolution_due_at,
    }


def audit_view(entry: AuditEntry, ticket_numbers: dict[int, str]) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": iso(entry.at),
        "actor": entry.actor,
        "agent": assignee_view(entry.agent),
        "action": entry.action,
        "ticket_number": ticket_numbers.get(entry.ticket_id) if entry.ticket_id else None,
        "details": dict(entry.details or {}),
    }

