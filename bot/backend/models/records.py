"""Bookkeeping of the API itself: idempotency records and the counters that hand out new numbers."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, Integer, String, Text, UniqueConstraint

from bot.backend.models.base import Base, utcnow


class IdempotencyRecord(Base):
    """The outcome of one write, replayed when the same caller sends the same key again.

    The row is inserted before the write's work, in the same transaction: a concurrent request with the same
    key waits on the UNIQUE constraint and, once the first commits, finds the stored response.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("caller", "key"),)

    id = Column(Integer, primary_key=True)
    caller = Column(String(64), nullable=False)  # the role, and the agent for console calls
    key = Column(String(128), nullable=False)
    fingerprint = Column(String(64), nullable=False)  # SHA-256 of method, path, query and body
    status_code = Column(Integer)
    response_body = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class NumberSequence(Base):
    """The next serial for each kind of number the backend hands out (SH, RT, TK, CJ, ZF)."""

    __tablename__ = "number_sequences"
    __table_args__ = (CheckConstraint("next_value >= 1", name="next_value_positive"),)

    prefix = Column(String(2), primary_key=True)
    next_value = Column(Integer, nullable=False)


class BackendMeta(Base):
    """Facts about the database itself, e.g. which demo data set it holds."""

    __tablename__ = "backend_meta"

    key = Column(String(40), primary_key=True)
    value = Column(String(200), nullable=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow)

