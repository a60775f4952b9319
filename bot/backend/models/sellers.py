"""Sellers and the identities linked to them: the help-page account and WhatsApp numbers."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

from bot.backend.models.base import Base, db_enum, utcnow


class IdentityKind(str, enum.Enum):
    """Where a seller can be recognised: the platform's help page (its account id) or a WhatsApp number."""

    HELP_PAGE = "help_page"
    WHATSAPP = "whatsapp"


class Seller(Base):
    __tablename__ = "sellers"
    __table_args__ = (CheckConstraint("length(wallet_currency) = 3", name="wallet_currency_is_iso"),)

    id = Column(String(32), primary_key=True)
    name = Column(String(120), nullable=False)
    email = Column(String(254), nullable=False, unique=True)
    wallet_currency = Column(String(3), nullable=False, default="USD")
    created_at = Column(DateTime, nullable=False, default=utcnow)

    orders = relationship("Order", back_populates="seller", order_by="Order.created_at")
    ledger_entries = relationship("LedgerEntry", back_populates="seller", order_by="LedgerEntry.created_at")
    identities = relationship("SellerIdentity", back_populates="seller", order_by="SellerIdentity.id")


class SellerIdentity(Base):
    """A channel identity linked to one seller; a number or account links to at most one seller at a time."""

    __tablename__ = "seller_identities"
    __table_args__ = (UniqueConstraint("kind", "external_id"),)

    id = Column(Integer, primary_key=True)
    seller_id = Column(String(32), ForeignKey("sellers.id"), nullable=False, index=True)
    kind = Column(db_enum(IdentityKind), nullable=False)
    external_id = Column(String(64), nullable=False)  # E.164 with '+' for WhatsApp; the account id otherwise
    linked_at = Column(DateTime, nullable=False, default=utcnow)

    seller = relationship("Seller", back_populates="identities")
