"""What Meta reports back in webhooks: status updates of our messages and errors.

Every status update is recorded in the backend. When it belongs to an agent's reply the backend moves the
reply's delivery state (the console shows sent, delivered, read, or failed with the reason); a reply WhatsApp
refused because the 24-hour window had closed (131047) is resent once as the approved template, and a reply that
still fails is flagged on its ticket by the backend. Errors Meta reports at the top of a webhook (`value.errors`,
e.g. 130429 rate limit hit) and failed statuses are logged at error level with the conversation and counted on the
channel's health.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.channels.backend_client import BackendError, ChannelBackend
from bot.channels.whatsapp_graph import GraphApi
from bot.channels.whatsapp_inbound import iso, sent_at
from bot.channels.whatsapp_output import WhatsAppOutput, backend_sender, conversation_of

logger = logging.getLogger(__name__)


def _error(raw: dict[str, Any]) -> dict[str, Any]:
    return {"code": int(raw.get("code") or 0), "title": str(raw.get("title") or "error")[:200],
            "message": str(raw.get("message") or (raw.get("error_data") or {}).get("details") or "")[:1000] or None}


def _described(errors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{e['code']} {e['title']}" + (f" ({e['message']})" if e["message"] else "") for e in errors)


class StatusReports:
    """Handles the status updates and errors of one channel's webhooks."""

    def __init__(self, backend: ChannelBackend, graph: GraphApi, output: WhatsAppOutput) -> None:
        self.backend = backend
        self.graph = graph
        self.output = output

    def errors(self, value: dict[str, Any]) -> None:
        """`value.errors`: errors Meta reports for the phone number as a whole (no message, no conversation)."""
        for raw in value.get("errors") or []:
            if isinstance(raw, dict):
                error = _error(raw)
                self.graph.record_failure("webhook error report", None, _described([error]))

    async def record(self, status: dict[str, Any]) -> None:
        message_id = status.get("id")
        if not isinstance(message_id, str):
            return
        recipient = str(status.get("recipient_id") or status.get("recipient_user_id") or "")
        update: dict[str, Any] = {"status": status.get("status"), "at": iso(sent_at(status)),
                                  "recipient": backend_sender(recipient)}
        errors = [_error(e) for e in (status.get("errors") or [])[:10] if isinstance(e, dict)]
        if errors:
            update["errors"] = errors
            # Failed messages reach the operator: an error line with the conversation, counted on the health.
            self.graph.record_failure(f"message {message_id} in {conversation_of(recipient)}", None,
                                      _described(errors))
        try:
            answer = await self.backend.record_whatsapp_status(message_id, update)
        except BackendError as error:
            logger.error("whatsapp: status %s of %s in %s not recorded: %s", update["status"], message_id,
                         conversation_of(recipient), error)
            return
        if recipient:
            await self.output.follow(answer, recipient)
