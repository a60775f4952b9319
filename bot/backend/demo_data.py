"""The deterministic demo data set: two sellers with an order in every state the bot must explain or act on,
spare orders for flows that consume one, WhatsApp links, two agents and a few tickets.

The README's demo data table is written from this file; tests rely on it. Re-seeding replaces everything, so
a demo always starts from the same facts. Tests that change data should create their own orders through the
platform API (POST /v1/platform/orders with `advance_to`) instead of consuming these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.backend.models import (
    Actor,
    Agent,
    AgentRole,
    AuthorKind,
    BackendMeta,
    Base,
    Channel,
    DeliveryState,
    Dispute,
    DisputeEvidence,
    DisputeLine,
    DisputeMessage,
    DisputeReason,
    DisputeStatus,
    Evidence,
    EvidenceKind,
    EvidencePurpose,
    ExpectedResult,
    Handoff,
    IdentityKind,
    LedgerAccount,
    LedgerEntry,
    LedgerKind,
    LinkMedia,
    NumberSequence,
    Order,
    OrderKind,
    OrderLine,
    OrderLogEntry,
    OrderStatus,
    PaymentMethod,
    PRIORITY_RANK,
    Priority,
    Processing,
    Refund,
    RefundMethod,
    RefundStatus,
    ResendProposal,
    ReturnRequest,
    ReturnStatus,
    Seller,
    SellerIdentity,
    Ticket,
    TicketMessage,
    TicketStatus,
    utcnow,
)
from bot.backend.money import format_cents
from bot.backend.passwords import hash_password
from bot.backend.rules import sla_due
from bot.support_hours import ALWAYS, SupportHours

DEMO_DATA_VERSION = "3"
CARRIER = "YunExpress"

SELLERS = (
    ("S1001", "Ava's Gadget Store", "ava@example.com", 50000),
    ("S1002", "Bruno Home & Living", "bruno@example.com", 30000),
)
WHATSAPP_LINKS = (("+15550101001", "S1001"), ("+15550101002", "S1001"), ("+15550102001", "S1002"))
AGENTS = (("agent@alex.example", "Dana Agent", AgentRole.AGENT),
          ("supervisor@alex.example", "Sam Supervisor", AgentRole.SUPERVISOR))

# sku, product, unit price in cents
EARBUDS = ("GD-EARBUD-01", "Wireless earbuds", 1899)
CHARGER = ("GD-CHARGER-65", "65W USB-C charger", 1250)
CABLE = ("GD-CABLE-2M", "Braided USB-C cable 2 m", 399)
WATCH = ("GD-WATCH-S2", "Smart watch S2", 3490)
LAMP = ("GD-LAMP-RGB", "RGB desk lamp", 2275)
STAND = ("GD-STAND-AL", "Aluminium phone stand", 850)
MUGS = ("HL-MUG-SET4", "Ceramic mug set (4)", 1590)
THROW = ("HL-THROW-GRY", "Knitted throw, grey", 2480)
CANDLES = ("HL-CANDLE-3", "Soy candle trio", 1275)
VASE = ("HL-VASE-GLS", "Glass vase", 990)


def _at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2024, month, day, hour, 0)


@dataclass(frozen=True)
class DemoDispute:
    number: str
    expected: ExpectedResult
    reason: DisputeReason
    status: DisputeStatus
    opened: datetime
    refund_type: RefundMethod | None = None
    resolved: datetime | None = None
    refund_status: RefundStatus | None = None
    refund_completed: datetime | None = None
    reason_detail: str | None = None
    line_nos: tuple[int, ...] | None = None  # None: every line
    resend_details: str | None = None


@dataclass(frozen=True)
class DemoOrder:
    seller: str
    number: str
    status: OrderStatus
    created: datetime
    lines: Sequence[tuple[tuple[str, str, int], int]]  # ((sku, product, unit price), quantity)
    kind: OrderKind = OrderKind.STORE
    dispute: DemoDispute | None = None
    method: PaymentMethod = PaymentMethod.PAYPAL
    shipping_cents: int = 0
    return_number: str | None = None


def _one(product: tuple[str, str, int], cents: int) -> list[tuple[tuple[str, str, int], int]]:
    """A single line worth exactly `cents` (the issue-2 orders had amounts but no lines)."""
    return [((product[0], product[1], cents), 1)]


_D = DemoDispute
# ---------------------------------------------------------------- the issue-2 set: numbers, amounts, answers kept
LEGACY = (
    DemoOrder("S1001", "CJ2410180012345", OrderStatus.COMPLETED, _at(10, 1), [((EARBUDS[0], EARBUDS[1], 2125), 2)],
              dispute=_D("SH2410200045", ExpectedResult.REFUND, DisputeReason.DAMAGED_PRODUCT, DisputeStatus.REFUNDED,
                         _at(10, 12), RefundMethod.BALANCE, _at(10, 14), RefundStatus.DONE, _at(10, 15))),
    DemoOrder("S1001", "CJ2410180012346", OrderStatus.COMPLETED, _at(10, 2), _one(CHARGER, 1890),
              dispute=_D("SH2410200046", ExpectedResult.REFUND, DisputeReason.WRONG_PRODUCT, DisputeStatus.REFUNDED,
                         _at(10, 13), RefundMethod.BALANCE, _at(10, 16), RefundStatus.PENDING)),
    DemoOrder("S1001", "CJ2410180012347", OrderStatus.COMPLETED, _at(10, 3),
              [((WATCH[0], WATCH[1], 3490), 1), ((LAMP[0], LAMP[1], 3010), 1)],
              dispute=_D("SH2410200047", ExpectedResult.REFUND, DisputeReason.LOST_PACKAGE, DisputeStatus.REFUNDED,
                         _at(10, 14), RefundMethod.ORIGINAL, _at(10, 17), RefundStatus.DONE, _at(10, 19))),
    DemoOrder("S1001", "CJ2410180012348", OrderStatus.PAID, _at(10, 20), _one(LAMP, 2730),
              dispute=_D("SH2410200048", ExpectedResult.REFUND, DisputeReason.CANCEL_BEFORE_DISPATCH,
                         DisputeStatus.REFUNDED, _at(10, 21), RefundMethod.ORIGINAL, _at(10, 22), RefundStatus.PENDING,
                         reason_detail="Buyer cancelled before dispatch")),
    DemoOrder("S1001", "CJ2410180012349", OrderStatus.DISPATCHED, _at(10, 5), _one(WATCH, 3300),
              dispute=_D("SH2410200049", ExpectedResult.REFUND, DisputeReason.DELAYED_ORDER, DisputeStatus.OPEN,
                         _at(10, 23), RefundMethod.BALANCE)),
    DemoOrder("S1001", "CJ2410180012350", OrderStatus.COMPLETED, _at(10, 6), _one(STAND, 2175),
              dispute=_D("SH2410200050", ExpectedResult.RESEND, DisputeReason.MISSING_PRODUCT, DisputeStatus.RESENT,
                         _at(10, 15), resolved=_at(10, 18), resend_details="Resend 1 x Aluminium phone stand.")),
    DemoOrder("S1001", "CJ2410180012351", OrderStatus.COMPLETED, _at(10, 7), _one(CABLE, 1999),
              dispute=_D("SH2410200051", ExpectedResult.REFUND, DisputeReason.OTHER, DisputeStatus.REJECTED,
                         _at(10, 16), RefundMethod.BALANCE, _at(10, 19), reason_detail="Buyer changed mind")),
    DemoOrder("S1001", "CJ2410180012352", OrderStatus.DISPATCHED, _at(10, 8), _one(LAMP, 5420),
              dispute=_D("SH2410200052", ExpectedResult.REFUND, DisputeReason.DELAYED_ORDER, DisputeStatus.CANCELLED,
                         _at(10, 17), RefundMethod.ORIGINAL, _at(10, 18))),
    DemoOrder("S1001", "CJ2410180012353", OrderStatus.UNPAID, _at(10, 24), _one(CHARGER, 1200)),
    DemoOrder("S1001", "CJ2410180012354", OrderStatus.CLOSED, _at(10, 9), _one(CABLE, 1540)),
    DemoOrder("S1001", "CJ2410180012355", OrderStatus.DISPATCHED, _at(10, 19), _one(EARBUDS, 3860)),
    DemoOrder("S1002", "CJ2410190020001", OrderStatus.COMPLETED, _at(10, 4), _one(THROW, 8800),
              dispute=_D("SH2410210001", ExpectedResult.REFUND, DisputeReason.DAMAGED_PRODUCT, DisputeStatus.REFUNDED,
                         _at(10, 12), RefundMethod.BALANCE, _at(10, 13), RefundStatus.DONE, _at(10, 14))),
    DemoOrder("S1002", "CJ2410190020002", OrderStatus.PAID, _at(10, 22), _one(MUGS, 2310)),
)


def _flows(seller: str, base: int, products: Sequence[tuple[str, str, int]], spares: dict[str, int],
           dispute_base: int) -> list[DemoOrder]:
    """Orders for the bot's flows: each state, with `spares[state]` interchangeable copies to consume."""
    a, b, c, d = products
    orders: list[DemoOrder] = []

    def number(n: int, prefix: str = "CJ") -> str:
        return f"{prefix}241105{base + n:07d}"

    def sh(n: int) -> str:
        return f"SH241106{dispute_base + n:04d}"

    two_lines = [(a, 1), (b, 2)]
    for i in range(spares["unpaid"]):
        orders.append(DemoOrder(seller, number(1 + i), OrderStatus.UNPAID, _at(11, 5, 9 + i),
                                two_lines if i % 2 == 0 else [(c, 1)], shipping_cents=450))
    for i in range(spares["paid"]):
        orders.append(DemoOrder(seller, number(11 + i), OrderStatus.PAID, _at(11, 4, 9 + i),
                                [(b, 1)] if i % 2 else two_lines, shipping_cents=450))
    for i in range(spares["dispatched"]):
        orders.append(DemoOrder(seller, number(21 + i), OrderStatus.DISPATCHED, _at(11, 3, 9 + i),
                                two_lines if i % 2 == 0 else [(a, 1)], shipping_cents=450))
    for i in range(spares["delivered"]):
        orders.append(DemoOrder(seller, number(31 + i), OrderStatus.DELIVERED, _at(11, 1, 9 + i),
                                [(c, 2), (d, 1)] if i % 2 == 0 else [(d, 1)], shipping_cents=450))
    for i in range(spares["completed"]):
        orders.append(DemoOrder(seller, number(41 + i), OrderStatus.COMPLETED, _at(10, 25, 9 + i), [(a, 1)]))
    orders.append(DemoOrder(seller, number(51), OrderStatus.CLOSED, _at(10, 20, 9), [(b, 1)]))
    orders.append(DemoOrder(seller, number(61), OrderStatus.CANCELLED, _at(11, 2, 9), [(c, 1)]))
    open_reasons = ((DisputeReason.DELAYED_ORDER, OrderStatus.DISPATCHED, ExpectedResult.REFUND, RefundMethod.BALANCE),
                    (DisputeReason.DAMAGED_PRODUCT, OrderStatus.DELIVERED, ExpectedResult.REFUND, RefundMethod.ORIGINAL),
                    (DisputeReason.MISSING_PRODUCT, OrderStatus.DELIVERED, ExpectedResult.RESEND, None))
    for i in range(spares["open_dispute"]):
        reason, status, expected, refund_type = open_reasons[i % 3]
        orders.append(DemoOrder(seller, number(71 + i), status, _at(10, 28, 9 + i), [(a, 1), (c, 1)],
                                dispute=_D(sh(71 + i), expected, reason, DisputeStatus.OPEN, _at(11, 6, 9 + i),
                                           refund_type)))
    for i in range(spares["resend_proposed"]):
        orders.append(DemoOrder(seller, number(81 + i), OrderStatus.DELIVERED, _at(10, 27, 9 + i), [(b, 1)],
                                dispute=_D(sh(81 + i), ExpectedResult.RESEND, DisputeReason.WRONG_PRODUCT,
                                           DisputeStatus.RESEND_PROPOSED, _at(11, 6, 12 + i),
                                           resend_details=f"Resend 1 x {b[1]} with {CARRIER}; ships within 3 days "
                                                          "of your agreement.")))
    orders.append(DemoOrder(seller, number(91), OrderStatus.DELIVERED, _at(10, 26, 9), [(a, 1)], kind=OrderKind.SAMPLE))
    orders.append(DemoOrder(seller, number(92), OrderStatus.PAID, _at(11, 4, 15), [(b, 1)], kind=OrderKind.SAMPLE))
    orders.append(DemoOrder(seller, number(101, "ZF"), OrderStatus.DISPATCHED, _at(10, 30, 9),
                            [(a, 50), (b, 40), (c, 100)], kind=OrderKind.WHOLESALE, shipping_cents=4500))
    orders.append(DemoOrder(seller, number(102, "ZF"), OrderStatus.PAID, _at(11, 4, 16), [(d, 30)],
                            kind=OrderKind.WHOLESALE, shipping_cents=2500, method=PaymentMethod.BANK_TRANSFER))
    orders.append(DemoOrder(seller, number(111), OrderStatus.PAID, _at(11, 4, 17), [(d, 20)], kind=OrderKind.PREORDER))
    orders.append(DemoOrder(seller, number(112), OrderStatus.DISPATCHED, _at(10, 29, 9), [(c, 10)],
                            kind=OrderKind.PREORDER))
    orders.append(DemoOrder(seller, number(121), OrderStatus.DELIVERED, _at(10, 31, 9), [(a, 1), (b, 1), (c, 3)],
                            shipping_cents=450,
                            dispute=_D(sh(121), ExpectedResult.REFUND, DisputeReason.DAMAGED_PRODUCT,
                                       DisputeStatus.OPEN, _at(11, 6, 15), RefundMethod.BALANCE, line_nos=(1,))))
    orders.append(DemoOrder(seller, number(131), OrderStatus.COMPLETED, _at(10, 21, 9), [(d, 1)],
                            return_number=f"RT2411070{dispute_base // 200 + 1:03d}"))
    orders.append(DemoOrder(seller, number(141), OrderStatus.DISPATCHED, _at(11, 3, 18), [(b, 1)],
                            method=PaymentMethod.BALANCE))
    return orders


FLOWS = (
    _flows("S1001", 10000, (EARBUDS, CHARGER, CABLE, WATCH),
           {"unpaid": 5, "paid": 5, "dispatched": 8, "delivered": 5, "completed": 3, "open_dispute": 3,
            "resend_proposed": 3}, 0)
    + _flows("S1002", 20000, (MUGS, THROW, CANDLES, VASE),
             {"unpaid": 2, "paid": 2, "dispatched": 3, "delivered": 2, "completed": 1, "open_dispute": 1,
              "resend_proposed": 1}, 200)
)
ORDERS: tuple[DemoOrder, ...] = LEGACY + tuple(FLOWS)


@dataclass
class _Seeder:
    session: Session
    evidence_count: int = 0
    links: dict[str, int] = field(default_factory=dict)

    def log(self, order: Order, at: datetime, event: str, actor: Actor, message: str,
            dispute: Dispute | None = None) -> None:
        self.session.add(OrderLogEntry(order_id=order.id, dispute_id=dispute.id if dispute else None, at=at,
                                       event=event, actor=actor, message=message))

    def order(self, demo: DemoOrder) -> Order:
        status = demo.status
        paid = status not in (OrderStatus.UNPAID, OrderStatus.CANCELLED)
        dispatched = status in (OrderStatus.DISPATCHED, OrderStatus.DELIVERED, OrderStatus.COMPLETED)
        delivered = status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
        created = demo.created
        order = Order(
            number=demo.number, seller_id=demo.seller, kind=demo.kind, status=status, currency="USD",
            shipping_cents=demo.shipping_cents, processing=Processing.RUNNING,
            store_name=f"{demo.seller.lower()}-shop.example" if demo.kind is OrderKind.STORE else None,
            payment_method=demo.method if paid else None, created_at=created,
            paid_at=created.replace(hour=11) if paid else None,
            dispatched_at=created.replace(hour=16) if dispatched else None,
            carrier=CARRIER if dispatched else None,
            tracking_number=f"YT{demo.number[2:]}" if dispatched else None,
            delivered_at=created + timedelta(days=7) if delivered else None,
            completed_at=created + timedelta(days=9) if status is OrderStatus.COMPLETED else None,
            closed_at=created + timedelta(days=3) if status is OrderStatus.CLOSED else None,
            cancelled_at=created.replace(hour=12) if status is OrderStatus.CANCELLED else None,
        )
        order.lines = [OrderLine(line_no=i, sku=p[0], product=p[1], quantity=q, unit_price_cents=p[2])
                       for i, (p, q) in enumerate(demo.lines, start=1)]
        self.session.add(order)
        self.session.flush()
        amount = f"{format_cents(order.amount_cents)} USD"
        self.log(order, created, "created", Actor.PLATFORM, f"{demo.kind.value.capitalize()} order created: {amount}.")
        if paid:
            self.log(order, order.paid_at, "paid", Actor.PLATFORM,
                     f"Paid {amount} by {demo.method.value.replace('_', ' ')}.")
            if demo.method is PaymentMethod.BALANCE:
                self.session.add(LedgerEntry(
                    seller_id=demo.seller, account=LedgerAccount.BALANCE, kind=LedgerKind.ORDER_PAYMENT,
                    order_id=order.id, amount_cents=-order.amount_cents, currency="USD",
                    description=f"Payment for order {order.number}", created_at=order.paid_at))
        if dispatched:
            self.log(order, order.dispatched_at, "dispatched", Actor.PLATFORM,
                     f"Dispatched with {CARRIER}, tracking number {order.tracking_number}.")
        if delivered:
            self.log(order, order.delivered_at, "delivered", Actor.PLATFORM, "Delivered.")
        if order.completed_at:
            self.log(order, order.completed_at, "completed", Actor.PLATFORM, "Order completed.")
        if order.closed_at:
            self.log(order, order.closed_at, "closed", Actor.PLATFORM, "Order closed.")
        if order.cancelled_at:
            self.log(order, order.cancelled_at, "cancelled", Actor.SELLER, "Order cancelled by the seller before payment.")
        if demo.dispute is not None:
            self.dispute(order, demo.dispute)
        if demo.return_number is not None:
            self.return_request(order, demo.return_number)
        return order

    def evidence(self, seller_id: str, purpose: EvidencePurpose, at: datetime, *, text: str | None = None,
                 url: str | None = None) -> Evidence:
        self.evidence_count += 1
        item = Evidence(id=f"ev_demo{seller_id}{self.evidence_count:013d}"[:25], seller_id=seller_id,
                        kind=EvidenceKind.NOTE if text else EvidenceKind.LINK, purpose=purpose, text=text, url=url,
                        media=LinkMedia.IMAGE if url else None, created_at=at)
        self.session.add(item)
        return item

    def dispute(self, order: Order, demo: DemoDispute) -> None:
        active = demo.status in (DisputeStatus.OPEN, DisputeStatus.RESEND_PROPOSED, DisputeStatus.RESEND_AGREED)
        buyer = f"buyer.{order.number[-4:]}@mail.example" if order.kind is OrderKind.STORE else None
        dispute = Dispute(
            number=demo.number, order_id=order.id, expected_result=demo.expected, refund_type=demo.refund_type,
            reason=demo.reason, reason_detail=demo.reason_detail, buyer_email=buyer, status=demo.status,
            opened_at=demo.opened, resolved_at=None if active else (demo.resolved or demo.opened + timedelta(days=2)),
        )
        covered = [line for line in order.lines if demo.line_nos is None or line.line_no in demo.line_nos]
        dispute.lines = [DisputeLine(order_line_id=line.id, active_line_id=line.id if active else None,
                                     quantity=line.quantity) for line in covered]
        self.session.add(dispute)
        self.session.flush()
        wanted = "a refund" if demo.expected is ExpectedResult.REFUND else "a resend"
        message = DisputeMessage(dispute_id=dispute.id, author=Actor.SELLER, created_at=demo.opened,
                                 body=f"My buyer reports: {(demo.reason_detail or demo.reason.value).replace('_', ' ')}. "
                                      f"We ask for {wanted}.")
        self.session.add(message)
        self.session.flush()
        if buyer:
            note = self.evidence(order.seller_id, EvidencePurpose.BUYER_COMPLAINT, demo.opened,
                                 text=f"From {buyer}: the order arrived with a problem, please fix it.")
            self.session.add(DisputeEvidence(dispute_id=dispute.id, evidence_id=note.id, message_id=message.id))
        if demo.reason in (DisputeReason.DAMAGED_PRODUCT, DisputeReason.WRONG_PRODUCT):
            photo = self.evidence(order.seller_id, EvidencePurpose.PRODUCT_MEDIA, demo.opened,
                                  url=f"https://files.example/{order.number}/photo-1.jpg")
            self.session.add(DisputeEvidence(dispute_id=dispute.id, evidence_id=photo.id, message_id=message.id))
        self.log(order, demo.opened, "dispute_opened", Actor.SELLER,
                 f"Dispute {dispute.number} opened for {wanted} ({demo.reason.value.replace('_', ' ')}); "
                 "order processing stopped.", dispute)
        if active:
            order.processing = Processing.STOPPED_BY_DISPUTE
        if demo.resend_details:
            proposed = demo.opened + timedelta(days=1)
            shipped = demo.status is DisputeStatus.RESENT
            self.session.add(ResendProposal(
                dispute_id=dispute.id, details=demo.resend_details, proposed_at=proposed,
                agreed_at=proposed + timedelta(hours=2) if shipped else None,
                shipped_at=dispute.resolved_at if shipped else None, carrier=CARRIER if shipped else None,
                tracking_number=f"YT{dispute.number[2:]}" if shipped else None))
            self.log(order, proposed, "resend_proposed", Actor.PLATFORM,
                     f"Resend proposed on dispute {dispute.number}: {demo.resend_details}"[:300], dispute)
            if shipped:
                self.log(order, dispute.resolved_at, "resend_shipped", Actor.PLATFORM,
                         f"Resend for dispute {dispute.number} shipped with {CARRIER}.", dispute)
        ended = {DisputeStatus.REJECTED: ("dispute_rejected", Actor.PLATFORM, "rejected"),
                 DisputeStatus.CANCELLED: ("dispute_cancelled", Actor.SELLER,
                                           "cancelled by the seller; order processing resumed")}
        if demo.status in ended:
            event, actor, what = ended[demo.status]
            self.log(order, dispute.resolved_at, event, actor, f"Dispute {dispute.number} {what}.", dispute)
        if demo.refund_status is not None:
            self.refund(order, dispute, demo)

    def refund(self, order: Order, dispute: Dispute, demo: DemoDispute) -> None:
        refund = Refund(dispute_id=dispute.id, amount_cents=order.amount_cents, currency="USD",
                        method=demo.refund_type, status=demo.refund_status, approved_at=demo.resolved,
                        completed_at=demo.refund_completed)
        self.session.add(refund)
        self.session.flush()
        where = "to the CJ Wallet" if demo.refund_type is RefundMethod.BALANCE else "to the original payment method"
        amount = f"{format_cents(refund.amount_cents)} USD"
        self.log(order, demo.resolved, "refund_approved", Actor.PLATFORM,
                 f"Refund of {amount} approved on dispute {dispute.number}, {where}.", dispute)
        if demo.refund_status is RefundStatus.DONE:
            self.session.add(LedgerEntry(
                seller_id=order.seller_id, account=LedgerAccount(demo.refund_type.value), kind=LedgerKind.REFUND,
                refund_id=refund.id, order_id=order.id, amount_cents=refund.amount_cents, currency="USD",
                description=f"Refund for dispute {dispute.number}", created_at=demo.refund_completed))
            self.log(order, demo.refund_completed, "refund_paid", Actor.PLATFORM,
                     f"Refund of {amount} for dispute {dispute.number} paid {where}.", dispute)

    def return_request(self, order: Order, number: str) -> None:
        created = order.completed_at or order.created_at
        image = self.evidence(order.seller_id, EvidencePurpose.STORE_IMAGE, created,
                              url=f"https://files.example/{order.seller_id}/store.png")
        self.session.flush()
        self.session.add(ReturnRequest(number=number, order_id=order.id, active_order_id=order.id,
                                       store_link=f"https://{order.store_name}/products/{order.lines[0].sku.lower()}",
                                       store_image_evidence_id=image.id, token=f"demo-{order.number.lower()}",
                                       status=ReturnStatus.LINK_SENT, created_at=created))
        self.log(order, created, "return_requested", Actor.SELLER,
                 f"Return {number} created; the return link is ready to send to the buyer.")


def _tickets(session: Session, now: datetime, hours: SupportHours) -> None:
    """A few tickets waiting in the console's queue, dated relative to seeding so their SLAs are live."""
    demo = (
        ("TK2411080001", "S1001", "web:demo:S1001", Channel.WEB, ["seller_request"], Priority.NORMAL, 40,
         "Seller asks for a person about the damaged earbuds on CJ2411050010072.",
         ["CJ2411050010072"], ["SH2411060072"], "Can a real person look at my dispute SH2411060072?"),
        ("TK2411080002", "S1002", "wa:15550102001", Channel.WHATSAPP, ["frustration", "not_understood"],
         Priority.HIGH, 15, "Seller is upset that the bot did not understand a question about a wholesale order.",
         ["ZF2411050020101"], [], "this bot doesnt get it, I need someone NOW about my ZF order"),
        ("TK2411080003", None, "wa:15550109999", Channel.WHATSAPP, ["account_blocked"], Priority.URGENT, 5,
         "Unlinked WhatsApp number says their account is blocked.", [], [],
         "my account got blocked, why??"),
    )
    for number, seller, conversation, channel, reasons, priority, minutes, summary, orders, disputes, first in demo:
        created = now - timedelta(minutes=minutes)
        first_due, resolution_due = sla_due(priority, created, hours)
        ticket = Ticket(number=number, seller_id=seller, conversation_id=conversation,
                        active_conversation_id=conversation, channel=channel, reasons=reasons, summary=summary,
                        priority=priority, priority_rank=PRIORITY_RANK[priority], status=TicketStatus.NEW,
                        handoff=Handoff.WAITING, order_numbers=orders, dispute_numbers=disputes,
                        created_at=created, updated_at=created, first_response_due_at=first_due,
                        resolution_due_at=resolution_due)
        session.add(ticket)
        session.flush()
        session.add(TicketMessage(ticket_id=ticket.id, author_kind=AuthorKind.SELLER, body=first, internal=False,
                                  delivery_state=DeliveryState.RECORDED, evidence_ids=[], created_at=created))


def clear(session: Session) -> None:
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))
    session.expunge_all()  # what the session loaded before is gone from the database


def seed(session: Session, agent_password: str, now: datetime | None = None, hours: SupportHours = ALWAYS) -> None:
    """Replace all data with the demo set (inside the caller's transaction); the tickets' SLA due times are
    counted in `hours`."""
    now = now or utcnow()
    clear(session)
    for seller_id, name, email, top_up in SELLERS:
        session.add(Seller(id=seller_id, name=name, email=email, wallet_currency="USD", created_at=_at(9, 1)))
        session.add(SellerIdentity(seller_id=seller_id, kind=IdentityKind.HELP_PAGE, external_id=seller_id,
                                   linked_at=_at(9, 1)))
        session.add(LedgerEntry(seller_id=seller_id, account=LedgerAccount.BALANCE, kind=LedgerKind.TOP_UP,
                                amount_cents=top_up, currency="USD", description="Wallet top-up",
                                created_at=_at(9, 30)))
    for number, seller_id in WHATSAPP_LINKS:
        session.add(SellerIdentity(seller_id=seller_id, kind=IdentityKind.WHATSAPP, external_id=number,
                                   linked_at=_at(9, 2)))
    session.flush()
    seeder = _Seeder(session)
    for demo in ORDERS:
        seeder.order(demo)
    for email, name, role in AGENTS:
        session.add(Agent(email=email, name=name, role=role, password_hash=hash_password(agent_password),
                          active=True, created_at=_at(9, 1)))
    for prefix in ("CJ", "ZF", "SH", "RT", "TK"):
        session.add(NumberSequence(prefix=prefix, next_value=1))
    session.flush()
    _tickets(session, now, hours)
    session.add(BackendMeta(key="demo_data", value=DEMO_DATA_VERSION, updated_at=now))
