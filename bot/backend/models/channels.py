"""State the WhatsApp channel keeps in the backend, so it survives restarts and is shared by replicas:
which inbound messages were already handled (Meta redelivers), each number's last inbound time (the 24-hour
window for free-form replies), and the status updates of our outbound messages."""

from __future__ import annotations

import enum

from sqlalchemy import JSON, Column, DateTime, Integer, String, UniqueConstraint

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
    number = Column(String(20), nullable=False, index=True)
    received_at = Column(DateTime, nullable=False)
    recorded_at = Column(DateTime, nullable=False, default=utcnow)


class WhatsAppContact(Base):
    """A number that wrote to us, and when it last did."""

    __tablename__ = "whatsapp_contacts"

    number = Column(String(20), primary_key=True)
    last_inbound_at = Column(DateTime, nullable=False)


class WhatsAppStatus(Base):
    """A status update of one of our outbound messages; a redelivered update is recorded once."""

    __tablename__ = "whatsapp_statuses"
    __table_args__ = (UniqueConstraint("message_id", "status"),)

    id = Column(Integer, primary_key=True)
    message_id = Column(String(128), nullable=False)
    status = Column(db_enum(OutboundStatus), nullable=False)
    at = Column(DateTime, nullable=False)
    recipient = Column(String(20), nullable=False)
    errors = Column(JSON, nullable=False)
    recorded_at = Column(DateTime, nullable=False, default=utcnow)
