"""Request bodies and query strings of every operation."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from pydantic import StrictBool, conint, conlist, root_validator, validator

from bot.backend.models import (
    AgentRole,
    Channel,
    DeliveryState,
    DisputeReason,
    DisputeStatus,
    EvidencePurpose,
    ExpectedResult,
    LedgerAccount,
    LinkMedia,
    OrderKind,
    OrderStatus,
    OutboundStatus,
    PaymentMethod,
    Priority,
    RefundMethod,
    TicketReason,
    TicketStatus,
)
from bot.backend.schemas.common import (
    Amount,
    Currency,
    Email,
    EvidenceId,
    ExternalId,
    Model,
    NumberText,
    Page,
    SellerId,
    Url,
    WhatsAppSender,
    text,
    utc_naive,
)


# The cases a seller may open a dispute for: every reason code but `other` (seed 001 §16, plus cancelling
# before dispatch); `other` only comes from the platform's own records.
SellerDisputeReason = enum.Enum(  # type: ignore[misc]
    "SellerDisputeReason", {r.name: r.value for r in DisputeReason if r is not DisputeReason.OTHER}, type=str)


Quantity = conint(strict=True, ge=1, le=10_000)
LineNo = conint(strict=True, ge=1, le=1_000)
EvidenceIds = conlist(EvidenceId, max_items=20)


# ------------------------------------------------------------------ queries


class OrderQuery(Page):
    status: Optional[OrderStatus] = None
    kind: Optional[OrderKind] = None


class DisputeQuery(Page):
    status: Optional[DisputeStatus] = None
    active: Optional[bool] = None  # true: open, resend_proposed, resend_agreed; false: the ended ones
    order_number: Optional[NumberText] = None  # type: ignore[valid-type]


class WalletQuery(Page):
    account: LedgerAccount = LedgerAccount.BALANCE


class QueueAssignee(str, enum.Enum):
    ME = "me"
    UNASSIGNED = "unassigned"
    ANY = "any"


class QueueQuery(Page):
    status: Optional[TicketStatus] = None  # default: every active ticket (new, open, pending)
    assignee: QueueAssignee = QueueAssignee.ANY


class AuditQuery(Page):
    ticket_number: Optional[NumberText] = None  # type: ignore[valid-type]


# ------------------------------------------------------------------ assistant


class DisputeLineRequest(Model):
    line_no: LineNo  # type: ignore[valid-type]
    quantity: Quantity  # type: ignore[valid-type]


class OpenDispute(Model):
    order_number: NumberText  # type: ignore[valid-type]
    lines: Optional[conlist(DisputeLineRequest, min_items=1, max_items=50)] = None  # type: ignore[valid-type]
    expected_result: ExpectedResult
    reason: SellerDisputeReason
    refund_type: Optional[RefundMethod] = None
    buyer_email: Optional[Email] = None  # type: ignore[valid-type]
    message: text(4000)  # type: ignore[valid-type]
    evidence_ids: EvidenceIds = []  # type: ignore[valid-type]

    @root_validator(skip_on_failure=True)
    def _refund_type_iff_refund(cls, values: dict) -> dict:  # noqa: N805
        if values.get("expected_result") is ExpectedResult.REFUND and values.get("refund_type") is None:
            raise ValueError("a refund needs refund_type: balance (CJ Wallet) or original (the payment account)")
        if values.get("expected_result") is ExpectedResult.RESEND and values.get("refund_type") is not None:
            raise ValueError("a resend takes no refund_type")
        return values


class DisputeMessageRequest(Model):
    body: text(4000)  # type: ignore[valid-type]
    evidence_ids: EvidenceIds = []  # type: ignore[valid-type]


class CreateReturn(Model):
    order_number: NumberText  # type: ignore[valid-type]
    store_link: Url  # type: ignore[valid-type]
    store_image_evidence_id: EvidenceId  # type: ignore[valid-type]


class EvidenceLink(Model):
    url: Url  # type: ignore[valid-type]
    media: LinkMedia
    purpose: EvidencePurpose


class EvidenceNote(Model):
    text: text(4000)  # type: ignore[valid-type]
    purpose: EvidencePurpose


class UploadQuery(Model):
    purpose: EvidencePurpose = EvidencePurpose.OTHER


class EvidenceChange(Model):
    purpose: EvidencePurpose


class PutTicket(Model):
    seller_id: Optional[SellerId] = None  # type: ignore[valid-type]
    channel: Channel
    reason: TicketReason
    priority: Optional[Priority] = None
    summary: text(4000)  # type: ignore[valid-type]
    order_numbers: conlist(NumberText, max_items=20) = []  # type: ignore[valid-type]
    dispute_numbers: conlist(NumberText, max_items=20) = []  # type: ignore[valid-type]
    transcript_url: Optional[Url] = None  # type: ignore[valid-type]


class SellerTicketMessage(Model):
    body: text(4000)  # type: ignore[valid-type]
    external_id: Optional[ExternalId] = None  # type: ignore[valid-type]
    evidence_ids: EvidenceIds = []  # type: ignore[valid-type]


class MessageAdmissionRequest(Model):
    # `seller:<id>`, or `wa:<number>` for a WhatsApp number linked to no seller (bot/channels/limits.py).
    sender: text(160)  # type: ignore[valid-type]


class WhatsAppInboundRequest(Model):
    number: WhatsAppSender  # type: ignore[valid-type]
    received_at: datetime

    _utc = validator("received_at", allow_reuse=True)(utc_naive)


class WhatsAppError(Model):
    code: conint(strict=True, ge=0, le=10**9)  # type: ignore[valid-type]
    title: text(200)  # type: ignore[valid-type]
    message: Optional[text(1000)] = None  # type: ignore[valid-type]


class WhatsAppStatusRequest(Model):
    status: OutboundStatus
    at: datetime
    recipient: WhatsAppSender  # type: ignore[valid-type]
    errors: conlist(WhatsAppError, max_items=10) = []  # type: ignore[valid-type]

    _utc = validator("at", allow_reuse=True)(utc_naive)


class AgentReplyAttempt(Model):
    """One attempt of the WhatsApp channel to deliver an agent's reply: WhatsApp's message id, or its error."""

    whatsapp_message_id: Optional[text(128)] = None  # type: ignore[valid-type]
    template: StrictBool = False
    error: Optional[text(500)] = None  # type: ignore[valid-type]


# ------------------------------------------------------------------ platform


class CreateSeller(Model):
    id: SellerId  # type: ignore[valid-type]
    name: text(120)  # type: ignore[valid-type]
    email: Email  # type: ignore[valid-type]
    wallet_currency: Currency = "USD"  # type: ignore[valid-type]
    wallet_top_up: Optional[Amount] = None  # type: ignore[valid-type]


class TopUp(Model):
    amount: Amount  # type: ignore[valid-type]
    description: Optional[text(200)] = None  # type: ignore[valid-type]


class NewOrderLine(Model):
    sku: text(60)  # type: ignore[valid-type]
    product: text(200)  # type: ignore[valid-type]
    quantity: Quantity  # type: ignore[valid-type]
    unit_price: Amount  # type: ignore[valid-type]


class CreateOrder(Model):
    """A new order; `advance_to` walks it through pay/dispatch/deliver/complete/close (or cancel) at once, the
    same steps the separate calls take, so tests get an order in any state in one call."""

    seller_id: SellerId  # type: ignore[valid-type]
    kind: OrderKind = OrderKind.STORE
    currency: Currency = "USD"  # type: ignore[valid-type]
    lines: conlist(NewOrderLine, min_items=1, max_items=20)  # type: ignore[valid-type]
    shipping_cost: Amount = "0.00"  # type: ignore[valid-type]
    store_name: Optional[text(120)] = None  # type: ignore[valid-type]
    advance_to: OrderStatus = OrderStatus.UNPAID
    payment_method: PaymentMethod = PaymentMethod.PAYPAL
    carrier: text(60) = "YunExpress"  # type: ignore[valid-type]
    tracking_number: Optional[text(60)] = None  # type: ignore[valid-type]


class PayOrder(Model):
    method: PaymentMethod = PaymentMethod.PAYPAL


class DispatchOrder(Model):
    carrier: text(60)  # type: ignore[valid-type]
    tracking_number: text(60)  # type: ignore[valid-type]


class ApproveRefund(Model):
    amount: Optional[Amount] = None  # type: ignore[valid-type]  # default: what the dispute may refund
    note: Optional[text(500)] = None  # type: ignore[valid-type]


class ProposeResend(Model):
    details: text(500)  # type: ignore[valid-type]


class ShipResend(Model):
    carrier: text(60)  # type: ignore[valid-type]
    tracking_number: text(60)  # type: ignore[valid-type]


class RejectDispute(Model):
    note: text(500)  # type: ignore[valid-type]


class PlatformDisputeMessage(Model):
    body: text(4000)  # type: ignore[valid-type]


class LinkWhatsApp(Model):
    seller_id: SellerId  # type: ignore[valid-type]


class LinkHelpPage(Model):
    seller_id: SellerId  # type: ignore[valid-type]


class CloseReturn(Model):
    note: Optional[text(200)] = None  # type: ignore[valid-type]  # why, for the order log (e.g. "refunded")


def _long_enough(value: str) -> str:
    if len(value) < 12:
        raise ValueError("passwords have at least 12 characters")
    return value


class CreateAgent(Model):
    email: Email  # type: ignore[valid-type]
    name: text(120)  # type: ignore[valid-type]
    role: AgentRole = AgentRole.AGENT
    password: text(200)  # type: ignore[valid-type]

    _password = validator("password", allow_reuse=True)(_long_enough)


class SetAgentPassword(Model):
    password: text(200)  # type: ignore[valid-type]

    _password = validator("password", allow_reuse=True)(_long_enough)


# ------------------------------------------------------------------ console


class SignIn(Model):
    email: text(254)  # type: ignore[valid-type]
    password: text(200)  # type: ignore[valid-type]
    # The browser's address, passed on by the console: failed sign-ins are throttled per address too.
    client_address: Optional[text(64)] = None  # type: ignore[valid-type]
    ttl_seconds: Optional[conint(strict=True, ge=1, le=8 * 3600)] = None  # type: ignore[valid-type]


class AgentReply(Model):
    body: text(4000)  # type: ignore[valid-type]
    internal: StrictBool = False


class TicketStatusChange(Model):
    status: TicketStatus


class Reassign(Model):
    agent_id: conint(strict=True, ge=1, le=2**31 - 1)  # type: ignore[valid-type]


class Resolve(Model):
    note: Optional[text(4000)] = None  # type: ignore[valid-type]


class HandBack(Model):
    note: Optional[text(4000)] = None  # type: ignore[valid-type]


# What a delivery report may say about an agent's reply (`recorded`/`pending` are the backend's own states).
ReportedDelivery = enum.Enum(  # type: ignore[misc]
    "ReportedDelivery", {s.name: s.value for s in DeliveryState if s.value not in ("recorded", "pending")}, type=str)


class DeliveryUpdate(Model):
    delivery_state: ReportedDelivery  # type: ignore[valid-type]

