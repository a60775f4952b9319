"""Agents of the console: signing in and out, sessions that expire (only the token's hash is stored), the
platform's account management (deactivate, reactivate, set a password), and the audit log of who did what."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from bot.backend.domain import limits
from bot.backend.errors import ApiError, not_found
from bot.backend.models import ACTIVE_TICKET_STATUSES, Agent, AgentSession, AuditEntry, Handoff, Ticket
from bot.backend.operations import Transactions
from bot.backend.passwords import DUMMY_HASH, hash_password, verify_password

SESSION_HEADER = "X-Agent-Session"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class PasswordCheck:
    """A sign-in attempt, counted and checked before the transaction that signs the agent in."""

    agent_id: int | None  # the active agent whose password matched; None for a failed attempt
    subjects: list[str]  # what the attempt counted against (limits.sign_in_subjects)


def check_password(run: Transactions, email: str, password: str, address: str | None,
                   policy: limits.SignInPolicy) -> PasswordCheck:
    """Count the attempt (429 while the account or address is locked) and read the hash in one short
    transaction (after a read-only look for a lock), then hash with none open: scrypt's tens of milliseconds must not hold the write lock that
    every seller's write waits for."""
    subjects = limits.sign_in_subjects(email, address)

    def refuse_while_locked(session: Session, now: datetime) -> None:
        limits.refuse_while_locked(list(limits.sign_in_rows(session, subjects, lock=False).values()), now)

    def reserve(session: Session, now: datetime) -> Any:
        limits.reserve_sign_in(session, subjects, policy, now)
        return session.execute(select(Agent.id, Agent.password_hash, Agent.active)
                               .where(Agent.email == email.strip().lower())).one_or_none()

    # A guess while locked is refused by a read alone: a burst of them takes no write lock from anybody.
    run(refuse_while_locked, write=False)
    agent = run(reserve)
    valid = verify_password(password, agent.password_hash if agent is not None else DUMMY_HASH)
    return PasswordCheck(agent.id if agent is not None and agent.active and valid else None, subjects)


def sign_in(session: Session, check: PasswordCheck, ttl_seconds: int, now: datetime) -> tuple[str, AgentSession]:
    """A new session after a right password; one answer for every wrong combination."""
    agent = session.get(Agent, check.agent_id) if check.agent_id is not None else None
    if agent is None or not agent.active:  # wrong, or deactivated since the password was checked
        raise ApiError(401, "invalid_credentials", "Wrong email or password.")
    limits.clear_sign_in(session, check.subjects)
    token = secrets.token_urlsafe(32)
    record = AgentSession(agent_id=agent.id, token_hash=_token_hash(token), created_at=now,
                          expires_at=now + timedelta(seconds=ttl_seconds))
    session.add(record)
    session.flush()
    record.agent = agent
    audit(session, agent, "signed_in", None, {}, now)
    return token, record


def authenticate(session: Session, token: str | None, now: datetime, hold: bool = False) -> AgentSession:
    """The live session a token opens, or 401: missing, unknown, expired, signed out or of a deactivated agent
    (one answer for all). `hold` (writes): share-lock the agent's row until the transaction ends, so a
    deactivation waits for the agent's writes in flight, and a write after it sees the agent inactive."""
    record = None
    if token and len(token) <= 200:
        record = session.execute(
            select(AgentSession).where(AgentSession.token_hash == _token_hash(token))
            .options(selectinload(AgentSession.agent))
        ).scalar_one_or_none()
    live = record is not None and record.ended_at is None and record.expires_at > now and record.agent.active
    if live and hold:
        live = session.execute(
            select(Agent.active).where(Agent.id == record.agent_id).with_for_update(read=True)).scalar_one()
    if not live:
        raise ApiError(401, "session_invalid",
                       f"Sign in first: a valid {SESSION_HEADER} is missing, expired or signed out.")
    return record


def sign_out(session: Session, record: AgentSession, now: datetime) -> None:
    record.ended_at = now
    audit(session, record.agent, "signed_out", None, {}, now)


def audit(session: Session, agent: Agent | None, action: str, ticket: Ticket | None, details: dict[str, Any],
          now: datetime, actor: str = "agent") -> None:
    session.add(AuditEntry(at=now, agent_id=agent.id if agent else None, actor=actor if agent is None else "agent",
                           action=action, ticket_id=ticket.id if ticket else None, details=details))


# ------------------------------------------------------------------ the platform manages the accounts


def find(session: Session, raw_id: str, lock: bool = False) -> Agent:
    """The agent with this id (a decimal number), or 404. `lock` holds its row until the transaction ends."""
    agent_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 10 else 0
    agent = session.get(Agent, agent_id, with_for_update=lock or None, populate_existing=lock) \
        if 1 <= agent_id <= 2**31 - 1 else None
    if agent is None:
        raise not_found("agent_not_found", "agent")
    return agent


def _end_sessions(session: Session, agent: Agent, now: datetime) -> int:
    return session.execute(
        update(AgentSession).where(AgentSession.agent_id == agent.id, AgentSession.ended_at.is_(None),
                                   AgentSession.expires_at > now)
        .values(ended_at=now).execution_options(synchronize_session=False)
    ).rowcount


def deactivate(session: Session, agent: Agent, now: datetime) -> tuple[int, list[str]]:
    """The agent can no longer sign in, their sessions end, and the active tickets they hold go back to the
    queue (a conversation they had taken over waits for the next agent instead of staying silent). Returns
    (sessions ended, ticket numbers released). Deactivating an inactive agent changes nothing."""
    if not agent.active:
        return 0, []
    agent.active = False
    ended = _end_sessions(session, agent, now)
    held = session.execute(
        select(Ticket).where(Ticket.assignee_id == agent.id, Ticket.status.in_(ACTIVE_TICKET_STATUSES))
        .order_by(Ticket.id).with_for_update()
    ).scalars().all()
    for ticket in held:
        ticket.assignee_id = None
        if ticket.handoff is Handoff.AGENT:
            ticket.handoff = Handoff.WAITING
        ticket.updated_at = now
        audit(session, None, "released", ticket, {"from_agent_id": agent.id, "why": "agent_deactivated"}, now,
              actor="platform")
    released = [t.number for t in held]
    audit(session, None, "agent_deactivated", None,
          {"agent_id": agent.id, "sessions_ended": ended, "tickets_released": released}, now, actor="platform")
    session.flush()
    return ended, released


def activate(session: Session, agent: Agent, now: datetime) -> None:
    """The agent may sign in again (their earlier sessions stay ended)."""
    if agent.active:
        return
    agent.active = True
    audit(session, None, "agent_activated", None, {"agent_id": agent.id}, now, actor="platform")
    session.flush()


def set_password(session: Session, agent: Agent, password: str, now: datetime) -> int:
    """A new password; every session of the agent ends (whoever knew the old one is signed out too).
    Returns the number of sessions ended."""
    agent.password_hash = hash_password(password)
    ended = _end_sessions(session, agent, now)
    audit(session, None, "password_set", None, {"agent_id": agent.id, "sessions_ended": ended}, now,
          actor="platform")
    session.flush()
    return ended
