"""Platform role: what the platform's own staff systems do (and what demo seeding and tests use to make
fresh objects in any state): sellers, orders and their steps, dispute decisions, refunds paid out, returns
(the buyer's form, closing), WhatsApp and help-page identities, agent accounts. Not seller-scoped: the
platform sees everything."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.backend import views
from bot.backend.domain import agents, disputes, identities, orders, returns, wallet, whatsapp
from bot.backend.errors import ApiError, not_found
from bot.backend.models import Actor, Agent, Dispute, IdentityKind, Seller, SellerIdentity
from bot.backend.money import parse_amount
from bot.backend.operations import Call, Reply, Role, Router
from bot.backend.passwords import hash_password
from bot.backend.routes.sellers import seller_of
from bot.backend.schemas import requests as rq
from bot.backend.schemas import responses as rs
from bot.backend.schemas.common import Empty, Page

router = Router(Role.PLATFORM, "platform")
_ORDER_404 = ("order_not_found", "order")
_DISPUTE_404 = ("dispute_not_found", "dispute")
_ORDER_ERRORS = [(404, "order_not_found"), (409, "invalid_transition"), (422, "malformed_number")]
_DISPUTE_ERRORS = [(404, "dispute_not_found"), (409, "invalid_transition"), (422, "malformed_number")]


@router.post("/v1/platform/sellers", body=rq.CreateSeller, response=rs.SellerOut,
             summary="Create a seller (optionally with a first wallet top-up).", errors=[(409, "seller_exists")])
def create_seller(call: Call) -> Reply:
    b = call.body
    taken = call.session.execute(
        select(Seller.id).where((Seller.id == b.id) | (Seller.email == b.email))
    ).first()
    if taken is not None:
        raise ApiError(409, "seller_exists", "A seller with this id or email exists.")
    seller = Seller(id=b.id, name=b.name, email=b.email, wallet_currency=b.wallet_currency, created_at=call.now)
    call.session.add(seller)
    call.session.flush()
    if b.wallet_top_up is not None and parse_amount(b.wallet_top_up) > 0:
        wallet.top_up(call.session, seller, parse_amount(b.wallet_top_up), None, call.now)
    call.session.refresh(seller)
    return Reply(201, views.seller_view(seller, orders.wallet_balance_cents(call.session, seller.id)))


@router.post("/v1/platform/sellers/{seller_id}/wallet/top-ups", body=rq.TopUp, response=rs.SellerOut,
             not_found=("seller_not_found", "seller"), summary="Credit the seller's CJ Wallet.",
             errors=[(404, "seller_not_found")])
def top_up_wallet(call: Call) -> Reply:
    seller = seller_of(call.session, call.params["seller_id"])
    amount = parse_amount(call.body.amount)
    if amount <= 0:
        raise ApiError(422, "validation_failed", "A top-up is more than zero.")
    wallet.top_up(call.session, seller, amount, call.body.description, call.now)
    return Reply(201, views.seller_view(seller, orders.wallet_balance_cents(call.session, seller.id)))


# ------------------------------------------------------------------ orders


@router.post("/v1/platform/orders", body=rq.CreateOrder, response=rs.OrderOut,
             summary="Create an order with lines; `advance_to` takes it through the platform's steps at once.",
             errors=[(404, "seller_not_found"), (409, "insufficient_balance")])
def create_order(call: Call) -> Reply:
    b = call.body
    seller = seller_of(call.session, b.seller_id)
    lines = [(line.sku, line.product, line.quantity, parse_amount(line.unit_price)) for line in b.lines]
    order = orders.create_order(call.session, seller, b.kind, b.currency, lines, parse_amount(b.shipping_cost),
                                b.store_name, call.now)
    for step in orders.PATH_TO[b.advance_to]:
        orders.advance(call.session, order, step, call.now, method=b.payment_method, carrier=b.carrier,
                       tracking_number=b.tracking_number or f"YT{order.number[2:]}")
    call.session.flush()
    return Reply(201, views.order_view(order, call.config.return_link_base))


@router.get("/v1/platform/orders/{number}", response=rs.OrderOut, not_found=_ORDER_404,
            summary="Any order.", errors=[(404, "order_not_found"), (422, "malformed_number")])
def platform_get_order(call: Call) -> Reply:
    order = orders.find_order(call.session, call.params["number"], None)
    return Reply(200, views.order_view(order, call.config.return_link_base))


def _step(call: Call, step: str, **options: object) -> Reply:
    order = orders.find_order(call.session, call.params["number"], None, lock=True)
    orders.advance(call.session, order, step, call.now, **options)  # type: ignore[arg-type]
    call.session.flush()
    return Reply(200, views.order_view(order, call.config.return_link_base))


@router.post("/v1/platform/orders/{number}/pay", body=rq.PayOrder, response=rs.OrderOut, status=200,
             not_found=_ORDER_404, summary="Mark an unpaid order paid (from the wallet: debits it).",
             errors=_ORDER_ERRORS + [(409, "insufficient_balance")])
def pay_order(call: Call) -> Reply:
    return _step(call, "pay", method=call.body.method)


@router.post("/v1/platform/orders/{number}/dispatch", body=rq.DispatchOrder, response=rs.OrderOut, status=200,
             not_found=_ORDER_404, summary="Dispatch a paid order (waits while a dispute stops processing).",
             errors=_ORDER_ERRORS + [(409, "processing_stopped")])
def dispatch_order(call: Call) -> Reply:
    return _step(call, "dispatch", carrier=call.body.carrier, tracking_number=call.body.tracking_number)


@router.post("/v1/platform/orders/{number}/deliver", body=Empty, response=rs.OrderOut, status=200,
             not_found=_ORDER_404, summary="Mark a dispatched order delivered.", errors=_ORDER_ERRORS)
def deliver_order(call: Call) -> Reply:
    return _step(call, "deliver")


@router.post("/v1/platform/orders/{number}/complete", body=Empty, response=rs.OrderOut, status=200,
             not_found=_ORDER_404, summary="Complete a dispatched or delivered order.", errors=_ORDER_ERRORS)
def complete_order(call: Call) -> Reply:
    return _step(call, "complete")


@router.post("/v1/platform/orders/{number}/close", body=Empty, response=rs.OrderOut, status=200,
             not_found=_ORDER_404, summary="Close an order (no dispute may be active).",
             errors=_ORDER_ERRORS + [(409, "dispute_open")])
def close_order(call: Call) -> Reply:
    return _step(call, "close")


@router.post("/v1/platform/orders/{number}/cancel", body=Empty, response=rs.OrderOut, status=200,
             not_found=_ORDER_404, summary="Cancel an unpaid order.", errors=_ORDER_ERRORS)
def platform_cancel_order(call: Call) -> Reply:
    return _step(call, "cancel")


# ------------------------------------------------------------------ disputes


def _dispute(call: Call, dispute: Dispute | None = None, status: int = 200) -> Reply:
    call.session.flush()
    dispute = dispute or disputes.find_dispute(call.session, call.params["number"], None)
    return Reply(status, views.dispute_view(dispute, disputes.timeline(call.session, dispute)))


@router.get("/v1/platform/disputes/{number}", response=rs.DisputeOut, not_found=_DISPUTE_404,
            summary="Any dispute.", errors=[(404, "dispute_not_found"), (422, "malformed_number")])
def platform_get_dispute(call: Call) -> Reply:
    return _dispute(call)


@router.post("/v1/platform/disputes/{number}/approve-refund", body=rq.ApproveRefund, response=rs.DisputeOut,
             status=200, not_found=_DISPUTE_404,
             summary="Approve the refund a dispute asks for (pending until paid out); the dispute ends.",
             errors=_DISPUTE_ERRORS + [(422, "refund_amount_invalid")])
def approve_refund(call: Call) -> Reply:
    dispute = disputes.find_dispute(call.session, call.params["number"], None, lock=True)
    amount = parse_amount(call.body.amount) if call.body.amount is not None else None
    disputes.approve_refund(call.session, dispute, amount, call.body.note, call.now)
    return _dispute(call, dispute)


@router.post("/v1/platform/disputes/{number}/refund/pay-out", body=Empty, response=rs.DisputeOut, status=200,
             not_found=_DISPUTE_404,
             summary="Pay out an approved refund: one ledger entry, on the CJ Wallet or the original method.",
             errors=[(404, "dispute_not_found"), (409, "refund_not_pending"), (422, "malformed_number")])
def pay_out_refund(call: Call) -> Reply:
    dispute = disputes.find_dispute(call.session, call.params["number"], None, lock=True)
    disputes.pay_out_refund(call.session, dispute, call.now)
    return _dispute(call, dispute)


@router.post("/v1/platform/disputes/{number}/propose-resend", body=rq.ProposeResend, response=rs.DisputeOut,
             status=200, not_found=_DISPUTE_404,
             summary="Propose a resend; the seller must agree before it ships (seed 002 §5).", errors=_DISPUTE_ERRORS)
def propose_resend(call: Call) -> Reply:
    dispute = disputes.find_dispute(call.session, call.params["number"], None, lock=True)
    disputes.propose_resend(call.session, dispute, call.body.details, call.now)
    return _dispute(call, dispute)


@router.post("/v1/platform/disputes/{number}/ship-resend", body=rq.ShipResend, response=rs.DisputeOut, status=200,
             not_found=_DISPUTE_404, summary="Ship an agreed resend; the dispute ends.", errors=_DISPUTE_ERRORS)
def ship_resend(call: Call) -> Reply:
    dispute = disputes.find_dispute(call.session, call.params["number"], None, lock=True)
    disputes.ship_resend(call.session, dispute, call.body.carrier, call.body.tracking_number, call.now)
    return _dispute(call, dispute)


@router.post("/v1/platform/disputes/{number}/reject", body=rq.RejectDispute, response=rs.DisputeOut, status=200,
             not_found=_DISPUTE_404, summary="Reject a dispute; the dispute ends.", errors=_DISPUTE_ERRORS)
def reject_dispute(call: Call) -> Reply:
    dispute = disputes.find_dispute(call.session, call.params["number"], None, lock=True)
    disputes.reject(call.session, dispute, call.body.note, call.now)
    return _dispute(call, dispute)


@router.post("/v1/platform/disputes/{number}/messages", body=rq.PlatformDisputeMessage, response=rs.DisputeOut,
             not_found=_DISPUTE_404, summary="The platform's reply in the dispute's conversation.",
             errors=[(404, "dispute_not_found"), (409, "dispute_not_open"), (422, "malformed_number")])
def platform_dispute_message(call: Call) -> Reply:
    dispute = disputes.find_dispute(call.session, call.params["number"], None, lock=True)
    disputes.add_message(call.session, dispute, Actor.PLATFORM, call.body.body, [], None, call.now)
    return _dispute(call, dispute, 201)


# ------------------------------------------------------------------ returns

_RETURN_404 = ("return_not_found", "return")
_RETURN_ERRORS = [(404, "return_not_found"), (409, "invalid_transition"), (422, "malformed_number")]


@router.get("/v1/platform/returns/{number}", response=rs.ReturnOut, not_found=_RETURN_404,
            summary="Any return.", errors=[(404, "return_not_found"), (422, "malformed_number")])
def platform_get_return(call: Call) -> Reply:
    request = returns.find(call.session, None, call.params["number"])
    return Reply(200, views.return_view(request, call.config.return_link_base))


@router.post("/v1/platform/returns/{number}/buyer-submitted", body=Empty, response=rs.ReturnOut, status=200,
             not_found=_RETURN_404,
             summary="The buyer filled in the return form (seed 000 §4.3): link_sent becomes buyer_submitted; "
                     "the seller's agent settles it next.", errors=_RETURN_ERRORS)
def return_buyer_submitted(call: Call) -> Reply:
    request = returns.find(call.session, None, call.params["number"], lock=True)
    returns.buyer_submitted(call.session, request, call.now)
    return Reply(200, views.return_view(request, call.config.return_link_base))


@router.post("/v1/platform/returns/{number}/close", body=rq.CloseReturn, response=rs.ReturnOut, status=200,
             not_found=_RETURN_404,
             summary="Close a return, settled or with its link never used (from link_sent or buyer_submitted); "
                     "the order may then take another return.", errors=_RETURN_ERRORS)
def close_return(call: Call) -> Reply:
    request = returns.find(call.session, None, call.params["number"], lock=True)
    returns.close(call.session, request, call.body.note, call.now)
    return Reply(200, views.return_view(request, call.config.return_link_base))


# ------------------------------------------------------------------ identities


@router.put("/v1/platform/identities/whatsapp/{e164}", body=rq.LinkWhatsApp, response=rs.WhatsAppLink,
            not_found=("identity_not_found", "WhatsApp number"),
            summary="Link a WhatsApp number (E.164) to a seller, replacing any earlier link of that number.",
            errors=[(404, "seller_not_found"), (404, "identity_not_found")])
def link_whatsapp(call: Call) -> Reply:
    seller = seller_of(call.session, call.body.seller_id)
    identity = whatsapp.link(call.session, call.params["e164"], seller, call.now)
    return Reply(200, {"number": identity.external_id, "seller_id": identity.seller_id,
                       "linked_at": views.iso(identity.linked_at)})


@router.delete("/v1/platform/identities/whatsapp/{e164}", response=rs.Unlinked,
               not_found=("identity_not_found", "linked WhatsApp number"),
               summary="Unlink a WhatsApp number.", errors=[(404, "identity_not_found")])
def unlink_whatsapp(call: Call) -> Reply:
    number = whatsapp.unlink(call.session, call.params["e164"])
    return Reply(200, {"number": number, "unlinked": True})


_HELP_PAGE = "/v1/platform/identities/help-page/{account_id}"
_HELP_PAGE_404 = ("identity_not_found", "linked help-page account")


def _help_page_link(identity: SellerIdentity) -> dict:
    return {"account_id": identity.external_id, "seller_id": identity.seller_id,
            "linked_at": views.iso(identity.linked_at)}


@router.get(_HELP_PAGE, response=rs.HelpPageLink, not_found=_HELP_PAGE_404,
            summary="The seller a help-page account is linked to.", errors=[(404, "identity_not_found")])
def get_help_page_link(call: Call) -> Reply:
    identity = identities.find(call.session, IdentityKind.HELP_PAGE,
                               identities.help_page_account(call.params["account_id"]))
    if identity is None:
        raise not_found(*_HELP_PAGE_404)
    return Reply(200, _help_page_link(identity))


@router.put(_HELP_PAGE, body=rq.LinkHelpPage, response=rs.HelpPageLink,
            not_found=("identity_not_found", "help-page account"),
            summary="Link a help-page account (1-64 letters, digits and ._:@-) to a seller, replacing any earlier "
                    "link of that account.",
            errors=[(404, "seller_not_found"), (404, "identity_not_found")])
def link_help_page(call: Call) -> Reply:
    seller = seller_of(call.session, call.body.seller_id)
    account = identities.help_page_account(call.params["account_id"])
    if account is None:
        raise not_found("identity_not_found", "help-page account")
    return Reply(200, _help_page_link(identities.link(call.session, IdentityKind.HELP_PAGE, account, seller,
                                                      call.now)))


@router.delete(_HELP_PAGE, response=rs.HelpPageUnlinked, not_found=_HELP_PAGE_404,
               summary="Unlink a help-page account.", errors=[(404, "identity_not_found")])
def unlink_help_page(call: Call) -> Reply:
    account = identities.unlink(call.session, IdentityKind.HELP_PAGE,
                                identities.help_page_account(call.params["account_id"]), "linked help-page account")
    return Reply(200, {"account_id": account, "unlinked": True})


# ------------------------------------------------------------------ agents


@router.post("/v1/platform/agents", body=rq.CreateAgent, response=rs.AgentOut,
             summary="Create an agent account (password stored as a scrypt hash).", errors=[(409, "agent_exists")])
def create_agent(call: Call) -> Reply:
    b = call.body
    email = b.email.lower()
    if call.session.execute(select(Agent.id).where(Agent.email == email)).first() is not None:
        raise ApiError(409, "agent_exists", "An agent with this email exists.")
    agent = Agent(email=email, name=b.name, role=b.role, password_hash=hash_password(b.password), active=True,
                  created_at=call.now)
    call.session.add(agent)
    call.session.flush()
    return Reply(201, views.agent_view(agent))



_AGENT = "/v1/platform/agents/{agent_id}"
_AGENT_404 = ("agent_not_found", "agent")


@router.get("/v1/platform/agents", query=Page, response=rs.AgentPage,
            summary="Every agent account, active or not, by name.")
def platform_list_agents(call: Call) -> Reply:
    q = call.query
    total = call.session.execute(select(func.count()).select_from(Agent)).scalar_one()
    items = call.session.execute(select(Agent).order_by(Agent.name, Agent.id).limit(q.limit).offset(q.offset)
                                 ).scalars().all()
    return Reply(200, views.page([views.agent_view(a) for a in items], q.limit, q.offset, total))


@router.get(_AGENT, response=rs.AgentOut, not_found=_AGENT_404, summary="One agent account.",
            errors=[(404, "agent_not_found")])
def platform_get_agent(call: Call) -> Reply:
    return Reply(200, views.agent_view(agents.find(call.session, call.params["agent_id"])))


@router.post(f"{_AGENT}/deactivate", body=Empty, response=rs.AgentDeactivated, status=200, not_found=_AGENT_404,
             summary="Deactivate an agent: sign-in is refused, every session ends, the agent leaves the console's "
                     "agents list, and the active tickets they held go back to the queue unassigned (a conversation "
                     "they had taken over waits for the next agent). Deactivating an inactive agent changes nothing.",
             errors=[(404, "agent_not_found")])
def deactivate_agent(call: Call) -> Reply:
    agent = agents.find(call.session, call.params["agent_id"], lock=True)
    ended, released = agents.deactivate(call.session, agent, call.now)
    return Reply(200, {"agent": views.agent_view(agent), "sessions_ended": ended, "tickets_released": released})


@router.post(f"{_AGENT}/activate", body=Empty, response=rs.AgentOut, status=200, not_found=_AGENT_404,
             summary="Reactivate a deactivated agent (they sign in afresh; no ticket comes back to them).",
             errors=[(404, "agent_not_found")])
def activate_agent(call: Call) -> Reply:
    agent = agents.find(call.session, call.params["agent_id"], lock=True)
    agents.activate(call.session, agent, call.now)
    return Reply(200, views.agent_view(agent))


@router.put(f"{_AGENT}/password", body=rq.SetAgentPassword, response=rs.AgentPasswordSet, not_found=_AGENT_404,
            replay=False,
            summary="Set an agent's password (at least 12 characters; stored as a scrypt hash); every session of "
                    "the agent ends. Never replayed, so no fingerprint of the password is kept: a retry sets the "
                    "same password again.",
            errors=[(404, "agent_not_found")])
def set_agent_password(call: Call) -> Reply:
    agent = agents.find(call.session, call.params["agent_id"], lock=True)
    ended = agents.set_password(call.session, agent, call.body.password, call.now)
    return Reply(200, {"agent": views.agent_view(agent), "sessions_ended": ended})
