"""WhatsApp: which seller a number is linked to, and the channel's shared state (inbound message ids, each
number's last inbound time, outbound status updates)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backend.domain import identities
from bot.backend.errors import not_found
from bot.backend.models import (
    IdentityKind,
    OutboundStatus,
    Seller,
    SellerIdentity,
    WhatsAppContact,
    WhatsAppInbound,
    WhatsAppStatus,
)

_NUMBER = re.compile(r"^\+?([1-9][0-9]{6,14})\Z")


def e164(raw: str) -> str | None:
    """'+15550101001', '15550101001' -> '+15550101001'; anything else -> None."""
    match = _NUMBER.fullmatch(raw.strip())
    return f"+{match.group(1)}" if match else None


def link_of(session: Session, raw_number: str) -> SellerIdentity:
    identity = identities.find(session, IdentityKind.WHATSAPP, e164(raw_number))
    if identity is None:
        raise not_found("identity_not_found", "linked WhatsApp number")
    return identity


def last_inbound(session: Session, number: str) -> datetime | None:
    return session.execute(
        select(WhatsAppContact.last_inbound_at).where(WhatsAppContact.number == number)
    ).scalar_one_or_none()


def link(session: Session, raw_number: str, seller: Seller, now: datetime) -> SellerIdentity:
    """Link a number to a seller (replacing any earlier link of that number)."""
    number = e164(raw_number)
    if number is None:
        raise not_found("identity_not_found", "WhatsApp number")
    return identities.link(session, IdentityKind.WHATSAPP, number, seller, now)


def unlink(session: Session, raw_number: str) -> str:
    return identities.unlink(session, IdentityKind.WHATSAPP, e164(raw_number), "linked WhatsApp number")


def record_inbound(session: Session, message_id: str, number: str, received_at: datetime, now: datetime) -> bool:
    """True the first time this message id is seen. The primary key decides between concurrent deliveries:
    the loser's insert fails, its transaction is retried and then finds the row."""
    if session.get(WhatsAppInbound, message_id) is not None:
        return False
    session.add(WhatsAppInbound(message_id=message_id, number=number, received_at=received_at, recorded_at=now))
    contact = session.get(WhatsAppContact, number, with_for_update=True)
    if contact is None:
        session.add(WhatsAppContact(number=number, last_inbound_at=received_at))
    elif received_at > contact.last_inbound_at:
        contact.last_inbound_at = received_at
    session.flush()
    return True


def record_status(session: Session, message_id: str, status: OutboundStatus, at: datetime, recipient: str,
                  errors: list[dict[str, Any]], now: datetime) -> bool:
    """True the first time this (message, status) pair is seen."""
    known = session.execute(
        select(WhatsAppStatus.id).where(WhatsAppStatus.message_id == message_id, WhatsAppStatus.status == status)
    ).scalar_one_or_none()
    if known is not None:
        return False
    session.add(WhatsAppStatus(message_id=message_id, status=status, at=at, recipient=recipient, errors=errors,
                               recorded_at=now))
    session.flush()
    return True
