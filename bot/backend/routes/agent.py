"""Console role (`/v1/agent/...`): agents sign in, work the queue, take conversations over, answer, settle
and hand back. Every call but signing in carries `X-Agent-Session`; everything an agent does is audited."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.backend import views
from bot.backend.domain import agents, disputes, orders, tickets
from bot.backend.errors import ApiError
from bot.backend.models import DeliveryState
from bot.backend.models import Agent, AgentRole, AgentSession, AuditEntry, Order, Seller, Ticket
from bot.backend.operations import AppConfig, Call, Reply, Role, Router, Transactions
from bot.backend.rules import TICKET_TRANSITIONS
from bot.backend.schemas import requests as rq
from bot.backend.schemas import responses as rs
from bot.backend.schemas.common import Empty, Page

router = Router(Role.CONSOLE, "agent")
TICKET = "/v1/agent/tickets/{number}"
_TICKET_404 = ("ticket_not_found", "ticket")
_TICKET_ERRORS = [(404, "ticket_not_found"), (422, "malformed_number")]
_CONTEXT_ORDERS = 10


def _agent(call: Call) -> Agent:
    assert call.caller.agent is not None
    return call.caller.agent


def _ticket(call: Call) -> Ticket:
    return tickets.by_number(call.session, call.params["number"])


def _detail(call: Call, ticket: Ticket, status: int = 200) -> Reply:
    """The ticket with its whole thread (internal notes included) and the seller's context."""
    call.session.flush()
    call.session.expire_all()
    ticket = tickets.by_number(call.session, ticket.number)
    context: dict = {"seller": None, "orders": [], "disputes": []}
    if ticket.seller_id is not None:
        seller = call.session.get(Seller, ticket.seller_id)
        context["seller"] = views.seller_view(seller, orders.wallet_balance_cents(call.session, seller.id))
        recent, _ = orders.list_orders(call.session, seller.id, None, None, _CONTEXT_ORDERS, 0)
        mentioned = call.session.execute(
            select(Order).where(Order.seller_id == seller.id, Order.number.in_(ticket.order_numbers))
            .options(*orders.ORDER_LOADS)).scalars().all()
        shown = {o.number: o for o in [*mentioned, *recent]}
        context["orders"] = [views.order_view(o, call.config.return_link_base) for o in shown.values()]
        latest, _ = disputes.list_disputes(call.session, seller.id, None, None, None, _CONTEXT_ORDERS, 0)
        context["disputes"] = [views.dispute_summary(d) for d in latest]
    return Reply(status, {
        "ticket": views.ticket_view(ticket, internal_notes=True),
        "assignee": views.assignee_view(ticket.assignee),
        "context": context,
        "allowed_statuses": [s.value for s in TICKET_TRANSITIONS[ticket.status]],
    })


# ------------------------------------------------------------------ sessions


def _check_password(run: Transactions, body: rq.SignIn, config: AppConfig) -> agents.PasswordCheck:
    return agents.check_password(run, body.email, body.password, body.client_address, config.sign_in_policy)


@router.post("/v1/agent/sessions", body=rq.SignIn, response=rs.SessionOut, agent_session=False, replay=False,
             prepare=_check_password,
             summary="Sign in: a session token for X-Agent-Session, valid until expires_at (8 hours at most). "
                     "Never replayed: the token is stored only as a hash. Failed sign-ins lock the account (and "
                     "`client_address`, the browser's address) for a short, growing while: 429 with Retry-After.",
             errors=[(401, "invalid_credentials"), (429, "too_many_sign_in_attempts")])
def sign_in(call: Call) -> Reply:
    b = call.body
    ttl = min(b.ttl_seconds or call.config.session_ttl_seconds, call.config.session_ttl_seconds)
    token, record = agents.sign_in(call.session, call.prepared, ttl, call.now)
    return Reply(201, {"token": token, "expires_at": views.iso(record.expires_at), "agent": views.agent_view(record.agent)})


@router.delete("/v1/agent/sessions/current", response=rs.SignedOut, summary="Sign out (the token stops working).")
def sign_out(call: Call) -> Reply:
    agents.sign_out(call.session, call.session.get(AgentSession, call.caller.session_id), call.now)
    return Reply(200, {"signed_out": True})


@router.get("/v1/agent/me", response=rs.AgentOut, summary="The signed-in agent.")
def me(call: Call) -> Reply:
    return Reply(200, views.agent_view(_agent(call)))


@router.get("/v1/agent/agents", query=Page, response=rs.AgentPage, summary="Active agents (to reassign to).")
def list_agents(call: Call) -> Reply:
    q = call.query
    total = call.session.execute(select(func.count()).select_from(Agent).where(Agent.active)).scalar_one()
    items = call.session.execute(select(Agent).where(Agent.active).order_by(Agent.name, Agent.id)
                                 .limit(q.limit).offset(q.offset)).scalars().all()
    return Reply(200, views.page([views.agent_view(a) for a in items], q.limit, q.offset, total))


# ------------------------------------------------------------------ the queue and tickets


@router.get("/v1/agent/queue", query=rq.QueueQuery, response=rs.QueuePage,
            summary="Tickets by priority, then age (oldest first), with SLA due times and overdue flags. Default: "
                    "every active ticket (new, open, pending).")
def get_queue(call: Call) -> Reply:
    q = call.query
    items, total = tickets.queue(call.session, _agent(call), q.status, q.assignee.value, q.limit, q.offset)
    return Reply(200, views.page([views.queue_item_view(t, call.now) for t in items], q.limit, q.offset, total))


@router.get(TICKET, response=rs.AgentTicketOut, not_found=_TICKET_404, errors=_TICKET_ERRORS,
            summary="A ticket with its thread (internal notes too) and the seller's context (profile, recent and "
                    "mentioned orders, disputes).")
def get_agent_ticket(call: Call) -> Reply:
    return _detail(call, _ticket(call))


@router.get("/v1/agent/conversations/{conversation_id}/ticket", response=rs.AgentTicketOut,
            not_found=("ticket_not_found", "ticket for this conversation"), errors=[(404, "ticket_not_found")],
            summary="A conversation's newest ticket, active or not (the console opens a ticket's transcript link "
                    "with it).")
def get_conversation_ticket_for_agent(call: Call) -> Reply:
    return _detail(call, tickets.latest_for(call.session, call.params["conversation_id"]))


@router.post(f"{TICKET}/claim", body=Empty, response=rs.AgentTicketOut, status=200, not_found=_TICKET_404,
             summary="Take the conversation over (the bot stays quiet). Two agents at once: one wins, the other "
                     "gets 409 already_claimed.",
             errors=_TICKET_ERRORS + [(409, "already_claimed"), (409, "conversation_moved_on")])
def claim_ticket(call: Call) -> Reply:
    ticket = _ticket(call)
    tickets.claim(call.session, _agent(call), ticket, call.now)
    return _detail(call, ticket)


@router.post(f"{TICKET}/messages", body=rq.AgentReply, response=rs.AgentTicketOut, not_found=_TICKET_404,
             summary="Reply to the seller (delivery_state pending until delivered) or add an internal note. Only "
                     "the agent holding the conversation: 409 conversation_moved_on otherwise.",
             errors=_TICKET_ERRORS + [(409, "conversation_moved_on")])
def post_agent_message(call: Call) -> Reply:
    ticket = _ticket(call)
    tickets.reply(call.session, _agent(call), ticket, call.body.body, call.body.internal, call.now)
    return _detail(call, ticket, 201)


_MESSAGE_404 = ("message_not_found", "agent message on this ticket")


def _message_id(call: Call) -> int:
    try:
        return int(call.params["message_id"])
    except ValueError:
        raise ApiError(404, "message_not_found", "No such agent message on this ticket.") from None


@router.post(f"{TICKET}/messages/{{message_id}}/delivery-attempts", body=Empty, response=rs.DeliveryAttemptOut,
             status=200, not_found=_MESSAGE_404, replay=False,
             summary="Start the one attempt that may deliver a reply to the seller (the caller delivers it, then "
                     "records the outcome with PUT .../delivery). 409 when it was delivered already or another "
                     "attempt is under way. Never replayed: a repeated request must not start a second delivery.",
             errors=_TICKET_ERRORS + [(404, "message_not_found"), (409, "conversation_moved_on"),
                                      (409, "already_delivered"), (409, "delivery_in_progress")])
def begin_message_delivery(call: Call) -> Reply:
    message, interrupted = tickets.begin_delivery(call.session, _agent(call), _ticket(call), _message_id(call),
                                                  call.now)
    return Reply(200, {"message": views.ticket_message_view(message), "interrupted_attempt": interrupted})


@router.put(f"{TICKET}/messages/{{message_id}}/delivery", body=rq.DeliveryUpdate, response=rs.TicketMessageOut,
            not_found=_MESSAGE_404, replay=False,
            summary="Record how far an agent's reply got (sent, delivered, read, failed); this ends the delivery "
                    "attempt. Naturally idempotent, so never replayed: a repeat records the state again.",
            errors=_TICKET_ERRORS + [(404, "message_not_found")])
def set_message_delivery(call: Call) -> Reply:
    message = tickets.set_delivery(call.session, _ticket(call), _message_id(call),
                                   DeliveryState(call.body.delivery_state.value))
    call.session.flush()
    return Reply(200, views.ticket_message_view(message))


@router.post(f"{TICKET}/status", body=rq.TicketStatusChange, response=rs.AgentTicketOut, status=200,
             not_found=_TICKET_404, summary="Change the status along the allowed transitions (allowed_statuses).",
             errors=_TICKET_ERRORS + [(409, "invalid_transition"), (409, "conversation_moved_on"),
                                      (409, "conversation_has_active_ticket")])
def change_ticket_status(call: Call) -> Reply:
    ticket = _ticket(call)
    tickets.change_status(call.session, _agent(call), ticket, call.body.status, call.now)
    return _detail(call, ticket)


@router.post(f"{TICKET}/reassign", body=rq.Reassign, response=rs.AgentTicketOut, status=200, not_found=_TICKET_404,
             summary="Give the ticket to another agent (supervisors only).",
             errors=_TICKET_ERRORS + [(403, "supervisor_only"), (409, "conversation_moved_on"),
                                      (422, "agent_not_found")])
def reassign_ticket(call: Call) -> Reply:
    ticket = _ticket(call)
    tickets.reassign(call.session, _agent(call), ticket, call.body.agent_id, call.now)
    return _detail(call, ticket)


@router.post(f"{TICKET}/resolve", body=rq.Resolve, response=rs.AgentTicketOut, status=200, not_found=_TICKET_404,
             summary="Mark the ticket solved (with an optional internal note); the bot has the conversation again.",
             errors=_TICKET_ERRORS + [(409, "invalid_transition"), (409, "conversation_moved_on")])
def resolve_ticket(call: Call) -> Reply:
    ticket = _ticket(call)
    tickets.resolve(call.session, _agent(call), ticket, call.body.note, call.now)
    return _detail(call, ticket)


@router.post(f"{TICKET}/hand-back", body=rq.HandBack, response=rs.AgentTicketOut, status=200, not_found=_TICKET_404,
             summary="End the takeover: the bot answers the seller again; the ticket keeps its status.",
             errors=_TICKET_ERRORS + [(409, "conversation_moved_on")])
def hand_back_ticket(call: Call) -> Reply:
    ticket = _ticket(call)
    tickets.hand_back(call.session, _agent(call), ticket, call.body.note, call.now)
    return _detail(call, ticket)


# ------------------------------------------------------------------ audit


def _audit_page(call: Call, ticket: Ticket | None) -> Reply:
    q = call.query
    condition = [AuditEntry.ticket_id == ticket.id] if ticket is not None else []
    total = call.session.execute(select(func.count()).select_from(AuditEntry).where(*condition)).scalar_one()
    entries = call.session.execute(
        select(AuditEntry).where(*condition).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(q.limit).offset(q.offset).options(selectinload(AuditEntry.agent))).scalars().all()
    ids = {e.ticket_id for e in entries if e.ticket_id}
    numbers = dict(call.session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(ids))).all()) if ids else {}
    return Reply(200, views.page([views.audit_view(e, numbers) for e in entries], q.limit, q.offset, total))


@router.get(f"{TICKET}/audit", query=Page, response=rs.AuditPage, not_found=_TICKET_404, errors=_TICKET_ERRORS,
            summary="Who did what to this ticket, newest first.")
def get_ticket_audit(call: Call) -> Reply:
    return _audit_page(call, _ticket(call))


@router.get("/v1/agent/audit", query=Page, response=rs.AuditPage, errors=[(403, "supervisor_only")],
            summary="The whole audit log, newest first (supervisors only).")
def get_audit(call: Call) -> Reply:
    if _agent(call).role is not AgentRole.SUPERVISOR:
        raise ApiError(403, "supervisor_only", "Only supervisors read the whole audit log.")
    return _audit_page(call, None)

