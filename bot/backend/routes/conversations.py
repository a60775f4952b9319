"""Assistant role, per conversation: escalate to a person (one active ticket per conversation), read the
ticket and who holds the conversation, and pass on the seller's messages during a takeover."""

from __future__ import annotations

from bot.backend import views
from bot.backend.domain import tickets, waiting
from bot.backend.errors import not_found
from bot.backend.models import Ticket
from bot.backend.operations import Call, Reply, Role, Router
from bot.backend.schemas import requests as rq
from bot.backend.schemas import responses as rs

router = Router(Role.ASSISTANT, "conversations")
_TICKET_404 = ("ticket_not_found", "ticket for this conversation")
CONVERSATION = "/v1/conversations/{conversation_id}"


def _ticket_reply(call: Call, ticket: Ticket, status: int) -> Reply:
    hours = call.config.support_hours
    expected = waiting.expectations(call.session, ticket, hours, call.now)
    return Reply(status, views.conversation_ticket_view(ticket, expected, hours))


@router.put(f"{CONVERSATION}/ticket", body=rq.PutTicket, response=rs.ConversationTicketOut, status=201, also=(200,),
            not_found=_TICKET_404,
            summary="Escalate the conversation: 201 creates its active ticket, 200 updates it (reasons accumulate, "
                    "priority only rises, the latest summary wins). Also says what the seller can expect: the "
                    "place in the queue, an estimated wait, and the support team's hours.",
            errors=[(409, "conversation_seller_mismatch"), (422, "seller_not_found"), (422, "malformed_number")])
def put_ticket(call: Call) -> Reply:
    b = call.body
    ticket, created = tickets.put_for_conversation(
        call.session, call.params["conversation_id"], seller_id=b.seller_id, channel=b.channel, reason=b.reason,
        priority=b.priority, summary=b.summary, order_numbers=b.order_numbers, dispute_numbers=b.dispute_numbers,
        transcript_url=b.transcript_url, now=call.now, hours=call.config.support_hours)
    call.session.expire(ticket)
    return _ticket_reply(call, ticket, 201 if created else 200)


@router.get(f"{CONVERSATION}/ticket", response=rs.ConversationTicketOut, not_found=_TICKET_404,
            summary="The conversation's active ticket, with `handoff`: waiting (for an agent), agent (an agent "
                    "holds the conversation: the bot stays quiet) or returned (the bot has it again); while "
                    "waiting, the place in the queue and an estimated wait; and the support team's hours.",
            errors=[(404, "ticket_not_found")])
def get_conversation_ticket(call: Call) -> Reply:
    ticket = tickets.active_for(call.session, call.params["conversation_id"])
    if ticket is None:
        raise not_found(*_TICKET_404)
    return _ticket_reply(call, ticket, 200)


@router.post(f"{CONVERSATION}/ticket/messages", body=rq.SellerTicketMessage, response=rs.TicketMessageCreated,
             also=(200,), not_found=_TICKET_404,
             summary="A seller's message during a takeover: 201 recorded, 200 when this external_id was already "
                     "recorded (a redelivery).",
             errors=[(404, "ticket_not_found"), (422, "evidence_not_found")])
def post_seller_ticket_message(call: Call) -> Reply:
    b = call.body
    ticket, message, created = tickets.seller_message(call.session, call.params["conversation_id"], b.body,
                                                      b.external_id, b.evidence_ids, call.now)
    return Reply(201 if created else 200, {"ticket_number": ticket.number, "duplicate": not created,
                                           "message": views.ticket_message_view(message),
                                           "handoff": views.handoff_view(ticket)})
