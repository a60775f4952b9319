"""The console's client for the backend (console role): every call carries the console key and the agent's session.

The transport (one aiohttp session per event loop, timeouts, errors mapped to `BackendUnavailable` and
`BackendRefused`) is the channels' client's: the console only adds the agent session header and its own calls.
Writes carry the `Idempotency-Key` the browser made for that click, so a repeated click replays the first outcome.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from bot.channels.backend_client import BackendRefused, BackendUnavailable, ChannelBackend

__all__ = ["BackendRefused", "BackendUnavailable", "ConsoleBackend"]

SESSION_HEADER = "X-Agent-Session"
PAGE_LIMIT = 100  # the most the backend gives in one page: a console screen shows at most this many rows


def _ticket_path(number: str, *rest: str) -> str:
    return "/".join([f"/v1/agent/tickets/{quote(number, safe='')}", *rest])


class ConsoleBackend:
    """The backend's `/v1/agent/...` API, one method per call the console makes."""

    def __init__(self, base_url: str, console_key: str, timeout_seconds: float) -> None:
        self._transport = ChannelBackend(base_url, console_key, timeout_seconds)

    async def close(self) -> None:
        await self._transport.close()

    async def _call(self, method: str, path: str, token: str | None, *, json: Any = None,
                    key: str | None = None) -> dict[str, Any]:
        """The JSON body of a 2xx; a 404 is refused like any other 4xx (the console shows each the same way)."""
        headers = {SESSION_HEADER: token} if token else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        status, body = await self._transport.call(method, path, json=json, headers=headers)
        if status == 404:
            problem = body.get("error", {}) if isinstance(body, dict) else {}
            raise BackendRefused(404, str(problem.get("code") or "not_found"), str(problem.get("message") or ""))
        return body if isinstance(body, dict) else {}

    # ------------------------------------------------------------------ sessions and agents

    async def sign_in(self, email: str, password: str, address: str | None, key: str) -> dict[str, Any]:
        """`{token, expires_at, agent}`; 401 invalid_credentials for a wrong email or password, 429 while the
        account or the browser's `address` is locked after failed sign-ins."""
        body = {"email": email, "password": password, **({"client_address": address} if address else {})}
        return await self._call("POST", "/v1/agent/sessions", None, json=body, key=key)

    async def sign_out(self, token: str, key: str) -> None:
        await self._call("DELETE", "/v1/agent/sessions/current", token, key=key)

    async def me(self, token: str) -> dict[str, Any]:
        return await self._call("GET", "/v1/agent/me", token)

    async def agents(self, token: str) -> dict[str, Any]:
        return await self._call("GET", f"/v1/agent/agents?limit={PAGE_LIMIT}", token)

    # ------------------------------------------------------------------ the queue and tickets

    async def queue(self, token: str, assignee: str) -> dict[str, Any]:
        return await self._call("GET", f"/v1/agent/queue?assignee={quote(assignee)}&limit={PAGE_LIMIT}", token)

    async def ticket(self, token: str, number: str) -> dict[str, Any]:
        return await self._call("GET", _ticket_path(number), token)

    async def conversation_ticket(self, token: str, conversation_id: str) -> dict[str, Any]:
        """The conversation's newest ticket (a ticket's transcript link names the conversation)."""
        return await self._call("GET", f"/v1/agent/conversations/{quote(conversation_id, safe='')}/ticket", token)

    async def claim(self, token: str, number: str, key: str) -> dict[str, Any]:
        return await self._call("POST", _ticket_path(number, "claim"), token, json={}, key=key)

    async def add_message(self, token: str, number: str, body: str, internal: bool, key: str) -> dict[str, Any]:
        return await self._call("POST", _ticket_path(number, "messages"), token,
                                json={"body": body, "internal": internal}, key=key)

    async def begin_delivery(self, token: str, number: str, message_id: int) -> dict[str, Any]:
        """`{message, interrupted_attempt}`: this caller alone may deliver the reply now; BackendRefused 409
        (already_delivered, delivery_in_progress) otherwise. Never replayed by the backend, whatever the key."""
        return await self._call("POST", _ticket_path(number, "messages", str(message_id), "delivery-attempts"),
                                token, json={}, key=uuid.uuid4().hex)

    async def set_delivery(self, token: str, number: str, message_id: int, state: str) -> dict[str, Any]:
        """Record how far a reply got, which ends the delivery attempt (never replayed: a repeat records it
        again)."""
        return await self._call("PUT", _ticket_path(number, "messages", str(message_id), "delivery"), token,
                                json={"delivery_state": state}, key=uuid.uuid4().hex)

    async def change_status(self, token: str, number: str, status: str, key: str) -> dict[str, Any]:
        return await self._call("POST", _ticket_path(number, "status"), token, json={"status": status}, key=key)

    async def reassign(self, token: str, number: str, agent_id: int, key: str) -> dict[str, Any]:
        return await self._call("POST", _ticket_path(number, "reassign"), token, json={"agent_id": agent_id},
                                key=key)

    async def resolve(self, token: str, number: str, note: str | None, key: str) -> dict[str, Any]:
        return await self._call("POST", _ticket_path(number, "resolve"), token, json={"note": note}, key=key)

    async def hand_back(self, token: str, number: str, note: str | None, key: str) -> dict[str, Any]:
        return await self._call("POST", _ticket_path(number, "hand-back"), token, json={"note": note}, key=key)

    # ------------------------------------------------------------------ audit

    async def ticket_audit(self, token: str, number: str) -> dict[str, Any]:
        return await self._call("GET", f"{_ticket_path(number, 'audit')}?limit={PAGE_LIMIT}", token)

    async def audit(self, token: str) -> dict[str, Any]:
        """The whole log (supervisors; 403 supervisor_only for an agent)."""
        return await self._call("GET", f"/v1/agent/audit?limit={PAGE_LIMIT}", token)
