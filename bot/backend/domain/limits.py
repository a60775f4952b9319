"""Abuse limits the backend keeps for every replica at once: a message budget per sender (the channels ask
before handing a message to Rasa) and sign-in throttling per account and per address (lockouts that grow
with each failure, capped, so a guesser is slowed down and an agent is never locked out for long)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.backend.errors import ApiError
from bot.backend.models import MessageWindow, SignInThrottle

# A run of failures this old is forgotten: an agent who mistyped yesterday starts afresh.
FORGET_FAILURES_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class MessageBudget:
    """At most `messages` per sender in `window_seconds` (ALEX_MESSAGE_LIMIT, ALEX_MESSAGE_WINDOW_SECONDS)."""

    messages: int = 20
    window_seconds: int = 30


@dataclass(frozen=True)
class Admission:
    admitted: bool
    retry_after_seconds: int = 0
    first_refusal: bool = False  # the first message refused in this window: the one WhatsApp answers


def admit_message(session: Session, sender: str, budget: MessageBudget, now: datetime) -> Admission:
    """Count one message of this sender; refused once its window's budget is spent (the row lock makes the
    count exact across replicas; a first message racing another is settled by the primary key and retried)."""
    window = session.get(MessageWindow, sender, with_for_update=True, populate_existing=True)
    if window is None:
        session.add(MessageWindow(sender=sender, started_at=now, count=1))
        return Admission(True)
    ends = window.started_at + timedelta(seconds=budget.window_seconds)
    if now >= ends:
        window.started_at, window.count = now, 1
        return Admission(True)
    window.count += 1
    if window.count <= budget.messages:
        return Admission(True)
    return Admission(False, _seconds_until(ends, now), window.count == budget.messages + 1)


@dataclass(frozen=True)
class SignInPolicy:
    """`free_failures` wrong passwords in a row cost nothing; each further one locks the account (or address)
    for `first_lockout_seconds`, doubling, at most `max_lockout_seconds`."""

    free_failures: int = 5
    first_lockout_seconds: int = 2
    max_lockout_seconds: int = 60

    def lockout(self, failures: int) -> timedelta | None:
        beyond = failures - self.free_failures
        if beyond <= 0:
            return None
        return timedelta(seconds=min(self.max_lockout_seconds, self.first_lockout_seconds * 2 ** min(beyond - 1, 20)))


def sign_in_subjects(email: str, address: str | None) -> list[str]:
    """What a sign-in attempt counts against: the account, and the address it comes from when known."""
    return [f"account:{email.strip().lower()}"[:300]] + ([f"address:{address}"[:300]] if address else [])


def reserve_sign_in(session: Session, subjects: list[str], policy: SignInPolicy, now: datetime) -> None:
    """Before the password is checked: 429 while any subject is locked; otherwise the attempt counts as a
    failure now (undone by `clear_sign_in` when the password is right), so concurrent guesses can't all slip in
    before the first of them is recorded."""
    rows = {s: session.get(SignInThrottle, s, with_for_update=True, populate_existing=True) for s in subjects}
    locked = [row.locked_until for row in rows.values()
              if row is not None and row.locked_until is not None and row.locked_until > now]
    if locked:
        wait = _seconds_until(max(locked), now)
        raise ApiError(429, "too_many_sign_in_attempts",
                       f"Too many failed sign-ins; try again in {wait} seconds.", headers={"Retry-After": str(wait)})
    for subject, row in rows.items():
        if row is None:
            row = SignInThrottle(subject=subject, failures=0, last_failure_at=now)
            session.add(row)
        elif now - row.last_failure_at > FORGET_FAILURES_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        lockout = policy.lockout(row.failures)
        row.locked_until = now + lockout if lockout else None


def clear_sign_in(session: Session, subjects: list[str]) -> None:
    """The password was right: the run of failures ends for the account and the address."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.subject.in_(subjects)))


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))
