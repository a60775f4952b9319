"""Tickets for human agents, their message thread, the agents and their sessions, and the audit log."""

from __future__ import annotations

import enum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from bot.backend.models.base import Base, db_enum, utcnow


class Channel(str, enum.Enum):
    WEB = "web"
    WHATSAPP = "whatsapp"


class TicketReason(str, enum.Enum):
    SELLER_REQUEST = "seller_request"
    NOT_UNDERSTOOD = "not_understood"
    FORM_FAILED = "form_failed"
    BACKEND_FAILURE = "backend_failure"
    NEEDS_AGENT = "needs_agent"
    CHARGEBACK = "chargeback"
    ACCOUNT_BLOCKED = "account_blocked"
    FRUSTRATION = "frustration"


class Priority(str, enum.Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class TicketStatus(str, enum.Enum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    SOLVED = "solved"
    CLOSED = "closed"


ACTIVE_TICKET_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


class Handoff(str, enum.Enum):
    """Who holds the conversation: waiting for an agent, an agent (the bot stays quiet), or the bot again."""

    WAITING = "waiting"
    AGENT = "agent"
    RETURNED = "returned"


class AuthorKind(str, enum.Enum):
    SELLER = "seller"
    AGENT = "agent"
    BOT = "bot"
    SYSTEM = "system"


class DeliveryState(str, enum.Enum):
    """For agent messages on their way to the seller; messages that travel nowhere are `recorded`."""

    RECORDED = "recorded"
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class AgentRole(str, enum.Enum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"  # may reassign other agents' tickets and read the whole audit log


class Agent(Base):
    __tablename__ = "agents"

    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True)
    name = Column(String(120), nullable=False)
    role = Column(db_enum(AgentRole), nullable=False)
    password_hash = Column(String(300), nullable=False)  # scrypt, with its parameters and salt (bot/backend/passwords.py)
    active = Column(Boolean(create_constraint=False), nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class AgentSession(Base):
    """A signed-in console session; only the token's SHA-256 is stored, so a database leak signs nobody in."""

    __tablename__ = "agent_sessions"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id = Column(Integer, primary_key=True)
    agent_id = Column(Integer, ForeignKey("agents.id"), nullable=False, index=True)
    token_hash = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    ended_at = Column(DateTime)

    agent = relationship("Agent")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # One active ticket per conversation: `active_conversation_id` repeats the conversation id while the
        # ticket is new/open/pending and is NULL afterwards; UNIQUE lets one of two concurrent PUTs create it.
        UniqueConstraint("active_conversation_id", name="uq_tickets_one_active_ticket_per_conversation"),
        CheckConstraint(
            "(status IN ('new', 'open', 'pending')) = (active_conversation_id IS NOT NULL)",
            name="active_iff_status_active",
        ),
        CheckConstraint(
            "active_conversation_id IS NULL OR active_conversation_id = conversation_id",
            name="active_conversation_is_own",
        ),
        CheckConstraint("handoff <> 'agent' OR assignee_id IS NOT NULL", name="agent_handoff_has_assignee"),
        CheckConstraint("status NOT IN ('solved', 'closed') OR solved_at IS NOT NULL", name="solved_has_solved_at"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False, unique=True)
    seller_id = Column(String(32), ForeignKey("sellers.id"), index=True)  # NULL: an unlinked WhatsApp number
    conversation_id = Column(String(200), nullable=False, index=True)
    active_conversation_id = Column(String(200))
    channel = Column(db_enum(Channel), nullable=False)
    reasons = Column(JSON, nullable=False)  # TicketReason values, in the order they arrived
    summary = Column(Text, nullable=False)
    priority = Column(db_enum(Priority), nullable=False)
    priority_rank = Column(Integer, nullable=False)  # PRIORITY_RANK of `priority`, for sorting the queue
    status = Column(db_enum(TicketStatus), nullable=False)
    handoff = Column(db_enum(Handoff), nullable=False)
    assignee_id = Column(Integer, ForeignKey("agents.id"), index=True)
    order_numbers = Column(JSON, nullable=False)
    dispute_numbers = Column(JSON, nullable=False)
    transcript_url = Column(String(2000))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    first_response_due_at = Column(DateTime, nullable=False)
    resolution_due_at = Column(DateTime, nullable=False)
    first_responded_at = Column(DateTime)
    solved_at = Column(DateTime)
    closed_at = Column(DateTime)

    assignee = relationship("Agent")
    seller = relationship("Seller")
    messages = relationship("TicketMessage", back_populates="ticket", order_by="TicketMessage.id")


class TicketMessage(Base):
    __tablename__ = "ticket_messages"
    __table_args__ = (
        UniqueConstraint("ticket_id", "external_id"),
        CheckConstraint("(author_kind = 'agent') = (agent_id IS NOT NULL)", name="agent_messages_name_agent"),
        CheckConstraint("NOT internal OR author_kind = 'agent'", name="only_agents_write_internal_notes"),
    )

    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id"), nullable=False, index=True)
    author_kind = Column(db_enum(AuthorKind), nullable=False)
    agent_id = Column(Integer, ForeignKey("agents.id"))
    body = Column(Text, nullable=False)
    internal = Column(Boolean(create_constraint=False), nullable=False, default=False)
    delivery_state = Column(db_enum(DeliveryState), nullable=False)
    delivery_attempt_at = Column(DateTime)  # the attempt under way that alone may deliver the reply (None: none)
    delivery_error = Column(String(500))  # why the channel could not deliver the reply (WhatsApp's error)
    delivery_reported_at = Column(DateTime)  # when the channel last reported on the reply (it outranks the console)
    external_id = Column(String(128))  # the channel's message id: a redelivered message is recorded once
    evidence_ids = Column(JSON, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    ticket = relationship("Ticket", back_populates="messages")
    agent = relationship("Agent")


class AuditEntry(Base):
    """Who did what to a ticket (or to agents), for supervisors and for disputes about the support itself."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    agent_id = Column(Integer, ForeignKey("agents.id"), index=True)
    actor = Column(String(16), nullable=False)  # agent | assistant | platform | system
    action = Column(String(40), nullable=False)
    ticket_id = Column(Integer, ForeignKey("tickets.id"), index=True)
    details = Column(JSON, nullable=False)

    agent = relationship("Agent")
