"""The channels' client for the backend (assistant role): identities, evidence uploads, WhatsApp channel state.

The channels run inside Rasa's event loop, so this client is asynchronous (aiohttp) and every call has a
timeout. Writes carry an `Idempotency-Key` the caller derives from what it is doing (a WhatsApp message id, a
web upload id), so a retried upload never stores a file twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any, AsyncIterable
from urllib.parse import quote

import aiohttp

logger = logging.getLogger(__name__)

# An upload streams a file (up to tens of MB) through us: it gets longer than a lookup, but never forever.
UPLOAD_TIMEOUT_SECONDS = 120.0


class BackendError(Exception):
    """Base of everything that can go wrong when asking the backend."""


class BackendUnavailable(BackendError):
    """The backend is down, slow past the timeout, or answered with a server error."""


class BackendRefused(BackendError):
    """The backend answered with a client error: its status, code and sentence are passed on."""

    def __init__(self, status: int, code: str, message: str, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.retry_after = retry_after  # the backend's Retry-After (a 429), passed on to the caller's caller


@dataclass(frozen=True)
class LinkedNumber:
    seller_id: str
    last_inbound_at: str | None


def _segment(value: str) -> str:
    return quote(value, safe="")


def _header_safe(filename: str) -> str:
    """The name as is when it is printable ASCII (the backend stores the header verbatim), else percent-encoded."""
    if filename.isascii() and filename.isprintable():
        return filename
    return quote(filename, safe=" ._-()")


class ChannelBackend:
    """One backend, one service key; an aiohttp session per event loop, opened on first use."""

    def __init__(self, base_url: str, service_key: str, timeout_seconds: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.service_key = service_key
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any], channel: str) -> "ChannelBackend":
        """The backend a channel's credentials.yml entry names (backend_url, backend_key, backend_timeout)."""
        from bot.channels.verified import configured

        return cls(
            configured(credentials.get("backend_url"), f"{channel} backend_url"),
            configured(credentials.get("backend_key"), f"{channel} backend_key"),
            float(credentials.get("backend_timeout") or 5),
        )

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.service_key}"})
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> tuple[int, Any]:
        """(status, JSON body) for a 2xx or 404; BackendRefused for other 4xx; BackendUnavailable otherwise."""
        try:
            async with self._http().request(
                method, f"{self.base_url}{path}", json=json, data=data, headers=headers,
                timeout=timeout or self.timeout,
            ) as reply:
                try:
                    body = await reply.json(content_type=None)
                except ValueError:
                    body = None
                status = reply.status
                retry_after = reply.headers.get("Retry-After")
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:  # not the builtin TimeoutError on 3.10
            raise BackendUnavailable(f"{method} {path}: {error!r}") from error
        if status >= 500:
            raise BackendUnavailable(f"{method} {path}: HTTP {status}")
        if status >= 400 and status != 404:
            problem = (body or {}).get("error") or {} if isinstance(body, dict) else {}
            raise BackendRefused(
                status, str(problem.get("code") or f"http_{status}"), str(problem.get("message") or "Refused."),
                retry_after,
            )
        return status, body

    async def linked_seller(self, e164: str) -> LinkedNumber | None:
        """The seller a WhatsApp number is linked to, or None for an unknown or unlinked number."""
        status, body = await self.call("GET", f"/v1/identities/whatsapp/{_segment(e164)}")
        if status == 404 or not isinstance(body, dict) or not body.get("seller_id"):
            return None
        return LinkedNumber(str(body["seller_id"]), body.get("last_inbound_at"))

    async def record_whatsapp_inbound(self, message_id: str, number: str, received_at: str) -> bool:
        """Record an inbound WhatsApp message; False if it was recorded before (a duplicate delivery).

        The backend decides with a unique constraint, so two replicas (or a restart) never both handle it.
        """
        status, body = await self.call(
            "PUT", f"/v1/channels/whatsapp/inbound/{_segment(message_id)}",
            json={"number": number, "received_at": received_at},
            headers={"Idempotency-Key": f"wa-inbound:{message_id}"[:128]},
        )
        if status == 404:
            raise BackendUnavailable("the backend has no WhatsApp inbound endpoint")
        return not (isinstance(body, dict) and body.get("duplicate") is True)

    async def admit_message(self, sender: str) -> tuple[bool, int, bool]:
        """Count one message of a sender against its budget: (admitted, seconds until the budget renews,
        whether this is the window's first refusal)."""
        status, body = await self.call("POST", "/v1/channels/message-admissions", json={"sender": sender},
                                       headers={"Idempotency-Key": uuid.uuid4().hex})
        if status == 404 or not isinstance(body, dict):
            raise BackendUnavailable("the backend has no message admission endpoint")
        return bool(body["admitted"]), int(body["retry_after_seconds"]), bool(body["first_refusal"])

    async def record_whatsapp_status(self, message_id: str, status_update: dict[str, Any]) -> dict[str, Any]:
        """Record a status update (sent, delivered, read, failed) of one of our outbound messages; the answer
        names the agent reply it belongs to, if any, and whether to resend it as the template."""
        key = f"wa-status:{message_id}:{status_update.get('status')}"[:128]
        status, body = await self.call(
            "PUT", f"/v1/channels/whatsapp/statuses/{_segment(message_id)}",
            json=status_update, headers={"Idempotency-Key": key},
        )
        if status == 404:
            raise BackendUnavailable("the backend has no WhatsApp status endpoint")
        return body if isinstance(body, dict) else {}

    async def record_agent_reply_attempt(self, ticket: str, message_id: int, whatsapp_message_id: str | None,
                                         template: bool, error: str) -> dict[str, Any]:
        """One attempt to deliver an agent's reply on WhatsApp: the message id WhatsApp gave it, or the error it
        was refused with at once (the backend marks the reply failed and flags the ticket); the answer says
        whether to resend it as the template."""
        body: dict[str, Any] = {"template": template}
        if whatsapp_message_id:
            body["whatsapp_message_id"] = whatsapp_message_id
        else:
            body["error"] = error[:500] or "refused"
        status, answer = await self.call(
            "POST", f"/v1/channels/whatsapp/agent-replies/{_segment(ticket)}/{message_id}/attempts",
            json=body, headers={"Idempotency-Key": f"wa-attempt:{whatsapp_message_id or uuid.uuid4().hex}"[:128]},
        )
        if status == 404:
            raise BackendRefused(404, "message_not_found", "No such agent reply on that ticket.")
        return answer if isinstance(answer, dict) else {}

    async def upload_evidence(
        self,
        seller_id: str,
        content: bytes | AsyncIterable[bytes],
        content_type: str,
        filename: str,
        idempotency_key: str,
    ) -> dict[str, Any]:
        """Store a file in the backend's evidence store as this seller; the backend's evidence record."""
        status, body = await self.call(
            "POST", f"/v1/sellers/{_segment(seller_id)}/evidence",
            data=content,
            headers={
                "Content-Type": content_type,
                "X-Filename": _header_safe(filename),
                "Idempotency-Key": idempotency_key[:128],
            },
            timeout=aiohttp.ClientTimeout(total=UPLOAD_TIMEOUT_SECONDS),
        )
        if status == 404 or not isinstance(body, dict) or not body.get("id"):
            raise BackendUnavailable("the backend did not store the evidence")
        return body

    async def handoff_state(self, conversation_id: str) -> str | None:
        """Who holds the conversation (`waiting`, `agent`, `returned`), or None when it has no active ticket."""
        status, body = await self.call("GET", f"/v1/conversations/{_segment(conversation_id)}/ticket")
        if status == 404 or not isinstance(body, dict):
            return None
        return (body.get("handoff") or {}).get("state")

    async def add_seller_ticket_message(
        self, conversation_id: str, text: str, external_id: str, evidence_ids: list[str]
    ) -> None:
        """A seller's message during a takeover, into the ticket's thread (a redelivery is kept once)."""
        status, _ = await self.call(
            "POST", f"/v1/conversations/{_segment(conversation_id)}/ticket/messages",
            json={"body": text, "external_id": external_id[:128], "evidence_ids": evidence_ids},
            headers={"Idempotency-Key": f"seller-message:{external_id}"[:128]},
        )
        if status == 404:
            raise BackendUnavailable("the conversation has no active ticket any more")
