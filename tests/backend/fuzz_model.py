"""The API fuzzer's model of the backend: what exists (the objects the fuzzer made, per seller), and what each
write must answer given that state (the platform's rules as the README, the seeds and the API document state
them, written here on their own rather than imported from bot/backend/rules.py, so a slip there shows up as
a disagreement here). Also the database-level checks: row counts (nothing lost, nothing made twice) and the
invariants that must hold after every step."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import sqlalchemy as sa

SELLERS = ("S1001", "S1002")
ACTIVE = ("open", "resend_proposed", "resend_agreed")
ORDER_STATES = ("unpaid", "paid", "dispatched", "delivered", "completed", "closed", "cancelled")
REASONS = ("delayed_order", "lost_package", "damaged_product", "wrong_product", "missing_product",
           "destination_limitation", "shipping_method_limitation", "cancel_before_dispatch")
MEDIA_REASONS = ("damaged_product", "wrong_product")
# Well-formed numbers (a date no order of ours carries) and an evidence id that name nothing.
UNKNOWN = {"CJ": "CJ9912310000001", "ZF": "ZF9912310000001", "SH": "SH9912310001", "RT": "RT9912310001",
           "TK": "TK9912310001", "ev": "ev_" + "Q" * 22}
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,63}\Z")

# Step -> (the states it starts from, the state it leads to): the platform's order steps.
ORDER_STEPS = {
    "pay": (("unpaid",), "paid"),
    "dispatch": (("paid",), "dispatched"),
    "deliver": (("dispatched",), "delivered"),
    "complete": (("dispatched", "delivered"), "completed"),
    "close": (("paid", "dispatched", "delivered", "completed"), "closed"),
    "cancel": (("unpaid",), "cancelled"),
}
PATH_TO = {"unpaid": (), "paid": ("pay",), "dispatched": ("pay", "dispatch"),
           "delivered": ("pay", "dispatch", "deliver"), "completed": ("pay", "dispatch", "deliver", "complete"),
           "closed": ("pay", "dispatch", "deliver", "complete", "close"), "cancelled": ("cancel",)}

Expect = tuple[int, str]  # (HTTP status, error code; "" for a success)


def cents(amount: str) -> int:
    sign = -1 if amount.startswith("-") else 1
    whole, _, fraction = amount.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int((fraction + "00")[:2]))


def money(value: int) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"


@dataclass
class MOrder:
    number: str
    seller: str
    kind: str
    status: str
    lines: dict[int, tuple[int, int]]  # line_no -> (quantity, unit price in cents)
    shipping: int
    payment_method: str | None = None
    disputes: list[str] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)

    @property
    def amount(self) -> int:
        return sum(q * p for q, p in self.lines.values()) + self.shipping


@dataclass
class MDispute:
    number: str
    order: str
    seller: str
    expected_result: str
    refund_type: str | None
    status: str
    lines: dict[int, int]  # line_no -> disputed quantity
    messages: list[tuple[str, str]]  # (author, body)
    evidence: list[str]  # ids, in the order they were linked
    refund: dict[str, Any] | None = None  # {"amount": cents, "method", "status"}
    resend: bool = False


@dataclass
class MEvidence:
    id: str
    seller: str
    kind: str  # file, link, note
    purpose: str
    media: str | None = None  # links
    content_type: str | None = None  # files
    content: bytes | None = None

    def shows_product(self) -> bool:
        if self.purpose != "product_media":
            return False
        if self.kind == "file":
            return (self.content_type or "").startswith(("image/", "video/"))
        return self.kind == "link" and self.media in ("image", "video")

    def is_image(self) -> bool:
        return (self.kind == "file" and (self.content_type or "").startswith("image/")) or (
            self.kind == "link" and self.media == "image")


@dataclass
class MReturn:
    number: str
    order: str
    seller: str
    image: str


@dataclass
class MTicket:
    number: str
    seller: str | None
    conversation: str
    status: str = "new"
    assignee: int | None = None
    handoff: str = "waiting"
    reasons: list[str] = field(default_factory=list)
    order_numbers: list[str] = field(default_factory=list)
    dispute_numbers: list[str] = field(default_factory=list)
    messages: list[tuple[str, str, bool]] = field(default_factory=list)  # (author kind, body, internal)
    external_ids: dict[str, int] = field(default_factory=dict)  # seller message external_id -> message id

    @property
    def active(self) -> bool:
        return self.status in ("new", "open", "pending")


@dataclass
class Model:
    """What the fuzzer made and what it must look like now."""

    balance: dict[str, int]  # the CJ Wallet balance, in cents
    orders: dict[str, MOrder] = field(default_factory=dict)
    disputes: dict[str, MDispute] = field(default_factory=dict)
    evidence: dict[str, MEvidence] = field(default_factory=dict)
    returns: dict[str, MReturn] = field(default_factory=dict)
    tickets: dict[str, MTicket] = field(default_factory=dict)
    active_ticket: dict[str, str] = field(default_factory=dict)  # conversation -> its active ticket

    # ------------------------------------------------------------ queries

    def orders_of(self, seller: str) -> list[MOrder]:
        return [o for o in self.orders.values() if o.seller == seller]

    def disputes_of(self, seller: str) -> list[MDispute]:
        return [d for d in self.disputes.values() if d.seller == seller]

    def evidence_of(self, seller: str) -> list[MEvidence]:
        return [e for e in self.evidence.values() if e.seller == seller]

    def owner(self, number: str) -> str | None:
        for table in (self.orders, self.disputes, self.returns, self.tickets):
            if number in table:
                return table[number].seller  # type: ignore[attr-defined, no-any-return]
        if number in self.evidence:
            return self.evidence[number].seller
        return None

    def active_disputes(self, order: MOrder) -> list[MDispute]:
        return [self.disputes[n] for n in order.disputes if self.disputes[n].status in ACTIVE]

    def covered(self, order: MOrder) -> dict[int, str]:
        """line_no -> the active dispute holding it."""
        return {line: d.number for d in self.active_disputes(order) for line in d.lines}

    def processing(self, order: MOrder) -> str:
        return "stopped_by_dispute" if self.active_disputes(order) else "running"

    def disputable(self, order: MOrder) -> bool:
        return order.status not in ("unpaid", "closed", "cancelled") and len(self.covered(order)) < len(order.lines)

    def returnable(self, order: MOrder) -> str | None:
        """Why a return can't be started now, or None."""
        if order.kind != "store":
            return "not_a_store_order"
        if order.status in ("closed", "cancelled"):
            return order.status
        if order.status not in ("delivered", "completed"):
            return "not_delivered"
        return "return_open" if order.returns else None

    def refundable(self, dispute: MDispute) -> int:
        order = self.orders[dispute.order]
        value = sum(q * order.lines[line][1] for line, q in dispute.lines.items())
        if set(dispute.lines) == set(order.lines):
            value += order.shipping  # a whole-order dispute refunds the shipping too
        already = sum(self.disputes[n].refund["amount"] for n in order.disputes
                      if n != dispute.number and self.disputes[n].refund is not None)
        return max(0, min(value, order.amount - already))

    # ------------------------------------------------------------ what a write must answer

    def open_dispute(self, seller: str, order: MOrder | str, body: dict[str, Any]) -> Expect:
        """`order`: the order the body names, or "unknown" / "malformed". The body is valid for the schema."""
        if order == "malformed":
            return 422, "malformed_number"
        if not isinstance(order, MOrder) or order.seller != seller:
            return 404, "order_not_found"
        evidence = body.get("evidence_ids", [])
        if any(self.evidence.get(i) is None or self.evidence[i].seller != seller for i in evidence):
            return 422, "evidence_not_found"
        if order.status in ("unpaid", "closed", "cancelled"):
            return 409, "order_not_disputable"
        requested = body.get("lines")
        if requested is not None:
            seen: set[int] = set()
            for line in requested:
                quantity = order.lines.get(line["line_no"], (0, 0))[0]
                if line["line_no"] in seen or not 1 <= line["quantity"] <= quantity:
                    return 422, "validation_failed"
                seen.add(line["line_no"])
        claimed = list(order.lines) if requested is None else [line["line_no"] for line in requested]
        if set(claimed) & set(self.covered(order)):
            return 409, "dispute_already_open"
        if body["expected_result"] == "resend" and order.status == "paid":
            return 422, "refund_only_before_dispatch"
        items = [self.evidence[i] for i in evidence]
        if not (body.get("buyer_email") and EMAIL.match(body["buyer_email"])
                and any(e.purpose == "buyer_complaint" for e in items)):
            return 422, "proof_required"
        if body["reason"] in MEDIA_REASONS and not any(e.shows_product() for e in items):
            return 422, "proof_required"
        return 201, ""

    def dispute_message(self, seller: str, dispute: MDispute | str, evidence: Iterable[str]) -> Expect:
        if dispute == "malformed":
            return 422, "malformed_number"
        if not isinstance(dispute, MDispute) or dispute.seller != seller:
            return 404, "dispute_not_found"
        if dispute.status not in ACTIVE:
            return 409, "dispute_not_open"
        if any(self.evidence.get(i) is None or self.evidence[i].seller != seller for i in evidence):
            return 422, "evidence_not_found"
        return 201, ""

    def seller_dispute_action(self, seller: str, dispute: MDispute | str, action: str) -> Expect:
        if dispute == "malformed":
            return 422, "malformed_number"
        if not isinstance(dispute, MDispute) or dispute.seller != seller:
            return 404, "dispute_not_found"
        if action == "cancel":
            return (200, "") if dispute.status in ("open", "resend_proposed") else (409, "dispute_not_open")
        return (200, "") if dispute.status == "resend_proposed" else (409, "no_resend_proposed")

    def platform_decision(self, dispute: MDispute, decision: str, amount: int | None) -> Expect:
        status, wants = dispute.status, dispute.expected_result
        if decision == "refund/pay-out":
            pending = dispute.refund is not None and dispute.refund["status"] == "pending"
            return (200, "") if pending else (409, "refund_not_pending")
        if decision == "messages":
            return (201, "") if status in ACTIVE else (409, "dispute_not_open")
        allowed = {"approve-refund": status == "open" and wants == "refund",
                   "propose-resend": status == "open" and wants == "resend",
                   "ship-resend": status == "resend_agreed",
                   "reject": status in ACTIVE}[decision]
        if not allowed:
            return 409, "invalid_transition"
        if decision == "approve-refund" and not 0 < (amount if amount is not None else self.refundable(dispute)) \
                <= self.refundable(dispute):
            return 422, "refund_amount_invalid"
        return 200, ""

    def order_step(self, order: MOrder, step: str, method: str | None) -> Expect:
        sources, _ = ORDER_STEPS[step]
        if order.status not in sources:
            return 409, "invalid_transition"
        if step == "dispatch" and self.active_disputes(order):
            return 409, "processing_stopped"
        if step == "close" and self.active_disputes(order):
            return 409, "dispute_open"
        if step == "pay" and method == "balance" and self.balance[order.seller] < order.amount:
            return 409, "insufficient_balance"
        return 200, ""

    def cancel_order(self, seller: str, order: MOrder | str) -> Expect:
        if order == "malformed":
            return 422, "malformed_number"
        if not isinstance(order, MOrder) or order.seller != seller:
            return 404, "order_not_found"
        return (200, "") if order.status == "unpaid" else (409, "order_not_cancellable")

    def create_return(self, seller: str, order: MOrder | str, image: str) -> Expect:
        if order == "malformed":
            return 422, "malformed_number"
        if not isinstance(order, MOrder) or order.seller != seller:
            return 404, "order_not_found"
        if self.returnable(order) is not None:
            return 409, "order_not_returnable"
        item = self.evidence.get(image)
        if item is None or item.seller != seller:
            return 422, "evidence_not_found"
        return (201, "") if item.is_image() else (422, "store_image_required")

    def put_ticket(self, conversation: str, body: dict[str, Any], sellers: Iterable[str]) -> Expect:
        seller = body.get("seller_id")
        if seller is not None and seller not in sellers:
            return 422, "seller_not_found"
        ticket = self.tickets.get(self.active_ticket.get(conversation, ""))
        if ticket is None:
            return 201, ""
        if seller is not None and ticket.seller not in (None, seller):
            return 409, "conversation_seller_mismatch"
        return 200, ""

    def ticket_numbers(self, owner: str | None, numbers: Iterable[str]) -> list[str]:
        """The numbers a ticket keeps: the owner's own only (all of them while the ticket has no seller)."""
        kept: list[str] = []
        for number in numbers:
            if number not in kept and (owner is None or self.owner(number) == owner):
                kept.append(number)
        return kept

    def seller_ticket_message(self, conversation: str, external_id: str | None, evidence: list[str]) -> Expect:
        ticket = self.tickets.get(self.active_ticket.get(conversation, ""))
        if ticket is None:
            return 404, "ticket_not_found"
        if external_id is not None and external_id in ticket.external_ids:
            return 200, ""
        if evidence and (ticket.seller is None or any(
                self.evidence.get(i) is None or self.evidence[i].seller != ticket.seller for i in evidence)):
            return 422, "evidence_not_found"
        return 201, ""

    def agent_action(self, ticket: MTicket, action: str, me: int) -> Expect:
        holds = ticket.assignee == me and ticket.active and ticket.handoff == "agent"
        if action == "claim":
            if not ticket.active:
                return 409, "conversation_moved_on"
            return (200, "") if ticket.assignee in (None, me) else (409, "already_claimed")
        if action in ("messages", "hand-back"):
            return ((201 if action == "messages" else 200), "") if holds else (409, "conversation_moved_on")
        # resolve: anyone may while nobody else holds it, along the allowed transitions
        if ticket.assignee not in (None, me):
            return 409, "conversation_moved_on"
        return (200, "") if ticket.active else (409, "invalid_transition")


# ------------------------------------------------------------------ the database underneath

COUNTED = ("orders", "order_lines", "disputes", "dispute_lines", "dispute_messages", "dispute_evidence",
           "resend_proposals", "refunds", "ledger_entries", "returns", "evidence", "tickets", "ticket_messages")

INVARIANTS = {
    "an order line in two active disputes":
        "SELECT order_line_id FROM dispute_lines WHERE active_line_id IS NOT NULL GROUP BY order_line_id "
        "HAVING COUNT(*) > 1",
    "a dispute line whose activity differs from its dispute's":
        "SELECT l.id FROM dispute_lines l JOIN disputes d ON d.id = l.dispute_id WHERE "
        "(l.active_line_id IS NOT NULL) <> (d.status IN ('open', 'resend_proposed', 'resend_agreed'))",
    "an order whose processing disagrees with its active disputes":
        "SELECT o.number FROM orders o WHERE (o.processing = 'stopped_by_dispute') <> EXISTS (SELECT 1 FROM "
        "disputes d WHERE d.order_id = o.id AND d.status IN ('open', 'resend_proposed', 'resend_agreed'))",
    "an active dispute on a closed, cancelled or unpaid order":
        "SELECT d.number FROM disputes d JOIN orders o ON o.id = d.order_id WHERE d.status IN ('open', "
        "'resend_proposed', 'resend_agreed') AND o.status IN ('closed', 'cancelled', 'unpaid')",
    "a paid-out refund without exactly one matching ledger entry":
        "SELECT r.id FROM refunds r LEFT JOIN ledger_entries e ON e.refund_id = r.id AND e.account = r.method "
        "AND e.amount_cents = r.amount_cents GROUP BY r.id, r.status HAVING (r.status = 'done') <> (COUNT(e.id) = 1)",
    "a pending refund with a ledger entry":
        "SELECT r.id FROM refunds r JOIN ledger_entries e ON e.refund_id = r.id WHERE r.status = 'pending'",
    "refunds above their order's total":
        "SELECT o.number FROM orders o JOIN disputes d ON d.order_id = o.id JOIN refunds r ON r.dispute_id = d.id "
        "GROUP BY o.id, o.number, o.shipping_cents HAVING SUM(r.amount_cents) > o.shipping_cents + (SELECT "
        "SUM(l.quantity * l.unit_price_cents) FROM order_lines l WHERE l.order_id = o.id)",
    "a negative wallet balance":
        "SELECT seller_id FROM ledger_entries WHERE account = 'balance' GROUP BY seller_id "
        "HAVING SUM(amount_cents) < 0",
    "a refunded dispute without a refund":
        "SELECT d.number FROM disputes d LEFT JOIN refunds r ON r.dispute_id = d.id WHERE d.status = 'refunded' "
        "AND r.id IS NULL",
    "two active tickets for one conversation":
        "SELECT active_conversation_id FROM tickets WHERE active_conversation_id IS NOT NULL "
        "GROUP BY active_conversation_id HAVING COUNT(*) > 1",
    "a dispute's evidence of another seller":
        "SELECT d.number FROM dispute_evidence x JOIN disputes d ON d.id = x.dispute_id JOIN orders o ON "
        "o.id = d.order_id JOIN evidence e ON e.id = x.evidence_id WHERE e.seller_id <> o.seller_id",
    "a return whose store image is another seller's":
        "SELECT r.number FROM returns r JOIN orders o ON o.id = r.order_id JOIN evidence e ON "
        "e.id = r.store_image_evidence_id WHERE e.seller_id <> o.seller_id",
}


class Database:
    """A read-only look at the backend's database (row counts, invariants, owners of numbers)."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, future=True)
        self._counts = sa.text("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t})" for t in COUNTED))

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as connection:
            return dict(zip(COUNTED, connection.execute(self._counts).one()))

    def broken_invariants(self) -> list[tuple[str, list[Any]]]:
        broken = []
        with self.engine.connect() as connection:
            for problem, query in INVARIANTS.items():
                rows = connection.execute(sa.text(query)).all()
                if rows:
                    broken.append((problem, [tuple(r) for r in rows[:5]]))
        return broken

    def owners(self, numbers: Iterable[str]) -> dict[str, str | None]:
        """The seller each order, dispute, return, ticket number or evidence id belongs to."""
        wanted = sorted(set(numbers))
        if not wanted:
            return {}
        queries = ("SELECT number, seller_id FROM orders WHERE number IN :n",
                   "SELECT d.number, o.seller_id FROM disputes d JOIN orders o ON o.id = d.order_id "
                   "WHERE d.number IN :n",
                   "SELECT r.number, o.seller_id FROM returns r JOIN orders o ON o.id = r.order_id "
                   "WHERE r.number IN :n",
                   "SELECT number, seller_id FROM tickets WHERE number IN :n",
                   "SELECT id, seller_id FROM evidence WHERE id IN :n")
        found: dict[str, str | None] = {}
        with self.engine.connect() as connection:
            for query in queries:
                statement = sa.text(query).bindparams(sa.bindparam("n", expanding=True))
                found.update(connection.execute(statement, {"n": wanted}).all())
        return found

    def dispose(self) -> None:
        self.engine.dispose()
