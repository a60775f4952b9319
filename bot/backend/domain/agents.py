"""Agents of the console: signing in and out, sessions that expire (only the token's hash is stored), and
the audit log of who did what."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.backend.errors import ApiError
from bot.backend.models import Agent, AgentSession, AuditEntry, Ticket
from bot.backend.passwords import DUMMY_HASH, verify_password

SESSION_HEADER = "X-Agent-Session"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(session: Session, email: str, password: str, ttl_seconds: int, now: datetime) -> tuple[str, AgentSession]:
    """A new session for the right email and password; one answer for every wrong combination."""
    agent = session.execute(select(Agent).where(Agent.email == email.strip().lower())).scalar_one_or_none()
    valid = verify_password(password, agent.password_hash if agent is not None else DUMMY_HASH)
    if agent is None or not valid or not agent.active:
        raise ApiError(401, "invalid_credentials", "Wrong email or password.")
    token = secrets.token_urlsafe(32)
    record = AgentSession(agent_id=agent.id, token_hash=_token_hash(token), created_at=now,
                          expires_at=now + timedelta(seconds=ttl_seconds))
    session.add(record)
    session.flush()
    record.agent = agent
    audit(session, agent, "signed_in", None, {}, now)
    return token, record


def authenticate(session: Session, token: str | None, now: datetime) -> AgentSession:
    """The live session a token opens, or 401: missing, unknown, expired or signed out (one answer for all)."""
    record = None
    if token and len(token) <= 200:
        record = session.execute(
            select(AgentSession).where(AgentSession.token_hash == _token_hash(token))
            .options(selectinload(AgentSession.agent))
        ).scalar_one_or_none()
    if record is None or record.ended_at is not None or record.expires_at <= now or not record.agent.active:
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
