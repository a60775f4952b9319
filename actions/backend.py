"""The typed client for the order and dispute backend's HTTP API (the assistant role).

Actions call it instead of speaking HTTP themselves, so they read as intent ("look up the order", "open the
dispute"). Calls are blocking `requests` calls with timeouts, run on our own thread pool so they never stall
rasa_sdk's event loop. Every write carries an Idempotency-Key the caller derives from the conversation and the
event that confirmed it (see actions/conversation.py), so a retried write is answered from the backend's record
instead of writing twice; that is also why a write that timed out is retried once with the same key.
"""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

_POOL = ThreadPoolExecutor(max_workers=32, thread_name_prefix="backend-client")


class BackendError(Exception):
    """Base of everything that can go wrong when asking the backend."""


class BackendUnavailable(BackendError):
    """The backend is down, slow past the timeout, or answered with a server error."""


class NotFound(BackendError):
    """No such object for this seller (another seller's objects answer the same)."""

    def __init__(self, code: str = "not_found") -> None:
        super().__init__(code)
        self.code = code


class Rejected(BackendError):
    """The backend refused the request: a rule said no (409) or the input was invalid (4xx)."""

    def __init__(self, code: str, message: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message
        self.details = details or {}


# ------------------------------------------------------------------------------------------------ data


@dataclass(frozen=True)
class Refund:
    amount: str
    currency: str
    method: str  # "balance" | "original"
    status: str  # "pending" | "done"
    approved_at: str
    completed_at: str | None
    dispute_number: str | None = None
    order_number: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Refund":
        return cls(
            amount=data["amount"], currency=data["currency"], method=data["method"], status=data["status"],
            approved_at=data["approved_at"], completed_at=data.get("completed_at"),
            dispute_number=data.get("dispute_number"), order_number=data.get("order_number"),
        )


@dataclass(frozen=True)
class Resend:
    """A resend the platform proposed on a dispute (seed 002 §5: the seller checks it and agrees)."""

    details: str
    proposed_at: str
    agreed_at: str | None
    shipped_at: str | None
    carrier: str | None
    tracking_number: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Resend":
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class DisputeMessage:
    author: str  # "seller" | "platform" | "agent" | "system"
    body: str
    created_at: str


ACTIVE_DISPUTE_STATUSES = ("open", "resend_proposed", "resend_agreed")


@dataclass(frozen=True)
class Dispute:
    number: str
    order_number: str
    expected_result: str  # "refund" | "resend"
    refund_type: str | None
    reason: str
    status: str  # open | resend_proposed | resend_agreed | refunded | resent | rejected | cancelled
    opened_at: str
    resolved_at: str | None
    refund: Refund | None
    resend: Resend | None = None
    messages: tuple[DisputeMessage, ...] = ()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_DISPUTE_STATUSES

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Dispute":
        refund, resend = data.get("refund"), data.get("resend")
        return cls(
            number=data["number"],
            order_number=data["order_number"],
            expected_result=data["expected_result"],
            refund_type=data.get("refund_type"),
            reason=data["reason"],
            status=data["status"],
            opened_at=data["opened_at"],
            resolved_at=data.get("resolved_at"),
            refund=Refund.from_json(refund) if refund else None,
            resend=Resend.from_json(resend) if resend else None,
            messages=tuple(
                DisputeMessage(m.get("author", "system"), m.get("body", ""), m.get("created_at", ""))
                for m in data.get("messages") or []
            ),
        )


@dataclass(frozen=True)
class Verdict:
    """The backend's answer to "may the seller do this now?", with its reason code when not."""

    allowed: bool
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Verdict":
        data = dict(data or {})
        return cls(bool(data.pop("allowed", False)), data.pop("reason", None), data)


@dataclass(frozen=True)
class Order:
    number: str
    status: str  # unpaid | paid | dispatched | delivered | completed | closed | cancelled
    amount: str
    currency: str
    disputes: tuple[Dispute, ...]
    kind: str = "store"  # store | sample | wholesale | preorder
    processing: str = "running"  # running | stopped_by_dispute
    paid_at: str | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    dispatched_at: str | None = None
    delivered_at: str | None = None
    created_at: str | None = None
    can_cancel: Verdict = Verdict(False)
    can_dispute: Verdict = Verdict(False)
    can_return: Verdict = Verdict(False)

    @property
    def active_disputes(self) -> tuple[Dispute, ...]:
        return tuple(d for d in self.disputes if d.active)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Order":
        payment = data.get("payment") or {}
        shipping = data.get("shipping") or {}
        eligibility = data.get("eligibility") or {}
        return cls(
            number=data["number"],
            status=data["status"],
            amount=data["amount"],
            currency=data["currency"],
            disputes=tuple(Dispute.from_json(d) for d in data.get("disputes", [])),
            kind=data.get("kind", "store"),
            processing=data.get("processing", "running"),
            paid_at=payment.get("paid_at", data.get("paid_at")),
            carrier=shipping.get("carrier", data.get("carrier")),
            tracking_number=shipping.get("tracking_number", data.get("tracking_number")),
            dispatched_at=shipping.get("dispatched_at", data.get("dispatched_at")),
            delivered_at=shipping.get("delivered_at"),
            created_at=data.get("created_at"),
            can_cancel=Verdict.from_json(eligibility.get("cancel")),
            can_dispute=Verdict.from_json(eligibility.get("dispute")),
            can_return=Verdict.from_json(eligibility.get("return")),
        )


@dataclass(frozen=True)
class Return:
    number: str
    order_number: str
    status: str
    return_link: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Return":
        return cls(data["number"], data["order_number"], data["status"], data["return_link"])


@dataclass(frozen=True)
class Evidence:
    id: str
    kind: str  # file | link | note
    purpose: str
    content_type: str | None = None
    media: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Evidence":
        return cls(data["id"], data["kind"], data.get("purpose", "other"), data.get("content_type"),
                   data.get("media"))


@dataclass(frozen=True)
class Ticket:
    """A conversation's ticket, with what the seller can expect while waiting for a person."""

    number: str
    status: str
    created: bool  # True when this call opened it, False when it updated the conversation's open ticket
    queue_position: int | None = None
    estimated_wait_minutes: int | None = None
    open_now: bool = True
    next_open_at: str | None = None  # ISO 8601, UTC
    agent_name: str | None = None  # the person holding the conversation (handoff "agent")
    reasons: tuple[str, ...] = ()  # why it was opened, first reason first

    @classmethod
    def from_json(cls, data: dict[str, Any], created: bool) -> "Ticket":
        hours = data.get("support_hours") or {}
        return cls(data["number"], data.get("status", "new"), created,
                   (data.get("queue") or {}).get("position"), data.get("estimated_wait_minutes"),
                   bool(hours.get("open_now", True)), hours.get("next_open_at"),
                   (data.get("handoff") or {}).get("agent_name"), tuple(data.get("reasons") or ()))


# ---------------------------------------------------------------------------------------------- client


class BackendClient:
    """One caller of the backend; every seller-scoped call names the verified seller it acts for."""

    def __init__(self, base_url: str, service_key: str, timeout_seconds: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (min(2.0, timeout_seconds), timeout_seconds)
        self._headers = {"Authorization": f"Bearer {service_key}", "Accept": "application/json"}

    @classmethod
    def from_environment(cls) -> "BackendClient":
        return cls(
            os.environ.get("ALEX_BACKEND_URL", "http://127.0.0.1:5056"),
            os.environ.get("ALEX_BACKEND_KEY", ""),
            float(os.environ.get("ALEX_BACKEND_TIMEOUT", "5")),
        )

    # -------------------------------------------------------------------------------- transport

    def _send(
        self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[int, Any]:
        headers = dict(self._headers)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        attempts = 2 if idempotency_key is not None else 1  # a keyed write is safe to send again
        for attempt in range(attempts):
            # When this attempt's read timeout runs out we stop waiting for it (and after the last attempt report
            # the backend down), so from then on the backend must not act on it: a hung backend that resumes would
            # otherwise carry out what the seller was told had failed.
            headers["X-Request-Deadline"] = f"{time.time() + self.timeout[1]:.3f}"
            try:
                reply = requests.request(
                    method, self.base_url + path, json=body, params=params, headers=headers, timeout=self.timeout
                )
            except requests.RequestException as error:
                if attempt + 1 < attempts:
                    continue
                raise BackendUnavailable(str(error)) from error
            if reply.status_code >= 500 and attempt + 1 < attempts:
                continue
            return reply.status_code, _json_or_none(reply)
        raise BackendUnavailable("no answer")  # pragma: no cover (the loop always returns or raises)

    def _checked(self, status: int, body: Any) -> Any:
        if status in (200, 201):
            if body is None:
                raise BackendUnavailable("backend answered with something other than JSON")
            return body
        error = body.get("error", {}) if isinstance(body, dict) else {}
        if status == 404:
            raise NotFound(error.get("code", "not_found"))
        if status >= 500 or status in (401, 403) or not error:
            # 401/403 means our own configuration is wrong: for the seller that is an outage, not their fault.
            raise BackendUnavailable(f"{status} from backend")
        raise Rejected(error.get("code", "rejected"), error.get("message", ""), error.get("details") or {})

    def _call_sync(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._checked(*self._send(method, path, **kwargs))

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_POOL, lambda: self._call_sync(method, path, **kwargs))

    async def _call_with_status(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        loop = asyncio.get_running_loop()

        def call() -> tuple[int, Any]:
            status, body = self._send(method, path, **kwargs)
            return status, self._checked(status, body)

        return await loop.run_in_executor(_POOL, call)

    @staticmethod
    def _seller(seller_id: str) -> str:
        return f"/v1/sellers/{quote(seller_id, safe='')}"

    # -------------------------------------------------------------------------------- orders

    async def order(self, seller_id: str, number: str) -> Order:
        return Order.from_json(await self._call("GET", f"{self._seller(seller_id)}/orders/{quote(number)}"))

    async def orders(self, seller_id: str, status: str | None = None, limit: int = 10) -> list[Order]:
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        page = await self._call("GET", f"{self._seller(seller_id)}/orders", params=params)
        return [Order.from_json(item) for item in page.get("items", [])]

    async def cancel_order(self, seller_id: str, number: str, idempotency_key: str) -> Order:
        return Order.from_json(await self._call(
            "POST", f"{self._seller(seller_id)}/orders/{quote(number)}/cancel", body={},
            idempotency_key=idempotency_key,
        ))

    # -------------------------------------------------------------------------------- disputes

    async def dispute(self, seller_id: str, number: str) -> Dispute:
        return Dispute.from_json(await self._call("GET", f"{self._seller(seller_id)}/disputes/{quote(number)}"))

    async def disputes(self, seller_id: str, status: str | None = None, active: bool | None = None,
                       limit: int = 10) -> list[Dispute]:
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        if active is not None:
            params["active"] = "true" if active else "false"
        page = await self._call("GET", f"{self._seller(seller_id)}/disputes", params=params)
        return [Dispute.from_json(item) for item in page.get("items", [])]

    async def open_dispute(self, seller_id: str, request: dict[str, Any], idempotency_key: str) -> Dispute:
        return Dispute.from_json(await self._call(
            "POST", f"{self._seller(seller_id)}/disputes", body=request, idempotency_key=idempotency_key
        ))

    async def add_dispute_message(
        self, seller_id: str, number: str, body: str, evidence_ids: list[str], idempotency_key: str
    ) -> None:
        await self._call(
            "POST", f"{self._seller(seller_id)}/disputes/{quote(number)}/messages",
            body={"body": body, "evidence_ids": evidence_ids}, idempotency_key=idempotency_key,
        )

    async def cancel_dispute(self, seller_id: str, number: str, idempotency_key: str) -> Dispute:
        return Dispute.from_json(await self._call(
            "POST", f"{self._seller(seller_id)}/disputes/{quote(number)}/cancel", body={},
            idempotency_key=idempotency_key,
        ))

    async def agree_resend(self, seller_id: str, number: str, idempotency_key: str) -> Dispute:
        return Dispute.from_json(await self._call(
            "POST", f"{self._seller(seller_id)}/disputes/{quote(number)}/resend/agree", body={},
            idempotency_key=idempotency_key,
        ))

    async def refunds(self, seller_id: str, limit: int = 5) -> list[Refund]:
        page = await self._call("GET", f"{self._seller(seller_id)}/refunds", params={"limit": limit})
        return [Refund.from_json(item) for item in page.get("items", [])]

    # -------------------------------------------------------------------------------- evidence and returns

    async def add_link_evidence(
        self, seller_id: str, url: str, media: str, purpose: str, idempotency_key: str
    ) -> Evidence:
        return Evidence.from_json(await self._call(
            "POST", f"{self._seller(seller_id)}/evidence/links",
            body={"url": url, "media": media, "purpose": purpose}, idempotency_key=idempotency_key,
        ))

    async def add_note_evidence(self, seller_id: str, text: str, purpose: str, idempotency_key: str) -> Evidence:
        return Evidence.from_json(await self._call(
            "POST", f"{self._seller(seller_id)}/evidence/notes",
            body={"text": text, "purpose": purpose}, idempotency_key=idempotency_key,
        ))

    async def set_evidence_purpose(self, seller_id: str, evidence_id: str, purpose: str,
                                   idempotency_key: str) -> Evidence:
        """Say what an item proves (a file the channel uploaded as `other` before the flow knew)."""
        return Evidence.from_json(await self._call(
            "PATCH", f"{self._seller(seller_id)}/evidence/{quote(evidence_id)}", body={"purpose": purpose},
            idempotency_key=idempotency_key,
        ))

    async def create_return(
        self, seller_id: str, order_number: str, store_link: str, store_image_evidence_id: str,
        idempotency_key: str,
    ) -> Return:
        return Return.from_json(await self._call(
            "POST", f"{self._seller(seller_id)}/returns",
            body={"order_number": order_number, "store_link": store_link,
                  "store_image_evidence_id": store_image_evidence_id},
            idempotency_key=idempotency_key,
        ))

    # -------------------------------------------------------------------------------- tickets

    async def put_ticket(self, conversation_id: str, request: dict[str, Any], idempotency_key: str) -> Ticket:
        """Create the conversation's ticket, or update its open one (the backend keeps one per conversation)."""
        status, body = await self._call_with_status(
            "PUT", f"/v1/conversations/{quote(conversation_id, safe=':')}/ticket", body=request,
            idempotency_key=idempotency_key,
        )
        return Ticket.from_json(body, created=status == 201)

    async def conversation_ticket(self, conversation_id: str) -> Ticket:
        """The conversation's active ticket (NotFound when it has none), with the agent holding it, if any."""
        body = await self._call("GET", f"/v1/conversations/{quote(conversation_id, safe=':')}/ticket")
        return Ticket.from_json(body, created=False)


def _json_or_none(reply: requests.Response) -> Any:
    try:
        return reply.json()
    except ValueError:
        return None
