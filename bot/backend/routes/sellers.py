"""Assistant role, seller-scoped: `/v1/sellers/{seller_id}/...` for the seller the channel verified.

Every lookup filters by the seller in the path, so another seller's object is indistinguishable from one that
does not exist.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.backend import views
from bot.backend.domain import disputes, evidence, orders, returns, tickets, wallet
from bot.backend.errors import not_found
from bot.backend.models import Actor, Dispute, DisputeReason, Seller
from bot.backend.money import format_cents
from bot.backend.operations import Call, Reply, Role, Router
from bot.backend.schemas import requests as rq
from bot.backend.schemas import responses as rs
from bot.backend.schemas.common import Empty, Page

router = Router(Role.ASSISTANT, "seller")
SELLER = "/v1/sellers/{seller_id}"
_ORDER_404 = ("order_not_found", "order for this seller")
_DISPUTE_404 = ("dispute_not_found", "dispute for this seller")


def seller_of(session: Session, seller_id: str) -> Seller:
    seller = session.get(Seller, seller_id)
    if seller is None:
        raise not_found("seller_not_found", "seller")
    return seller


@router.get(SELLER, response=rs.SellerOut, summary="The seller's profile with the CJ Wallet balance.",
            not_found=("seller_not_found", "seller"), errors=[(404, "seller_not_found")])
def get_seller(call: Call) -> Reply:
    seller = seller_of(call.session, call.params["seller_id"])
    return Reply(200, views.seller_view(seller, orders.wallet_balance_cents(call.session, seller.id)))


# ------------------------------------------------------------------ orders


@router.get(f"{SELLER}/orders", query=rq.OrderQuery, response=rs.OrderPage,
            summary="The seller's orders, newest first, optionally by status and kind.")
def list_orders(call: Call) -> Reply:
    q = call.query
    items, total = orders.list_orders(call.session, call.params["seller_id"], q.status, q.kind, q.limit, q.offset)
    return Reply(200, views.page([views.order_view(o, call.config.return_link_base) for o in items],
                                 q.limit, q.offset, total))


@router.get(f"{SELLER}/orders/{{number}}", response=rs.OrderOut, not_found=_ORDER_404,
            summary="One order with lines, payment, shipping, disputes, returns and what the seller may do now.",
            errors=[(404, "order_not_found"), (422, "malformed_number")])
def get_order(call: Call) -> Reply:
    order = orders.find_order(call.session, call.params["number"], call.params["seller_id"])
    return Reply(200, views.order_view(order, call.config.return_link_base))


@router.get(f"{SELLER}/orders/{{number}}/log", query=Page, response=rs.LogPage, not_found=_ORDER_404,
            summary="The order log, oldest first (seed 001 §14: where to check a refund).",
            errors=[(404, "order_not_found"), (422, "malformed_number")])
def get_order_log(call: Call) -> Reply:
    order = orders.find_order(call.session, call.params["number"], call.params["seller_id"])
    entries, total = orders.order_log(call.session, order, call.query.limit, call.query.offset)
    numbers = {d.id: d.number for d in order.disputes}
    return Reply(200, views.page([views.log_entry_view(e, numbers) for e in entries],
                                 call.query.limit, call.query.offset, total))


@router.post(f"{SELLER}/orders/{{number}}/cancel", body=Empty, response=rs.OrderOut, status=200,
             not_found=_ORDER_404, summary="Cancel an unpaid order (seed 001 §11: only before payment).",
             errors=[(404, "order_not_found"), (409, "order_not_cancellable"), (422, "malformed_number")])
def cancel_order(call: Call) -> Reply:
    order = orders.find_order(call.session, call.params["number"], call.params["seller_id"], lock=True)
    orders.cancel_by_seller(call.session, order, call.now)
    call.session.flush()
    return Reply(200, views.order_view(order, call.config.return_link_base))


# ------------------------------------------------------------------ disputes


def _dispute_reply(call: Call, dispute: Dispute, status: int) -> Reply:
    """The dispute as the write left it (the domain keeps the loaded objects in step with what it writes)."""
    call.session.flush()
    return Reply(status, views.dispute_view(dispute, disputes.timeline(call.session, dispute)))


@router.post(f"{SELLER}/disputes", body=rq.OpenDispute, response=rs.DisputeOut,
             summary="Open a dispute (seed 002); the order's processing stops until it ends.",
             errors=[(404, "order_not_found"), (409, "order_not_disputable"), (409, "dispute_already_open"),
                     (422, "proof_required"), (422, "refund_only_before_dispatch"), (422, "evidence_not_found"),
                     (422, "malformed_number"), (422, "validation_failed")])
def open_dispute(call: Call) -> Reply:
    b = call.body
    dispute = disputes.open_dispute(
        call.session, call.params["seller_id"], order_number=b.order_number,
        lines=[(line.line_no, line.quantity) for line in b.lines] if b.lines is not None else None,
        expected_result=b.expected_result, reason=DisputeReason(b.reason.value), refund_type=b.refund_type,
        buyer_email=b.buyer_email, message=b.message, evidence_ids=b.evidence_ids, now=call.now,
    )
    return _dispute_reply(call, dispute, 201)


@router.get(f"{SELLER}/disputes", query=rq.DisputeQuery, response=rs.DisputePage,
            summary="The seller's disputes, newest first; `active=true` keeps the open, resend_proposed and "
                    "resend_agreed ones, `active=false` the ended ones (combinable with status and order_number).",
            errors=[(422, "malformed_number")])
def list_disputes(call: Call) -> Reply:
    q = call.query
    items, total = disputes.list_disputes(call.session, call.params["seller_id"], q.status, q.active,
                                          q.order_number, q.limit, q.offset)
    return Reply(200, views.page([views.dispute_summary(d) for d in items], q.limit, q.offset, total))


@router.get(f"{SELLER}/disputes/{{number}}", response=rs.DisputeOut, not_found=_DISPUTE_404,
            summary="One dispute with lines, messages, evidence, refund, resend proposal and timeline.",
            errors=[(404, "dispute_not_found"), (422, "malformed_number")])
def get_dispute(call: Call) -> Reply:
    dispute = disputes.find_dispute(call.session, call.params["number"], call.params["seller_id"])
    return Reply(200, views.dispute_view(dispute, disputes.timeline(call.session, dispute)))


@router.post(f"{SELLER}/disputes/{{number}}/messages", body=rq.DisputeMessageRequest, response=rs.DisputeOut,
             not_found=_DISPUTE_404, summary="Add a message (and more evidence) to an open dispute (seed 002).",
             errors=[(404, "dispute_not_found"), (409, "dispute_not_open"), (422, "evidence_not_found"),
                     (422, "malformed_number")])
def add_dispute_message(call: Call) -> Reply:
    seller_id = call.params["seller_id"]
    dispute = disputes.find_dispute(call.session, call.params["number"], seller_id, lock=True)
    disputes.add_message(call.session, dispute, Actor.SELLER, call.body.body, call.body.evidence_ids, seller_id,
                         call.now)
    return _dispute_reply(call, dispute, 201)


@router.post(f"{SELLER}/disputes/{{number}}/cancel", body=Empty, response=rs.DisputeOut, status=200,
             not_found=_DISPUTE_404, summary="Cancel an open dispute; the order's processing resumes (seed 002 §6).",
             errors=[(404, "dispute_not_found"), (409, "dispute_not_open"), (422, "malformed_number")])
def cancel_dispute(call: Call) -> Reply:
    dispute = disputes.find_dispute(call.session, call.params["number"], call.params["seller_id"], lock=True)
    disputes.cancel_by_seller(call.session, dispute, call.now)
    return _dispute_reply(call, dispute, 200)


@router.post(f"{SELLER}/disputes/{{number}}/resend/agree", body=Empty, response=rs.DisputeOut, status=200,
             not_found=_DISPUTE_404, summary="Agree to the resend the platform proposed (seed 002 §5).",
             errors=[(404, "dispute_not_found"), (409, "no_resend_proposed"), (422, "malformed_number")])
def agree_resend(call: Call) -> Reply:
    dispute = disputes.find_dispute(call.session, call.params["number"], call.params["seller_id"], lock=True)
    disputes.agree_resend(call.session, dispute, call.now)
    return _dispute_reply(call, dispute, 200)


# ------------------------------------------------------------------ money


@router.get(f"{SELLER}/refunds", query=Page, response=rs.RefundPage, summary="The seller's refunds, recent first.")
def list_refunds(call: Call) -> Reply:
    items, total = wallet.refunds(call.session, call.params["seller_id"], call.query.limit, call.query.offset)
    return Reply(200, views.page([views.refund_view(r) for r in items], call.query.limit, call.query.offset, total))


@router.get(f"{SELLER}/wallet", query=rq.WalletQuery, response=rs.WalletOut,
            not_found=("seller_not_found", "seller"), errors=[(404, "seller_not_found")],
            summary="The CJ Wallet balance and its billing history (or, with account=original, the refunds "
                    "returned to the original payment method).")
def get_wallet(call: Call) -> Reply:
    q = call.query
    seller = seller_of(call.session, call.params["seller_id"])
    entries, total, order_numbers, dispute_numbers = wallet.ledger(call.session, seller.id, q.account, q.limit,
                                                                   q.offset)
    return Reply(200, {
        "balance": format_cents(wallet.balance(call.session, seller.id)),
        "currency": seller.wallet_currency,
        "account": q.account.value,
        **views.page([views.ledger_entry_view(e, order_numbers, dispute_numbers) for e in entries],
                     q.limit, q.offset, total),
    })


# ------------------------------------------------------------------ returns


@router.post(f"{SELLER}/returns", body=rq.CreateReturn, response=rs.ReturnOut,
             summary="Start a return (seed 000 §4): store link and store image make a return link for the buyer.",
             errors=[(404, "order_not_found"), (409, "order_not_returnable"), (422, "evidence_not_found"),
                     (422, "store_image_required"), (422, "malformed_number")])
def create_return(call: Call) -> Reply:
    b = call.body
    request = returns.create(call.session, call.params["seller_id"], b.order_number, b.store_link,
                             b.store_image_evidence_id, call.now)
    call.session.expire(request, ["order"])
    return Reply(201, views.return_view(request, call.config.return_link_base))


@router.get(f"{SELLER}/returns", query=Page, response=rs.ReturnPage, summary="The seller's returns, newest first.")
def list_returns(call: Call) -> Reply:
    items, total = returns.list_for(call.session, call.params["seller_id"], call.query.limit, call.query.offset)
    return Reply(200, views.page([views.return_view(r, call.config.return_link_base) for r in items],
                                 call.query.limit, call.query.offset, total))


@router.get(f"{SELLER}/returns/{{number}}", response=rs.ReturnOut, not_found=("return_not_found", "return for this seller"),
            summary="One return.", errors=[(404, "return_not_found"), (422, "malformed_number")])
def get_return(call: Call) -> Reply:
    request = returns.find(call.session, call.params["seller_id"], call.params["number"])
    return Reply(200, views.return_view(request, call.config.return_link_base))


# ------------------------------------------------------------------ tickets


@router.get(f"{SELLER}/tickets", query=Page, response=rs.TicketPage,
            summary="The seller's tickets, newest first (without the agents' internal notes).")
def list_tickets(call: Call) -> Reply:
    items, total = tickets.tickets_of(call.session, call.params["seller_id"], call.query.limit, call.query.offset)
    return Reply(200, views.page([views.ticket_view(t) for t in items], call.query.limit, call.query.offset, total))


@router.get(f"{SELLER}/tickets/{{number}}", response=rs.TicketOut, not_found=("ticket_not_found", "ticket"),
            summary="One of the seller's tickets.", errors=[(404, "ticket_not_found"), (422, "malformed_number")])
def get_ticket(call: Call) -> Reply:
    return Reply(200, views.ticket_view(tickets.by_number(call.session, call.params["number"], call.params["seller_id"])))


# ------------------------------------------------------------------ evidence

_EVIDENCE_404 = ("evidence_not_found", "evidence for this seller")


@router.post(f"{SELLER}/evidence", upload=True, query=rq.UploadQuery, response=rs.EvidenceOut,
             not_found=("seller_not_found", "seller"),
             summary="Upload a file (raw body with Content-Type and X-Filename, or multipart with a `file` part). "
                     "Type checked by magic bytes: JPEG, PNG, WebP, GIF (10 MB), PDF (10 MB), MP4, QuickTime (50 MB). "
                     "Images are kept re-encoded from their pixels (no metadata, orientation applied); PDFs with "
                     "active content (JavaScript, automatic actions, embedded files, XFA) are refused. Each seller may "
                     "upload a limited number of files and bytes per period (ALEX_EVIDENCE_QUOTA_*).",
             errors=[(404, "seller_not_found"), (413, "file_too_large"), (413, "image_too_large"),
                     (415, "unsupported_media_type"), (415, "content_type_mismatch"), (422, "empty_file"),
                     (422, "image_unreadable"), (422, "pdf_active_content"), (422, "pdf_uncheckable"),
                     (429, "evidence_quota_exceeded")])
def upload_evidence(call: Call) -> Reply:
    seller = seller_of(call.session, call.params["seller_id"])
    assert call.upload is not None
    item = evidence.add_file(call.session, call.config.evidence, seller.id, call.upload, call.query.purpose, call.now)
    return Reply(201, views.evidence_view(item))


@router.post(f"{SELLER}/evidence/links", body=rq.EvidenceLink, response=rs.EvidenceOut,
             not_found=("seller_not_found", "seller"), summary="Evidence by link (an image, video, document or page).",
             errors=[(404, "seller_not_found")])
def add_evidence_link(call: Call) -> Reply:
    seller = seller_of(call.session, call.params["seller_id"])
    b = call.body
    return Reply(201, views.evidence_view(evidence.add_link(call.session, seller.id, b.url, b.media, b.purpose,
                                                            call.now)))


@router.post(f"{SELLER}/evidence/notes", body=rq.EvidenceNote, response=rs.EvidenceOut,
             not_found=("seller_not_found", "seller"),
             summary="Evidence as text (e.g. the buyer's complaint with their email address, pasted).",
             errors=[(404, "seller_not_found")])
def add_evidence_note(call: Call) -> Reply:
    seller = seller_of(call.session, call.params["seller_id"])
    b = call.body
    return Reply(201, views.evidence_view(evidence.add_note(call.session, seller.id, b.text, b.purpose, call.now)))


@router.get(f"{SELLER}/evidence/{{evidence_id}}", response=rs.EvidenceOut, not_found=_EVIDENCE_404,
            summary="Metadata of one evidence item.", errors=[(404, "evidence_not_found")])
def get_evidence(call: Call) -> Reply:
    item = evidence.find(call.session, call.params["seller_id"], call.params["evidence_id"])
    return Reply(200, views.evidence_view(item))


@router.patch(f"{SELLER}/evidence/{{evidence_id}}", body=rq.EvidenceChange, response=rs.EvidenceOut,
              not_found=_EVIDENCE_404,
              summary="Set what an evidence item proves (its purpose), e.g. for a file a channel uploaded as `other` "
                      "before the dispute flow knew it was the buyer's complaint. Setting the same purpose again "
                      "is harmless.",
              errors=[(404, "evidence_not_found")])
def change_evidence(call: Call) -> Reply:
    item = evidence.set_purpose(call.session, call.params["seller_id"], call.params["evidence_id"],
                                call.body.purpose)
    return Reply(200, views.evidence_view(item))


@router.get(f"{SELLER}/evidence/{{evidence_id}}/content", file_response=True, not_found=_EVIDENCE_404,
            summary="The stored file itself (served as an attachment).", errors=[(404, "evidence_not_found")])
def get_evidence_content(call: Call) -> Reply:
    item = evidence.find(call.session, call.params["seller_id"], call.params["evidence_id"])
    if item.sha256 is None:
        raise not_found(*_EVIDENCE_404)
    return Reply(200, file=call.config.evidence.path_of(item.sha256), content_type=item.content_type,
                 filename=item.filename)
