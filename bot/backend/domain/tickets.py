"""Tickets: the bot escalates a conversation (one active ticket per conversation), agents claim, answer and
settle it, and the seller's messages during a takeover land in its thread. Who owns the conversation (waiting,
an agent, the bot again) is the ticket's `handoff`, kept here so every Rasa replica sees the same."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Sequence

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, selectinload

from bot.backend import rules
from bot.backend.domain.agents import audit
from bot.backend.domain.evidence import owned_evidence
from bot.backend.errors import ApiError, not_found
from bot.backend.models import (
    ACTIVE_TICKET_STATUSES,
    PRIORITY_RANK,
    Agent,
    AgentRole,
    AuthorKind,
    Channel,
    DeliveryState,
    Dispute,
    Handoff,
    Order,
    Priority,
    Seller,
    Ticket,
    TicketMessage,
    TicketReason,
    TicketStatus,
)
from bot.backend.numbering import next_number
from bot.order_numbers import ORDER_KINDS, NumberKind, canonical_of_kind
from bot.support_hours import ALWAYS, SupportHours

_LOADS = (selectinload(Ticket.messages).selectinload(TicketMessage.agent), selectinload(Ticket.assignee))
MOVED_ON = "conversation_moved_on"
# How long one attempt to deliver an agent's reply holds it: longer than the console's whole attempt (its Rasa
# call times out after 10 s), so only an attempt whose console died is ever taken over.
DELIVERY_LEASE = timedelta(seconds=30)


def conversation_key(raw: str) -> str:
    if not 1 <= len(raw) <= 200 or not raw.isprintable():
        raise not_found("ticket_not_found", "ticket for this conversation")
    return raw


def active_for(session: Session, conversation_id: str) -> Ticket | None:
    return session.execute(
        select(Ticket).where(Ticket.active_conversation_id == conversation_key(conversation_id)).options(*_LOADS)
    ).scalar_one_or_none()


def latest_for(session: Session, conversation_id: str) -> Ticket:
    """The conversation's newest ticket, active or not (what a ticket's transcript link opens)."""
    ticket = session.execute(
        select(Ticket).where(Ticket.conversation_id == conversation_key(conversation_id))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1).options(*_LOADS)
    ).scalar_one_or_none()
    if ticket is None:
        raise not_found("ticket_not_found", "ticket for this conversation")
    return ticket


def by_number(session: Session, raw: str, seller_id: str | None = None) -> Ticket:
    number = canonical_of_kind(raw, NumberKind.TICKET)
    if number is None:
        raise ApiError(422, "malformed_number", "That is not a ticket number (TK…).")
    query = select(Ticket).where(Ticket.number == number).options(*_LOADS)
    if seller_id is not None:
        query = query.where(Ticket.seller_id == seller_id)
    ticket = session.execute(query).scalar_one_or_none()
    if ticket is None:
        raise not_found("ticket_not_found", "ticket")
    return ticket


def _numbers(raw: Iterable[str], kinds: tuple[NumberKind, ...]) -> list[str]:
    numbers = []
    for text in raw:
        number = canonical_of_kind(text, *kinds)
        if number is None:
            raise ApiError(422, "malformed_number", f"{text[:40]!r} is not a valid number here.")
        if number not in numbers:
            numbers.append(number)
    return numbers


def _owned_numbers(session: Session, seller_id: str, numbers: list[str], disputes: bool) -> list[str]:
    if not numbers:
        return []
    if disputes:
        query = select(Dispute.number).join(Dispute.order).where(Dispute.number.in_(numbers))
    else:
        query = select(Order.number).where(Order.number.in_(numbers))
    owned = set(session.execute(query.where(Order.seller_id == seller_id)).scalars())
    return [n for n in numbers if n in owned]


def put_for_conversation(
    session: Session, conversation_id: str, *, seller_id: str | None, channel: Channel, reason: TicketReason,
    priority: Priority | None, summary: str, order_numbers: Sequence[str], dispute_numbers: Sequence[str],
    transcript_url: str | None, now: datetime, hours: SupportHours = ALWAYS,
) -> tuple[Ticket, bool]:
    """Create the conversation's active ticket, or update it: reasons accumulate, priority only rises (and with
    it the SLA: due times move to the higher priority's targets from the ticket's creation, never later), the
    latest summary wins. SLA due times count `hours`. Two concurrent first calls: the UNIQUE active conversation
    lets one create it, the other is retried and updates it."""
    conversation_id = conversation_key(conversation_id)
    orders = _numbers(order_numbers, ORDER_KINDS)
    disputes = _numbers(dispute_numbers, (NumberKind.DISPUTE,))
    if seller_id is not None and session.get(Seller, seller_id) is None:
        raise ApiError(422, "seller_not_found", "No such seller.")
    ticket = active_for(session, conversation_id)
    owner = seller_id or (ticket.seller_id if ticket is not None else None)
    if owner is not None:
        # A number the seller typed that is not theirs never reaches their ticket (nor the seller's views of it).
        orders = _owned_numbers(session, owner, orders, disputes=False)
        disputes = _owned_numbers(session, owner, disputes, disputes=True)
    if ticket is not None:
        if seller_id is not None and ticket.seller_id not in (None, seller_id):
            raise ApiError(409, "conversation_seller_mismatch", "This conversation's ticket belongs to another seller.")
        if owner is not None and ticket.seller_id is None:
            # A seller takes a ticket opened before anyone was verified: of what was typed then, only their own
            # numbers stay (another seller's never reach this seller's views of the ticket).
            ticket.order_numbers = _owned_numbers(session, owner, list(ticket.order_numbers), disputes=False)
            ticket.dispute_numbers = _owned_numbers(session, owner, list(ticket.dispute_numbers), disputes=True)
        if reason.value not in ticket.reasons:
            ticket.reasons = [*ticket.reasons, reason.value]
        raised = rules.raised_priority(ticket.priority, priority or rules.default_priority(ticket.reasons))
        if raised is not ticket.priority:
            first_due, resolution_due = rules.sla_due(raised, ticket.created_at, hours)
            ticket.first_response_due_at = min(ticket.first_response_due_at, first_due)
            ticket.resolution_due_at = min(ticket.resolution_due_at, resolution_due)
        ticket.priority = raised
        ticket.priority_rank = PRIORITY_RANK[ticket.priority]
        ticket.summary = summary
        ticket.seller_id = ticket.seller_id or seller_id
        ticket.order_numbers = [*ticket.order_numbers, *[n for n in orders if n not in ticket.order_numbers]]
        ticket.dispute_numbers = [*ticket.dispute_numbers, *[n for n in disputes if n not in ticket.dispute_numbers]]
        ticket.transcript_url = transcript_url or ticket.transcript_url
        if ticket.handoff is Handoff.RETURNED:
            ticket.handoff = Handoff.WAITING  # escalated again after an agent handed it back
        ticket.updated_at = now
        audit(session, None, "ticket_escalated_again", ticket, {"reason": reason.value}, now, actor="assistant")
        session.flush()
        return ticket, False
    priority = priority or rules.default_priority([reason.value])
    first_due, resolution_due = rules.sla_due(priority, now, hours)
    ticket = Ticket(
        number=next_number(session, NumberKind.TICKET, now), seller_id=seller_id, conversation_id=conversation_id,
        active_conversation_id=conversation_id, channel=channel, reasons=[reason.value], summary=summary,
        priority=priority, priority_rank=PRIORITY_RANK[priority], status=TicketStatus.NEW, handoff=Handoff.WAITING,
        order_numbers=orders, dispute_numbers=disputes, transcript_url=transcript_url, created_at=now,
        updated_at=now, first_response_due_at=first_due, resolution_due_at=resolution_due,
    )
    session.add(ticket)
    session.flush()
    session.add(TicketMessage(ticket_id=ticket.id, author_kind=AuthorKind.BOT, body=summary, internal=False,
                              delivery_state=DeliveryState.RECORDED, evidence_ids=[], created_at=now))
    audit(session, None, "ticket_created", ticket, {"reason": reason.value, "priority": priority.value}, now,
          actor="assistant")
    session.flush()
    return ticket, True


def seller_message(session: Session, conversation_id: str, body: str, external_id: str | None,
                   evidence_ids: Sequence[str], now: datetime) -> tuple[Ticket, TicketMessage, bool]:
    """A message from the seller while the ticket is active; a redelivered one (same external id) is kept once."""
    ticket = active_for(session, conversation_id)
    if ticket is None:
        raise not_found("ticket_not_found", "ticket for this conversation")
    if external_id is not None:
        known = session.execute(select(TicketMessage).where(
            TicketMessage.ticket_id == ticket.id, TicketMessage.external_id == external_id)).scalar_one_or_none()
        if known is not None:
            return ticket, known, False
    if evidence_ids and ticket.seller_id is None:
        raise ApiError(422, "evidence_not_found", "Some evidence ids are unknown.", {"evidence_ids": list(evidence_ids)})
    evidence = owned_evidence(session, ticket.seller_id, evidence_ids) if evidence_ids else []
    message = TicketMessage(ticket_id=ticket.id, author_kind=AuthorKind.SELLER, body=body, internal=False,
                            delivery_state=DeliveryState.RECORDED, external_id=external_id,
                            evidence_ids=[e.id for e in evidence], created_at=now)
    session.add(message)
    if ticket.status is TicketStatus.PENDING:
        ticket.status = TicketStatus.OPEN  # the seller answered what the agent was waiting for
    ticket.updated_at = now
    session.flush()
    return ticket, message, True


# ------------------------------------------------------------------ the console


def queue(session: Session, agent: Agent, status: TicketStatus | None, assignee: str, limit: int, offset: int
          ) -> tuple[Sequence[Ticket], int]:
    """Highest priority first, then oldest first (the longest wait at the top of its priority)."""
    conditions = [Ticket.status == status] if status is not None else [Ticket.status.in_(ACTIVE_TICKET_STATUSES)]
    if assignee == "me":
        conditions.append(Ticket.assignee_id == agent.id)
    elif assignee == "unassigned":
        conditions.append(Ticket.assignee_id.is_(None))
    total = session.execute(select(func.count()).select_from(Ticket).where(*conditions)).scalar_one()
    tickets = session.execute(
        select(Ticket).where(*conditions).order_by(Ticket.priority_rank.desc(), Ticket.created_at, Ticket.id)
        .limit(limit).offset(offset).options(selectinload(Ticket.assignee))
    ).scalars().all()
    return tickets, total


def claim(session: Session, agent: Agent, ticket: Ticket, now: datetime) -> None:
    """Take the conversation over. One conditional UPDATE decides between two agents claiming at once."""
    if ticket.assignee_id == agent.id and ticket.handoff is Handoff.AGENT:
        return
    if ticket.status not in ACTIVE_TICKET_STATUSES:
        raise ApiError(409, MOVED_ON, "This ticket is no longer open.", {"status": ticket.status.value})
    won = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status.in_(ACTIVE_TICKET_STATUSES),
               (Ticket.assignee_id.is_(None)) | (Ticket.assignee_id == agent.id))
        .values(assignee_id=agent.id, handoff=Handoff.AGENT, updated_at=now,
                status=case((Ticket.status == TicketStatus.NEW, TicketStatus.OPEN.value), else_=Ticket.status))
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        session.expire(ticket)
        holder = ticket.assignee.name if ticket.assignee else None
        raise ApiError(409, "already_claimed", "Another agent has already claimed this ticket.", {"assignee": holder})
    session.expire(ticket)
    audit(session, agent, "claimed", ticket, {}, now)


def _owned(ticket: Ticket, agent: Agent) -> None:
    """Replies and notes only from the agent who holds the conversation, while an agent holds it."""
    if ticket.assignee_id != agent.id or ticket.status not in ACTIVE_TICKET_STATUSES or ticket.handoff is not Handoff.AGENT:
        raise ApiError(409, MOVED_ON, "You no longer hold this conversation (it was reassigned, handed back or "
                       "closed).", {"status": ticket.status.value, "handoff": ticket.handoff.value,
                                    "assignee_id": ticket.assignee_id})


def reply(session: Session, agent: Agent, ticket: Ticket, body: str, internal: bool, now: datetime) -> TicketMessage:
    _owned(ticket, agent)
    message = TicketMessage(ticket_id=ticket.id, author_kind=AuthorKind.AGENT, agent_id=agent.id, body=body,
                            internal=internal,
                            delivery_state=DeliveryState.RECORDED if internal else DeliveryState.PENDING,
                            evidence_ids=[], created_at=now)
    session.add(message)
    if not internal and ticket.first_responded_at is None:
        ticket.first_responded_at = now
    ticket.updated_at = now
    session.flush()
    audit(session, agent, "internal_note" if internal else "replied", ticket, {"message_id": message.id}, now)
    return message


def agent_reply(ticket: Ticket, message_id: int) -> TicketMessage:
    """One of the ticket's replies to the seller (not an internal note), or 404 message_not_found."""
    message = next((m for m in ticket.messages if m.id == message_id and not m.internal
                    and m.author_kind is AuthorKind.AGENT), None)
    if message is None:
        raise not_found("message_not_found", "agent message on this ticket")
    return message


def begin_delivery(session: Session, agent: Agent, ticket: Ticket, message_id: int, now: datetime
                   ) -> tuple[TicketMessage, bool]:
    """Grant one attempt to deliver a reply not yet delivered, and only one at a time: the console's request
    replayed, retried or sent twice at once finds the reply delivered (409 already_delivered) or its delivery
    under way (409 delivery_in_progress). An attempt that never reported back (its console died) may be taken
    over after DELIVERY_LEASE; the second value says so, since that attempt may have reached the seller."""
    _owned(ticket, agent)
    message = agent_reply(ticket, message_id)
    interrupted = message.delivery_attempt_at is not None
    won = session.execute(
        update(TicketMessage)
        .where(TicketMessage.id == message.id,
               TicketMessage.delivery_state.in_((DeliveryState.PENDING, DeliveryState.FAILED)),
               (TicketMessage.delivery_attempt_at.is_(None))
               | (TicketMessage.delivery_attempt_at < now - DELIVERY_LEASE))
        .values(delivery_attempt_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(message)
    if won != 1:
        if message.delivery_state in (DeliveryState.PENDING, DeliveryState.FAILED):
            raise ApiError(409, "delivery_in_progress", "This reply is being delivered right now.")
        raise ApiError(409, "already_delivered", "This reply has already been delivered.",
                       {"delivery_state": message.delivery_state.value})
    return message, interrupted


def set_delivery(session: Session, ticket: Ticket, message_id: int, state: DeliveryState) -> TicketMessage:
    """How far a reply got; it ends the delivery attempt under way, if any. The console only knows its reply
    reached the channel (`sent`): what the channel reported during this attempt (delivered, read, or failed on
    WhatsApp, domain/reply_delivery.py) is further along and stands."""
    message = agent_reply(ticket, message_id)
    began, reported = message.delivery_attempt_at, message.delivery_reported_at
    if not (state is DeliveryState.SENT and began is not None and reported is not None and reported >= began):
        message.delivery_state = state
    message.delivery_attempt_at = None
    return message


def _may_manage(ticket: Ticket, agent: Agent) -> None:
    if agent.role is AgentRole.SUPERVISOR:
        return
    if ticket.assignee_id is not None and ticket.assignee_id != agent.id:
        raise ApiError(409, MOVED_ON, "Another agent holds this ticket.", {"assignee_id": ticket.assignee_id})


def change_status(session: Session, agent: Agent, ticket: Ticket, target: TicketStatus, now: datetime) -> None:
    """new/open/pending/solved/closed along the allowed transitions; leaving the active states hands the
    conversation back to the bot."""
    _may_manage(ticket, agent)
    rules.check_ticket_transition(ticket.status, target)
    before = ticket.status
    if target in ACTIVE_TICKET_STATUSES and before not in ACTIVE_TICKET_STATUSES:
        clash = active_for(session, ticket.conversation_id)
        if clash is not None:
            raise ApiError(409, "conversation_has_active_ticket", "The conversation has another active ticket.",
                           {"ticket_number": clash.number})
        ticket.active_conversation_id = ticket.conversation_id
        ticket.solved_at = None
    ticket.status = target
    if target not in ACTIVE_TICKET_STATUSES:
        ticket.active_conversation_id = None
        ticket.solved_at = ticket.solved_at or now
        ticket.handoff = Handoff.RETURNED
        if target is TicketStatus.CLOSED:
            ticket.closed_at = now
    ticket.updated_at = now
    audit(session, agent, "status_changed", ticket, {"from": before.value, "to": target.value}, now)
    session.flush()


def reassign(session: Session, agent: Agent, ticket: Ticket, to_agent_id: int, now: datetime) -> None:
    if agent.role is not AgentRole.SUPERVISOR:
        raise ApiError(403, "supervisor_only", "Only supervisors reassign tickets.")
    if ticket.status not in ACTIVE_TICKET_STATUSES:
        raise ApiError(409, MOVED_ON, "This ticket is no longer open.", {"status": ticket.status.value})
    # Share-locked: a deactivation of the target waits for this reassignment (and then releases the ticket).
    target = session.get(Agent, to_agent_id, with_for_update={"read": True}, populate_existing=True)
    if target is None or not target.active:
        raise ApiError(422, "agent_not_found", "No such active agent.")
    before = ticket.assignee_id
    ticket.assignee_id = target.id
    if ticket.handoff is not Handoff.WAITING:
        ticket.handoff = Handoff.AGENT
    if ticket.status is TicketStatus.NEW:
        ticket.status = TicketStatus.OPEN
    ticket.updated_at = now
    audit(session, agent, "reassigned", ticket, {"from_agent_id": before, "to_agent_id": target.id}, now)
    session.flush()
    session.expire(ticket, ["assignee"])


def hand_back(session: Session, agent: Agent, ticket: Ticket, note: str | None, now: datetime) -> None:
    """The agent is done with the live conversation: the bot takes it again (the ticket may stay open)."""
    _owned(ticket, agent)
    if note:
        reply(session, agent, ticket, note, True, now)
    ticket.handoff = Handoff.RETURNED
    ticket.updated_at = now
    audit(session, agent, "handed_back", ticket, {}, now)
    session.flush()


def resolve(session: Session, agent: Agent, ticket: Ticket, note: str | None, now: datetime) -> None:
    if note:
        _may_manage(ticket, agent)
        session.add(TicketMessage(ticket_id=ticket.id, author_kind=AuthorKind.AGENT, agent_id=agent.id, body=note,
                                  internal=True, delivery_state=DeliveryState.RECORDED, evidence_ids=[],
                                  created_at=now))
    change_status(session, agent, ticket, TicketStatus.SOLVED, now)


def tickets_of(session: Session, seller_id: str, limit: int, offset: int) -> tuple[Sequence[Ticket], int]:
    total = session.execute(select(func.count()).select_from(Ticket).where(Ticket.seller_id == seller_id)).scalar_one()
    tickets = session.execute(
        select(Ticket).where(Ticket.seller_id == seller_id).order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit).offset(offset).options(*_LOADS)
    ).scalars().all()
    return tickets, total
