"""The backend's tables, one module per domain; everything is importable from here."""

from bot.backend.models.base import Base, utcnow
from bot.backend.models.channels import (
    OutboundStatus,
    WhatsAppContact,
    WhatsAppInbound,
    WhatsAppOutbound,
    WhatsAppStatus,
)
from bot.backend.models.disputes import (
    ACTIVE_DISPUTE_STATUSES,
    Dispute,
    DisputeEvidence,
    DisputeLine,
    DisputeMessage,
    DisputeReason,
    DisputeStatus,
    ExpectedResult,
    RefundMethod,
    ResendProposal,
)
from bot.backend.models.evidence import Evidence, EvidenceKind, EvidencePurpose, LinkMedia
from bot.backend.models.limits import MessageAllowance, SignInThrottle
from bot.backend.models.money import LedgerAccount, LedgerEntry, LedgerKind, Refund, RefundStatus
from bot.backend.models.orders import Actor, Order, OrderKind, OrderLine, OrderLogEntry, OrderStatus, PaymentMethod, Processing
from bot.backend.models.records import BackendMeta, IdempotencyRecord, NumberSequence
from bot.backend.models.returns import ReturnRequest, ReturnStatus
from bot.backend.models.sellers import IdentityKind, Seller, SellerIdentity
from bot.backend.models.tickets import (
    ACTIVE_TICKET_STATUSES,
    PRIORITY_RANK,
    Agent,
    AgentRole,
    AgentSession,
    AuditEntry,
    AuthorKind,
    Channel,
    DeliveryState,
    Handoff,
    Priority,
    Ticket,
    TicketMessage,
    TicketReason,
    TicketStatus,
)

__all__ = [name for name in dir() if not name.startswith("_")]
