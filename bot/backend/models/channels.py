"""State the WhatsApp channel keeps in the backend, so it survives restarts and is shared by replicas:
which inbound messages were already handled (Meta redelivers), each number's last inbound time (the 24-hour
window for free-form replies), the status updates of our outbound messages, and which of them carried an agent's
reply."""

from __future__ import annotations

import enum

from sqlalchemy import JSON, Boolean, Column, DateTime, ForeignKey, Integer, String, UniqueConstraint

from bot.backend.models.base import Base, db_enum, utcnow


class OutboundStatus(str, enum.Enum):
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class WhatsAppInbound(Base):
    """An inbound message id, recorded once: the primary key decides which of two deliveries is first."""

    __tablename__ = "whatsapp_inbound"

    message_id = Column(String(128), primary_key=True)
    number = Column(String(140), nullable=False, index=True)
    received_at = Column(DateTime, nullable=False)
    recorded_at = Column(DateTime, nullable=False, default=utcnow)


class WhatsAppContact(Base):
    """A number (or a business-scoped user id) that wrote to us, and when it last did."""

    __tablename__ = "whatsapp_contacts"

    number = Column(String(140), primary_key=True)
    last_inbound_at = Column(DateTime, nullable=False)


class WhatsAppStatus(Base):
    """A status update of one of our outbound messages; a redelivered update is recorded once."""

    __tablename__ = "whatsapp_statuses"
    __table_args__ = (UniqueConstraint("message_id", "status"),)

    id = Column(Integer, primary_key=True)
    message_id = Column(String(128), nullable=False)
    status = Column(db_enum(OutboundStatus), nullable=False)
    at = Column(DateTime, nullable=False)
    recipient = Column(String(140), nullable=False)
    errors = Column(JSON, nullable=False)
    recorded_at = Column(DateTime, nullable=False, default=utcnow)


class WhatsAppOutbound(Base):
    """One of our outbound messages and the agent reply it carried, if any. The status webhook and the channel's
    report of the send may arrive in either order: whichever comes first creates the row (the primary key decides
    between them), so the second always finds the first."""

    __tablename__ = "whatsapp_outbound"

    message_id = Column(String(128), primary_key=True)
    ticket_message_id = Column(Integer, ForeignKey("ticket_messages.id"), index=True)
    template = Column(Boolean(create_constraint=False), nullable=False, default=False)
    recorded_at = Column(DateTime, nullable=False, default=utcnow)
