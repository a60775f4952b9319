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
from bot.backend.models import MessageAllowance, SignInThrottle

# A run of failures this old is forgotten: an agent who mistyped yesterday starts afresh.
FORGET_FAILURES_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class MessageBudget:
    """A sender may keep up `messages` per `window_seconds` (ALEX_MESSAGE_LIMIT, ALEX_MESSAGE_WINDOW_SECONDS), with
    at most `burst` at once (ALEX_MESSAGE_BURST): a person pasting a few messages is never refused, while a flood
    gets only `burst` messages through, then one per share of the window, so it can't take the bot's time from
    everybody else for long."""

    messages: int = 30
    window_seconds: int = 60
    burst: int = 5

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.window_seconds / self.messages)


@dataclass(frozen=True)
class Admission:
    admitted: bool
    retry_after_seconds: int = 0
    first_refusal: bool = False  # the first message refused since the last one admitted: the one WhatsApp answers


def admit_message(session: Session, sender: str, budget: MessageBudget, now: datetime) -> Admission:
    """Count one message of this sender, refused while its spent budget is more than `burst` messages' worth
    ahead of now (the row lock makes it exact across replicas; a first message racing another is settled by the
    primary key and retried). A refused message costs nothing: it doesn't move the budget on."""
    allowance = session.get(MessageAllowance, sender, with_for_update=True, populate_existing=True)
    if allowance is None:
        session.add(MessageAllowance(sender=sender, spent_until=now + budget.interval, refused=0))
        return Admission(True)
    spent_until = max(allowance.spent_until, now)
    tolerance = budget.interval * (budget.burst - 1)
    if spent_until - now > tolerance:
        allowance.refused += 1
        return Admission(False, _seconds_until(spent_until - tolerance, now), allowance.refused == 1)
    allowance.spent_until, allowance.refused = spent_until + budget.interval, 0
    return Admission(True)


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


def refuse_while_locked(rows: list[SignInThrottle | None], now: datetime) -> None:
    """429 with Retry-After while any of the subjects' rows is locked."""
    locked = [row.locked_until for row in rows
              if row is not None and row.locked_until is not None and row.locked_until > now]
    if locked:
        wait = _seconds_until(max(locked), now)
        raise ApiError(429, "too_many_sign_in_attempts",
                       f"Too many failed sign-ins; try again in {wait} seconds.", headers={"Retry-After": str(wait)})


def sign_in_rows(session: Session, subjects: list[str], lock: bool) -> dict[str, SignInThrottle | None]:
    return {s: session.get(SignInThrottle, s, with_for_update=lock, populate_existing=True) for s in subjects}


def reserve_sign_in(session: Session, subjects: list[str], policy: SignInPolicy, now: datetime) -> None:
    """Before the password is checked: 429 while any subject is locked; otherwise the attempt counts as a
    failure now (undone by `clear_sign_in` when the password is right), so concurrent guesses can't all slip in
    before the first of them is recorded."""
    rows = sign_in_rows(session, subjects, lock=True)
    refuse_while_locked(list(rows.values()), now)
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
