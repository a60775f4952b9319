"""Assistant role, for the channels: which seller a WhatsApp number belongs to, the WhatsApp channel's
shared state, and each sender's message budget (all kept here, so they survive restarts and are shared by
replicas)."""

from __future__ import annotations

from bot.backend.domain import limits, reply_delivery, whatsapp
from bot.backend.errors import ApiError
from bot.backend.operations import Call, Reply, Role, Router
from bot.backend.schemas import requests as rq
from bot.backend.schemas import responses as rs
from bot.backend.views import iso, ticket_message_view

router = Router(Role.ASSISTANT, "channels")
_NO_RESEND = {"resend_as_template": False, "agent_reply": None}


@router.get("/v1/identities/whatsapp/{e164}", response=rs.WhatsAppIdentity,
            not_found=("identity_not_found", "linked WhatsApp number"),
            summary="The seller a WhatsApp number is linked to, and the number's last inbound message time "
                    "(for the 24-hour window). Unknown and unlinked numbers answer alike.",
            errors=[(404, "identity_not_found")])
def whatsapp_identity(call: Call) -> Reply:
    identity = whatsapp.link_of(call.session, call.params["e164"])
    return Reply(200, {"seller_id": identity.seller_id,
                       "last_inbound_at": iso(whatsapp.last_inbound(call.session, identity.external_id))})


def _message_id(raw: str) -> str:
    if not 1 <= len(raw) <= 128 or not raw.isprintable():
        raise ApiError(422, "validation_failed", "Message ids are 1-128 printable characters.")
    return raw


@router.put("/v1/channels/whatsapp/inbound/{message_id}", body=rq.WhatsAppInboundRequest, response=rs.InboundRecorded,
            status=201, also=(200,), replay=False,
            summary="Record an inbound message id: 201 the first time, 200 with duplicate=true after that (Meta "
                    "redelivers). Also records the number's last inbound time. Naturally idempotent: the "
                    "Idempotency-Key is required but never replayed, so a redelivery always learns it is one.",
            errors=[(422, "validation_failed")])
def record_inbound(call: Call) -> Reply:
    message_id = _message_id(call.params["message_id"])
    first = whatsapp.record_inbound(call.session, message_id, call.body.number, call.body.received_at, call.now)
    return Reply(201 if first else 200, {"message_id": message_id, "duplicate": not first})


@router.put("/v1/channels/whatsapp/statuses/{message_id}", body=rq.WhatsAppStatusRequest, response=rs.StatusRecorded,
            replay=False,
            summary="Record a status update (sent, delivered, read, failed) of one of our outbound messages.",
            errors=[(422, "validation_failed")])
def record_status(call: Call) -> Reply:
    message_id = _message_id(call.params["message_id"])
    b = call.body
    errors = [e.dict(exclude_none=True) for e in b.errors]
    first = whatsapp.record_status(call.session, message_id, b.status, b.at, b.recipient, errors, call.now)
    follow = reply_delivery.on_status(call.session, message_id, b.status, errors, call.now) if first else {}
    return Reply(200, {"message_id": message_id, "status": b.status.value, "duplicate": not first,
                       **_NO_RESEND, **follow})


@router.post("/v1/channels/whatsapp/agent-replies/{ticket}/{message_id}/attempts", body=rq.AgentReplyAttempt,
             response=rs.AgentReplyAttemptRecorded, replay=True,
             not_found=("message_not_found", "agent message on this ticket"),
             summary="Record one attempt of the WhatsApp channel to deliver an agent's reply: the message id "
                     "WhatsApp gave it (its status webhooks then move the reply's delivery state), or the error "
                     "WhatsApp refused it with at once (the reply is failed and flagged on the ticket). Answers "
                     "whether to resend it as the approved template (refused outside the 24-hour window).",
             errors=[(404, "ticket_not_found"), (404, "message_not_found"), (422, "malformed_number"),
                     (422, "validation_failed")])
def record_agent_reply_attempt(call: Call) -> Reply:
    try:
        message_id = int(call.params["message_id"])
    except ValueError:
        raise ApiError(404, "message_not_found", "No such agent message on this ticket.") from None
    b = call.body
    message, follow = reply_delivery.record_attempt(call.session, call.params["ticket"], message_id,
                                                    b.whatsapp_message_id, b.template, b.error, call.now)
    return Reply(200, {"message": ticket_message_view(message), **_NO_RESEND, **follow})


@router.post("/v1/channels/message-admissions", body=rq.MessageAdmissionRequest, response=rs.MessageAdmission,
             status=200, replay=False,
             summary="Count one message of a sender before a channel hands it to the bot: admitted while the "
                     "sender's budget for the current window lasts (ALEX_MESSAGE_LIMIT per "
                     "ALEX_MESSAGE_WINDOW_SECONDS); otherwise how long until it renews, and whether this is the "
                     "window's first refusal (the one a WhatsApp sender is told about). Never replayed: every "
                     "call is one more message.",
             errors=[(422, "validation_failed")])
def admit_message(call: Call) -> Reply:
    admission = limits.admit_message(call.session, call.body.sender, call.config.message_budget, call.now)
    return Reply(200, {"admitted": admission.admitted, "retry_after_seconds": admission.retry_after_seconds,
                       "first_refusal": admission.first_refusal})
