"""The seller's money: refunds (recent first) and the ledger (the CJ Wallet's billing history, seed 001 §14)."""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.backend.domain.orders import lock_wallet, wallet_balance_cents
from bot.backend.models import (
    Dispute,
    LedgerAccount,
    LedgerEntry,
    LedgerKind,
    Order,
    Refund,
    Seller,
)


def refunds(session: Session, seller_id: str, limit: int, offset: int) -> tuple[Sequence[Refund], int]:
    condition = Order.seller_id == seller_id
    base = select(Refund).join(Refund.dispute).join(Dispute.order).where(condition)
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    items = session.execute(
        base.order_by(Refund.approved_at.desc(), Refund.id.desc()).limit(limit).offset(offset)
        .options(selectinload(Refund.dispute).selectinload(Dispute.order), selectinload(Refund.ledger_entry))
    ).scalars().all()
    return items, total


def ledger(session: Session, seller_id: str, account: LedgerAccount, limit: int, offset: int
           ) -> tuple[Sequence[LedgerEntry], int, dict[int, str], dict[int, str]]:
    """Entries newest first, with the order and dispute numbers they mention."""
    conditions = (LedgerEntry.seller_id == seller_id, LedgerEntry.account == account)
    total = session.execute(select(func.count()).select_from(LedgerEntry).where(*conditions)).scalar_one()
    entries = session.execute(
        select(LedgerEntry).where(*conditions).order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        .limit(limit).offset(offset)
    ).scalars().all()
    order_ids = {e.order_id for e in entries if e.order_id}
    refund_ids = {e.refund_id for e in entries if e.refund_id}
    order_numbers = dict(session.execute(select(Order.id, Order.number).where(Order.id.in_(order_ids))).all()) \
        if order_ids else {}
    dispute_numbers = dict(session.execute(
        select(Refund.id, Dispute.number).join(Refund.dispute).where(Refund.id.in_(refund_ids))
    ).all()) if refund_ids else {}
    return entries, total, order_numbers, dispute_numbers


def top_up(session: Session, seller: Seller, amount_cents: int, description: str | None, now: datetime) -> LedgerEntry:
    lock_wallet(session, seller.id)
    entry = LedgerEntry(seller_id=seller.id, account=LedgerAccount.BALANCE, kind=LedgerKind.TOP_UP,
                        amount_cents=amount_cents, currency=seller.wallet_currency,
                        description=description or "Wallet top-up", created_at=now)
    session.add(entry)
    session.flush()
    return entry


def balance(session: Session, seller_id: str) -> int:
    return wallet_balance_cents(session, seller_id)
