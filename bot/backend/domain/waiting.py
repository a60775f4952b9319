"""What a seller waiting for a person can be told: their place in the queue, about how long until a person
answers, and whether the support team is working now (if not, when it starts again)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bot.backend import rules
from bot.backend.models import ACTIVE_TICKET_STATUSES, Handoff, Ticket
from bot.support_hours import SupportHours

RECENT_RESPONSES = 20  # the latest first responses an estimate looks at ...
RECENT_WINDOW = timedelta(days=14)  # ... if they are this recent ...
ENOUGH_RESPONSES = 5  # ... and there are at least this many (else the SLA target is the estimate)


@dataclass(frozen=True)
class Expectations:
    ahead: int | None  # None: the ticket is not waiting for a person (an agent has it, or the bot again)
    estimated_wait_minutes: int | None
    open_now: bool
    next_open_at: datetime | None  # None while open


def waiting(ticket: Ticket) -> bool:
    """Active and no agent holds the conversation yet (handoff `waiting`)."""
    return ticket.status in ACTIVE_TICKET_STATUSES and ticket.handoff is Handoff.WAITING


def expectations(session: Session, ticket: Ticket, hours: SupportHours, now: datetime) -> Expectations:
    open_now = hours.is_open(now)
    next_open_at = None if open_now else hours.next_open(now)
    if not waiting(ticket):
        return Expectations(None, None, open_now, next_open_at)
    return Expectations(tickets_ahead(session, ticket), estimated_wait_minutes(session, ticket, hours, now),
                        open_now, next_open_at)


def tickets_ahead(session: Session, ticket: Ticket) -> int:
    """Waiting tickets an agent would take first, in the console queue's own order (priority, then oldest):
    every waiting ticket of higher priority, whenever it came, and those of the same priority that came
    earlier. So the position can grow when an urgent case arrives: it is where the seller really is."""
    rank, created = ticket.priority_rank, ticket.created_at
    before = or_(
        Ticket.priority_rank > rank,
        and_(Ticket.priority_rank == rank,
             or_(Ticket.created_at < created, and_(Ticket.created_at == created, Ticket.id < ticket.id))),
    )
    return session.execute(
        select(func.count()).select_from(Ticket).where(
            Ticket.status.in_(ACTIVE_TICKET_STATUSES), Ticket.handoff == Handoff.WAITING, Ticket.id != ticket.id,
            before)
    ).scalar_one()


def typical_first_response(session: Session, ticket: Ticket, hours: SupportHours, now: datetime) -> timedelta | None:
    """The median time to a first response, in support hours, of the last RECENT_RESPONSES tickets of the same
    priority that got one in the last RECENT_WINDOW, when there are at least ENOUGH_RESPONSES; else None."""
    rows = session.execute(
        select(Ticket.created_at, Ticket.first_responded_at).where(
            Ticket.priority == ticket.priority, Ticket.id != ticket.id, Ticket.first_responded_at.is_not(None),
            Ticket.first_responded_at > now - RECENT_WINDOW, Ticket.first_responded_at <= now)
        .order_by(Ticket.first_responded_at.desc()).limit(RECENT_RESPONSES)
    ).all()
    if len(rows) < ENOUGH_RESPONSES:
        return None
    return statistics.median(hours.between(created, responded) for created, responded in rows)


def estimated_wait_minutes(session: Session, ticket: Ticket, hours: SupportHours, now: datetime) -> int:
    """Minutes from `now` until a person probably answers this waiting ticket.

    The expected answer comes `typical` support time after the ticket was created, where `typical` is what
    recent tickets of its priority actually waited (`typical_first_response`: the median, so one ticket
    forgotten over a weekend doesn't swing it), or, without enough of them, the SLA's first-response target
    for its priority (so the estimate is then the first-response due time). Counting in support hours makes a
    ticket opened on Friday evening expect its answer on Monday. If that moment is past (the ticket waits
    longer than usual), the estimate is the next moment someone is working: now while open, else the next
    opening. Never below one minute. The queue position is not added on top: recent waits already reflect
    queues of the usual length.
    """
    typical = typical_first_response(session, ticket, hours, now)
    if typical is not None:
        expected = hours.add(ticket.created_at, typical)
    else:
        expected, _ = rules.sla_due(ticket.priority, ticket.created_at, hours)
    expected = max(expected, hours.next_open(now))
    return max(1, math.ceil((expected - now).total_seconds() / 60))
