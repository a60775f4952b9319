"""Return requests (seed 000 §4): the seller gives the store link and a store image, the platform generates a
return link for that one buyer, the buyer fills in the form, the agent settles the dispute."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

from bot.backend.models.base import Base, db_enum, utcnow


class ReturnStatus(str, enum.Enum):
    LINK_SENT = "link_sent"  # the return link exists; the buyer has not filled in the form yet
    BUYER_SUBMITTED = "buyer_submitted"
    CLOSED = "closed"


class ReturnRequest(Base):
    __tablename__ = "returns"
    __table_args__ = (
        UniqueConstraint("token"),
        # OUR OWN RULE (rules.return_verdict): one open return per order. `active_order_id` is the order while
        # the return is open, NULL after, so its UNIQUE constraint holds the rule even against concurrent writers.
        UniqueConstraint("active_order_id", name="uq_returns_one_open_return_per_order"),
        CheckConstraint("active_order_id IS NULL OR active_order_id = order_id", name="active_order_is_own_order"),
        CheckConstraint("(status = 'closed') = (active_order_id IS NULL)", name="open_iff_active"),
    )

    id = Column(Integer, primary_key=True)
    number = Column(String(24), nullable=False, unique=True)
    order_id = Column(Integer, ForeignKey("orders.id"), nullable=False, index=True)
    active_order_id = Column(Integer, ForeignKey("orders.id"))
    store_link = Column(String(500), nullable=False)
    store_image_evidence_id = Column(String(40), ForeignKey("evidence.id"), nullable=False)
    token = Column(String(64), nullable=False)  # the secret part of the buyer's return link
    status = Column(db_enum(ReturnStatus), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    order = relationship("Order", back_populates="returns", foreign_keys=[order_id])
    store_image = relationship("Evidence")
