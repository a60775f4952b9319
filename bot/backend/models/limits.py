"""Abuse limits kept in the backend, so every Rasa replica and every console counts against the same numbers:
each sender's message allowance (channels) and each account's and address's run of failed sign-ins."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String

from bot.backend.models.base import Base


class MessageAllowance(Base):
    """A sender's (`seller:<id>`, or `wa:<number>` for a number linked to no seller) spent budget, as the moment
    it will have flowed back in full (a generic cell rate: each message admitted moves it on by one message's
    share of the window), and how many messages were refused since the last one admitted. One row per sender."""

    __tablename__ = "message_allowances"

    sender = Column(String(160), primary_key=True)
    spent_until = Column(DateTime, nullable=False)
    refused = Column(Integer, nullable=False)


class SignInThrottle(Base):
    """Consecutive failed sign-ins of one account (`account:<email>`) or address (`address:<ip>`), and until
    when further attempts are refused without checking the password."""

    __tablename__ = "sign_in_throttles"

    subject = Column(String(300), primary_key=True)
    failures = Column(Integer, nullable=False)
    last_failure_at = Column(DateTime, nullable=False)
    locked_until = Column(DateTime, nullable=True)
