"""Abuse limits kept in the backend, so every Rasa replica and every console counts against the same numbers:
each sender's message window (channels) and each account's and address's run of failed sign-ins."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String

from bot.backend.models.base import Base


class MessageWindow(Base):
    """How many messages a sender (`seller:<id>`, or `wa:<number>` for a number linked to no seller) sent since
    its window started. One row per sender, reset when the window has passed: the table grows with senders only."""

    __tablename__ = "message_windows"

    sender = Column(String(160), primary_key=True)
    started_at = Column(DateTime, nullable=False)
    count = Column(Integer, nullable=False)


class SignInThrottle(Base):
    """Consecutive failed sign-ins of one account (`account:<email>`) or address (`address:<ip>`), and until
    when further attempts are refused without checking the password."""

    __tablename__ = "sign_in_throttles"

    subject = Column(String(300), primary_key=True)
    failures = Column(Integer, nullable=False)
    last_failure_at = Column(DateTime, nullable=False)
    locked_until = Column(DateTime, nullable=True)
