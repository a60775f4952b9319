"""An agent's reply on WhatsApp, followed until it reaches the seller or is known not to.

The channel reports each attempt to deliver a reply (the WhatsApp message id it got, or the error WhatsApp refused
it with at once), and every status webhook of our messages. A status moves the reply's delivery state forward
(sent, delivered, read); a failure records WhatsApp's reason. A reply refused because the 24-hour window had
closed (131047) is resent once as the approved template: the answer to that status asks the channel to. A reply
that still fails is `failed` with its reason, and the ticket lists it among its undelivered replies (views.py), so
the console flags it; the agent may send it again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backend.domain import tickets
from bot.backend.models import (
    DeliveryState,
    OutboundStatus,
    TicketMessage,
    WhatsAppOutbound,
    WhatsAppStatus,
)

REENGAGEMENT = 131047  # Meta: more than 24 hours since the customer last wrote (support/error-codes)
_FORWARD = {DeliveryState.PENDING: 0, DeliveryState.SENT: 1, DeliveryState.DELIVERED: 2, DeliveryState.READ: 3}


def _outbound(session: Session, message_id: str, now: datetime) -> WhatsAppOutbound:
    """The outbound message's row, created by whichever of the webhook and the channel's report comes first
    (a concurrent second insert fails on the primary key and its transaction is retried), and locked."""
    row = session.get(WhatsAppOutbound, message_id, with_for_update=True)
    if row is None:
        row = WhatsAppOutbound(message_id=message_id, template=False, recorded_at=now)
        session.add(row)
        session.flush()
    return row


def _described(errors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{e.get('code')} {e.get('title')}" + (f": {e['message']}" if e.get("message") else "")
                     for e in errors)[:500] or "failed"


def _failed(message: TicketMessage, reason: str, now: datetime) -> None:
    message.delivery_state = DeliveryState.FAILED
    message.delivery_error = reason[:500]
    message.delivery_reported_at = now


def record_attempt(session: Session, ticket_number: str, message_id: int, whatsapp_message_id: str | None,
                   template: bool, error: str | None, now: datetime) -> tuple[TicketMessage, dict[str, Any]]:
    """An attempt the channel made: linked to the message WhatsApp accepted (statuses already recorded for it
    apply now), or the reply failed at once. Also answers, like a status, whether to resend as the template."""
    message = tickets.agent_reply(tickets.by_number(session, ticket_number), message_id)
    if whatsapp_message_id is None:
        _failed(message, error or "refused", now)
        return message, {}
    row = _outbound(session, whatsapp_message_id, now)
    row.ticket_message_id, row.template = message.id, template
    message.delivery_reported_at = now
    if message.delivery_state is DeliveryState.FAILED:  # the agent sent it again: the old failure is over
        message.delivery_state, message.delivery_error = DeliveryState.SENT, None
    answer: dict[str, Any] = {}
    known = session.execute(select(WhatsAppStatus).where(WhatsAppStatus.message_id == whatsapp_message_id)
                            .order_by(WhatsAppStatus.at, WhatsAppStatus.id)).scalars().all()
    for status in known:
        answer = _apply(session, message, row, status.status, list(status.errors or []), now) or answer
    return message, answer


def on_status(session: Session, whatsapp_message_id: str, status: OutboundStatus, errors: list[dict[str, Any]],
              now: datetime) -> dict[str, Any]:
    """A first-seen status update: if its message carried an agent's reply, the reply follows it."""
    row = _outbound(session, whatsapp_message_id, now)
    if row.ticket_message_id is None:
        return {}
    message = session.get(TicketMessage, row.ticket_message_id)
    assert message is not None
    return _apply(session, message, row, status, errors, now)


def _apply(session: Session, message: TicketMessage, row: WhatsAppOutbound, status: OutboundStatus,
           errors: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    message.delivery_reported_at = now
    if status is not OutboundStatus.FAILED:
        state = DeliveryState(status.value)
        if message.delivery_state is DeliveryState.FAILED or \
                _FORWARD.get(state, 0) > _FORWARD.get(message.delivery_state, 0):
            message.delivery_state = state
        return {}
    reason = _described(errors)
    outside_window = any(e.get("code") == REENGAGEMENT for e in errors)
    if outside_window and not row.template and not _template_tried(session, message.id):
        message.delivery_error = f"{reason} (resent as the approved template)"[:500]
        return {"resend_as_template": True,
                "agent_reply": {"ticket": message.ticket.number, "message_id": message.id, "body": message.body}}
    _failed(message, reason, now)
    return {}


def _template_tried(session: Session, ticket_message_id: int) -> bool:
    return session.execute(select(WhatsAppOutbound.message_id).where(
        WhatsAppOutbound.ticket_message_id == ticket_message_id, WhatsAppOutbound.template.is_(True)
    ).limit(1)).first() is not None
