"""Channel identities linked to sellers, of any kind: link (replacing any earlier link of the same identity)
and unlink. Each kind normalises its own external ids (a WhatsApp number in E.164, a help-page account id)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backend.errors import not_found
from bot.backend.models import IdentityKind, Seller, SellerIdentity

# The platform's help-page account ids (the demo's are the seller ids): 1-64 letters, digits and ._:@-
_HELP_PAGE_ACCOUNT = re.compile(r"[A-Za-z0-9._:@-]{1,64}")


def help_page_account(raw: str) -> str | None:
    """A help-page account id as given, or None when it can't be one."""
    return raw if _HELP_PAGE_ACCOUNT.fullmatch(raw) else None


def find(session: Session, kind: IdentityKind, external_id: str | None, lock: bool = False) -> SellerIdentity | None:
    if external_id is None:
        return None
    query = select(SellerIdentity).where(SellerIdentity.kind == kind, SellerIdentity.external_id == external_id)
    return session.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def link(session: Session, kind: IdentityKind, external_id: str, seller: Seller, now: datetime) -> SellerIdentity:
    """Link an identity to a seller, replacing any earlier link of it (relinking to the same seller keeps the
    first link time). Two concurrent first links: the UNIQUE (kind, external_id) lets one insert win, the
    other is retried and then finds the row."""
    identity = find(session, kind, external_id, lock=True)
    if identity is None:
        identity = SellerIdentity(kind=kind, external_id=external_id, seller_id=seller.id, linked_at=now)
        session.add(identity)
    elif identity.seller_id != seller.id:
        identity.seller_id, identity.linked_at = seller.id, now
    session.flush()
    return identity


def unlink(session: Session, kind: IdentityKind, external_id: str | None, what: str) -> str:
    identity = find(session, kind, external_id, lock=True)
    if identity is None:
        raise not_found("identity_not_found", what)
    session.delete(identity)
    session.flush()
    return identity.external_id
