"""Evidence records: files (kept by the evidence store), links and notes, each owned by one seller."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backend.errors import ApiError, not_found
from bot.backend.evidence_store import EvidenceStore, Upload
from bot.backend.models import Evidence, EvidenceKind, EvidencePurpose, LinkMedia


def new_id() -> str:
    return "ev_" + secrets.token_urlsafe(16)


def owned_evidence(session: Session, seller_id: str, ids: Sequence[str]) -> list[Evidence]:
    """The seller's evidence items, in the order given; another seller's id is refused exactly like an
    unknown one."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = {e.id: e for e in session.execute(
        select(Evidence).where(Evidence.id.in_(wanted), Evidence.seller_id == seller_id)
    ).scalars()}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ApiError(422, "evidence_not_found", "Some evidence ids are unknown.", {"evidence_ids": missing})
    return [found[i] for i in wanted]


def find(session: Session, seller_id: str, evidence_id: str) -> Evidence:
    item = session.execute(
        select(Evidence).where(Evidence.id == evidence_id, Evidence.seller_id == seller_id)
    ).scalar_one_or_none()
    if item is None:
        raise not_found("evidence_not_found", "evidence for this seller")
    return item


def add_file(session: Session, store: EvidenceStore, seller_id: str, upload: Upload, purpose: EvidencePurpose,
             now: datetime) -> Evidence:
    store.quota.check(session, seller_id, upload.size, now)
    store.keep(upload)
    item = Evidence(id=new_id(), seller_id=seller_id, kind=EvidenceKind.FILE, purpose=purpose,
                    content_type=upload.content_type, size_bytes=upload.size, sha256=upload.sha256,
                    filename=upload.filename, created_at=now)
    session.add(item)
    session.flush()
    return item


def add_link(session: Session, seller_id: str, url: str, media: LinkMedia, purpose: EvidencePurpose,
             now: datetime) -> Evidence:
    item = Evidence(id=new_id(), seller_id=seller_id, kind=EvidenceKind.LINK, purpose=purpose, url=url,
                    media=media, created_at=now)
    session.add(item)
    session.flush()
    return item


def add_note(session: Session, seller_id: str, text: str, purpose: EvidencePurpose, now: datetime) -> Evidence:
    item = Evidence(id=new_id(), seller_id=seller_id, kind=EvidenceKind.NOTE, purpose=purpose, text=text,
                    created_at=now)
    session.add(item)
    session.flush()
    return item


def set_purpose(session: Session, seller_id: str, evidence_id: str, purpose: EvidencePurpose) -> Evidence:
    """Say what an item proves after it arrived: a channel uploads an attachment the moment it comes in (purpose
    `other`); only the dispute flow learns later that it is the buyer's complaint or the damaged product. Setting
    the purpose it already has changes nothing. Proof checks read the purpose when a dispute is opened."""
    item = find(session, seller_id, evidence_id)
    item.purpose = purpose
    session.flush()
    return item
