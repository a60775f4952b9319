"""Response bodies, as `bot/backend/views.py` builds them. Money is a decimal string with its currency; times
are ISO 8601 in UTC (`2024-10-15T10:00:00+00:00`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional

from bot.backend.models import (
    Actor,
    AgentRole,
    AuthorKind,
    Channel,
    DeliveryState,
    DisputeReason,
    DisputeStatus,
    EvidenceKind,
    EvidencePurpose,
    ExpectedResult,
    Handoff,
    IdentityKind,
    LedgerAccount,
    LedgerKind,
    LinkMedia,
    OrderKind,
    OrderStatus,
    OutboundStatus,
    PaymentMethod,
    Priority,
    Processing,
    RefundMethod,
    RefundStatus,
    ReturnStatus,
    TicketStatus,
)
from bot.backend.schemas.common import Out, Paged


class Health(Out):
    status: str


class IdentityOut(Out):
    kind: IdentityKind
    external_id: str
    linked_at: datetime


class WalletBalance(Out):
    balance: str
    currency: str


class SellerOut(Out):
    id: str
    name: str
    email: str
    wallet: WalletBalance
    identities: List[IdentityOut]


class RefundOut(Out):
    id: int
    dispute_number: str
    order_number: str
    amount: str
    currency: str
    method: RefundMethod
    status: RefundStatus
    approved_at: datetime
    completed_at: Optional[datetime]
    ledger_entry_id: Optional[int]


class DisputeSummary(Out):
    number: str
    order_number: str
    expected_result: ExpectedResult
    refund_type: Optional[RefundMethod]
    reason: DisputeReason
    status: DisputeStatus
    active: bool
    opened_at: datetime
    resolved_at: Optional[datetime]
    line_nos: List[int]
    refund: Optional[RefundOut]


class OrderLineOut(Out):
    line_no: int
    sku: str
    product: str
    quantity: int
    unit_price: str
    amount: str
    dispute_number: Optional[str]  # the active dispute covering this line


class PaymentOut(Out):
    status: str  # unpaid | paid
    method: Optional[PaymentMethod]
    paid_at: Optional[datetime]


class ShippingOut(Out):
    carrier: Optional[str]
    tracking_number: Optional[str]
    dispatched_at: Optional[datetime]
    delivered_at: Optional[datetime]


class ReturnSummary(Out):
    number: str
    status: ReturnStatus
    return_link: str
    created_at: datetime


class Verdict(Out):
    allowed: bool
    reason: Optional[str]


class DisputeVerdict(Out):
    allowed: bool
    reason: Optional[str]
    expected_results: List[ExpectedResult]
    line_nos: List[int]
    proof: Dict[str, List[str]]
    dispute_numbers: Optional[List[str]]


class Eligibility(Out):
    cancel: Verdict
    dispute: DisputeVerdict
    return_: Verdict

    class Config:
        fields = {"return_": "return"}


class OrderOut(Out):
    number: str
    seller_id: str
    kind: OrderKind
    status: OrderStatus
    processing: Processing
    currency: str
    amount: str
    subtotal: str
    shipping_cost: str
    store_name: Optional[str]
    created_at: datetime
    completed_at: Optional[datetime]
    closed_at: Optional[datetime]
    cancelled_at: Optional[datetime]
    lines: List[OrderLineOut]
    payment: PaymentOut
    shipping: ShippingOut
    disputes: List[DisputeSummary]
    returns: List[ReturnSummary]
    eligibility: Eligibility


class LogEntryOut(Out):
    at: datetime
    event: str
    actor: Actor
    message: str
    dispute_number: Optional[str]


class EvidenceOut(Out):
    id: str
    kind: EvidenceKind
    purpose: EvidencePurpose
    content_type: Optional[str]
    size: Optional[int]
    sha256: Optional[str]
    filename: Optional[str]
    url: Optional[str]
    media: Optional[LinkMedia]
    text: Optional[str]
    created_at: datetime


class DisputeLineOut(Out):
    line_no: int
    sku: str
    product: str
    quantity: int


class DisputeMessageOut(Out):
    id: int
    author: Actor
    body: str
    created_at: datetime
    evidence_ids: List[str]


class ResendOut(Out):
    details: str
    proposed_at: datetime
    agreed_at: Optional[datetime]
    shipped_at: Optional[datetime]
    carrier: Optional[str]
    tracking_number: Optional[str]


class DisputeOut(Out):
    number: str
    order_number: str
    expected_result: ExpectedResult
    refund_type: Optional[RefundMethod]
    reason: DisputeReason
    reason_detail: Optional[str]
    status: DisputeStatus
    active: bool
    opened_at: datetime
    resolved_at: Optional[datetime]
    decision_note: Optional[str]
    buyer_email: Optional[str]
    line_nos: List[int]
    lines: List[DisputeLineOut]
    refund: Optional[RefundOut]
    resend: Optional[ResendOut]
    messages: List[DisputeMessageOut]
    evidence: List[EvidenceOut]
    timeline: List[LogEntryOut]
    order_status: OrderStatus
    order_processing: Processing


class LedgerEntryOut(Out):
    id: int
    account: LedgerAccount
    kind: LedgerKind
    amount: str
    currency: str
    description: str
    created_at: datetime
    order_number: Optional[str]
    dispute_number: Optional[str]


class WalletOut(Out):
    balance: str
    currency: str
    account: LedgerAccount
    items: List[LedgerEntryOut]
    limit: int
    offset: int
    total: int


class ReturnOut(Out):
    number: str
    order_number: str
    status: ReturnStatus
    store_link: str
    store_image_evidence_id: str
    return_link: str
    created_at: datetime


class HandoffOut(Out):
    state: Handoff
    agent_name: Optional[str]


class TicketMessageOut(Out):
    id: int
    author_kind: AuthorKind
    author_name: Optional[str]
    body: str
    internal: bool
    delivery_state: DeliveryState
    delivery_error: Optional[str]  # why the channel could not deliver it (WhatsApp's error)
    external_id: Optional[str]
    evidence_ids: List[str]
    created_at: datetime


class DeliveryAttemptOut(Out):
    message: TicketMessageOut
    interrupted_attempt: bool  # an earlier attempt never reported back: look before delivering again


class TicketOut(Out):
    number: str
    seller_id: Optional[str]
    conversation_id: str
    channel: Channel
    reasons: List[str]
    summary: str
    priority: Priority
    status: TicketStatus
    handoff: HandoffOut
    order_numbers: List[str]
    dispute_numbers: List[str]
    transcript_url: Optional[str]
    created_at: datetime
    updated_at: datetime
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_responded_at: Optional[datetime]
    solved_at: Optional[datetime]
    messages: List[TicketMessageOut]
    undelivered_replies: List[int]  # agent replies that did not reach the seller (ids of messages): flagged


class QueuePlace(Out):
    position: int  # 1: next for the next free agent
    ahead: int


class SupportHoursNow(Out):
    open_now: bool
    next_open_at: Optional[datetime]  # null while open
    schedule: Optional[str]  # ALEX_SUPPORT_HOURS in its canonical spelling, e.g. "Mon-Fri 09:00-18:00"; null: always
    timezone: str  # the schedule's IANA time zone


class ConversationTicketOut(TicketOut):
    """The ticket as the assistant sees it, with what to tell the seller while they wait. `queue` and
    `estimated_wait_minutes` are null unless the ticket waits for a person (handoff `waiting`)."""

    queue: Optional[QueuePlace]
    estimated_wait_minutes: Optional[int]
    support_hours: SupportHoursNow


class TicketMessageCreated(Out):
    ticket_number: str
    duplicate: bool
    message: TicketMessageOut
    handoff: HandoffOut


class WhatsAppIdentity(Out):
    seller_id: str
    last_inbound_at: Optional[datetime]


class InboundRecorded(Out):
    message_id: str
    duplicate: bool


class MessageAdmission(Out):
    admitted: bool
    retry_after_seconds: int
    first_refusal: bool


class AgentReplyToResend(Out):
    ticket: str
    message_id: int
    body: str


class StatusRecorded(Out):
    message_id: str
    status: OutboundStatus
    duplicate: bool
    # The agent reply this message carried, when WhatsApp refused it outside the window: resend it as the template.
    resend_as_template: bool
    agent_reply: Optional[AgentReplyToResend]


class AgentReplyAttemptRecorded(Out):
    message: TicketMessageOut
    resend_as_template: bool
    agent_reply: Optional[AgentReplyToResend]


class WhatsAppLink(Out):
    number: str
    seller_id: str
    linked_at: datetime


class Unlinked(Out):
    number: str
    unlinked: bool


class HelpPageLink(Out):
    account_id: str
    seller_id: str
    linked_at: datetime


class HelpPageUnlinked(Out):
    account_id: str
    unlinked: bool


# ------------------------------------------------------------------ console


class AgentOut(Out):
    id: int
    email: str
    name: str
    role: AgentRole
    active: bool


class AgentDeactivated(Out):
    agent: AgentOut
    sessions_ended: int
    tickets_released: List[str]  # the active tickets the agent held, back in the queue unassigned


class AgentPasswordSet(Out):
    agent: AgentOut
    sessions_ended: int


class SessionOut(Out):
    token: str
    expires_at: datetime
    agent: AgentOut


class SignedOut(Out):
    signed_out: bool


class AssigneeOut(Out):
    id: int
    name: str


class QueueItem(Out):
    number: str
    seller_id: Optional[str]
    channel: Channel
    reasons: List[str]
    summary: str
    priority: Priority
    status: TicketStatus
    handoff: Handoff
    assignee: Optional[AssigneeOut]
    created_at: datetime
    updated_at: datetime
    first_response_due_at: datetime
    resolution_due_at: datetime
    first_responded_at: Optional[datetime]
    first_response_overdue: bool
    resolution_overdue: bool


class SellerContext(Out):
    seller: Optional[SellerOut]
    orders: List[OrderOut]
    disputes: List[DisputeSummary]


class AgentTicketOut(Out):
    ticket: TicketOut
    assignee: Optional[AssigneeOut]
    context: SellerContext
    allowed_statuses: List[TicketStatus]


class AuditOut(Out):
    id: int
    at: datetime
    actor: str
    agent: Optional[AssigneeOut]
    action: str
    ticket_number: Optional[str]
    details: Dict[str, Any]


OrderPage = Paged[OrderOut]
LogPage = Paged[LogEntryOut]
DisputePage = Paged[DisputeSummary]
RefundPage = Paged[RefundOut]
ReturnPage = Paged[ReturnOut]
TicketPage = Paged[TicketOut]
QueuePage = Paged[QueueItem]
AuditPage = Paged[AuditOut]
AgentPage = Paged[AgentOut]
