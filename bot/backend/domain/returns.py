"""Return requests (seed 000 §4): the store link and a store image make a return link for that one buyer; the
platform then records that the buyer submitted the form, and closes the return (`rules.RETURN_TRANSITIONS`),
which lets the order take another return."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.backend import rules
from bot.backend.domain.evidence import owned_evidence
from bot.backend.domain.orders import find_order, log
from bot.backend.errors import ApiError, not_found
from bot.backend.models import Actor, EvidenceKind, LinkMedia, Order, ReturnRequest, ReturnStatus
from bot.backend.numbering import next_number
from bot.order_numbers import NumberKind, canonical_of_kind

_MESSAGES = {
    "not_a_store_order": "Return links are for the buyers of store orders.",
    "not_delivered": "The buyer hasn't received this order yet, so there is nothing to return.",
    "closed": "This order is closed.",
    "cancelled": "This order was cancelled.",
    "return_open": "This order already has an open return.",
}


def create(session: Session, seller_id: str, order_number: str, store_link: str, image_id: str,
           now: datetime) -> ReturnRequest:
    order = find_order(session, order_number, seller_id, lock=True)
    verdict = rules.return_verdict(order)
    if not verdict.allowed:
        raise ApiError(409, "order_not_returnable", _MESSAGES[verdict.reason or "closed"],
                       {"reason": verdict.reason, "status": order.status.value})
    [image] = owned_evidence(session, seller_id, [image_id])
    is_image = (image.kind is EvidenceKind.FILE and (image.content_type or "").startswith("image/")) or (
        image.kind is EvidenceKind.LINK and image.media is LinkMedia.IMAGE)
    if not is_image:
        raise ApiError(422, "store_image_required", "The store image must be an image (seed 000 §4.2).",
                       {"evidence_id": image.id})
    request = ReturnRequest(
        number=next_number(session, NumberKind.RETURN, now), order_id=order.id, active_order_id=order.id,
        store_link=store_link, store_image_evidence_id=image.id, token=secrets.token_urlsafe(24),
        status=ReturnStatus.LINK_SENT, created_at=now,
    )
    session.add(request)
    session.flush()
    log(session, order, "return_requested", Actor.SELLER,
        f"Return {request.number} created; the return link is ready to send to the buyer.", now)
    return request


def find(session: Session, seller_id: str | None, raw_number: str, lock: bool = False) -> ReturnRequest:
    """The return, scoped to the seller when one is given. `lock` locks its order's row first: a return's
    status decides whether the order may take another return."""
    number = canonical_of_kind(raw_number, NumberKind.RETURN)
    if number is None:
        raise ApiError(422, "malformed_number", "That is not a return number (RT…).")
    query = select(ReturnRequest).join(ReturnRequest.order).where(ReturnRequest.number == number)
    if seller_id is not None:
        query = query.where(Order.seller_id == seller_id)
    if lock:
        order_number = session.execute(query.with_only_columns(Order.number)).scalar_one_or_none()
        if order_number is None:
            raise not_found("return_not_found", "return for this seller" if seller_id else "return")
        find_order(session, order_number, None, lock=True)
        query = query.execution_options(populate_existing=True)
    request = session.execute(query.options(selectinload(ReturnRequest.order))).scalar_one_or_none()
    if request is None:
        raise not_found("return_not_found", "return for this seller" if seller_id else "return")
    return request


def buyer_submitted(session: Session, request: ReturnRequest, now: datetime) -> None:
    """Seed 000 §4.3-4.4: the buyer filled in the return form; the seller's agent settles it next."""
    rules.check_return_transition(request.status, ReturnStatus.BUYER_SUBMITTED)
    request.status = ReturnStatus.BUYER_SUBMITTED
    log(session, request.order, "return_submitted", Actor.PLATFORM,
        f"The buyer submitted the form of return {request.number}; your agent can settle it now.", now)
    session.flush()


def close(session: Session, request: ReturnRequest, note: str | None, now: datetime) -> None:
    """The platform closes the return (settled, or a link never used); the order may take another return."""
    rules.check_return_transition(request.status, ReturnStatus.CLOSED)
    request.status = ReturnStatus.CLOSED
    request.active_order_id = None
    log(session, request.order, "return_closed", Actor.PLATFORM,
        f"Return {request.number} closed" + (f": {note}" if note else "."), now)
    session.flush()


def list_for(session: Session, seller_id: str, limit: int, offset: int) -> tuple[Sequence[ReturnRequest], int]:
    condition = Order.seller_id == seller_id
    total = session.execute(
        select(func.count()).select_from(ReturnRequest).join(ReturnRequest.order).where(condition)
    ).scalar_one()
    requests = session.execute(
        select(ReturnRequest).join(ReturnRequest.order).where(condition)
        .order_by(ReturnRequest.created_at.desc(), ReturnRequest.id.desc()).limit(limit).offset(offset)
        .options(selectinload(ReturnRequest.order))
    ).scalars().all()
    return requests, total
