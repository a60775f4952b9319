"""The typed client for the order and dispute backend's HTTP API.

Actions call it instead of speaking HTTP themselves, so they read as intent ("look up the order"). Calls are
blocking `requests` calls with timeouts, run on our own thread pool so they never stall rasa_sdk's event loop.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
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


class Rejected(BackendError):
    """The backend refused the request as invalid."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Refund:
    amount: str
    currency: str
    method: str  # "balance" | "original"
    status: str  # "pending" | "done"
    approved_at: str
    completed_at: str | None


@dataclass(frozen=True)
class Dispute:
    number: str
    order_number: str
    expected_result: str  # "refund" | "resend"
    refund_type: str | None
    reason: str
    status: str  # "open" | "refunded" | "resent" | "rejected" | "cancelled"
    opened_at: str
    resolved_at: str | None
    refund: Refund | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Dispute":
        refund = data.get("refund")
        return cls(
            number=data["number"],
            order_number=data["order_number"],
            expected_result=data["expected_result"],
            refund_type=data.get("refund_type"),
            reason=data["reason"],
            status=data["status"],
            opened_at=data["opened_at"],
            resolved_at=data.get("resolved_at"),
            refund=Refund(**{k: refund[k] for k in Refund.__dataclass_fields__}) if refund else None,
        )


@dataclass(frozen=True)
class Order:
    number: str
    status: str  # "unpaid" | "paid" | "dispatched" | "completed" | "closed"
    amount: str
    currency: str
    disputes: tuple[Dispute, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Order":
        return cls(
            number=data["number"],
            status=data["status"],
            amount=data["amount"],
            currency=data["currency"],
            disputes=tuple(Dispute.from_json(d) for d in data.get("disputes", [])),
        )


class BackendClient:
    """One seller-scoped view of the backend: every call acts for `seller_id` only."""

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

    def _get(self, path: str) -> dict[str, Any]:
        try:
            reply = requests.get(self.base_url + path, headers=self._headers, timeout=self.timeout)
        except requests.RequestException as error:
            raise BackendUnavailable(str(error)) from error
        if reply.status_code == 404:
            raise NotFound(path)
        if reply.status_code >= 500 or reply.status_code in (401, 403):
            # 401/403 means our own configuration is wrong: for the seller that is an outage, not their fault.
            raise BackendUnavailable(f"{reply.status_code} from backend")
        try:
            body = reply.json()
        except ValueError as error:
            raise BackendUnavailable("backend answered with something other than JSON") from error
        if reply.status_code != 200:
            details = body.get("error", {}) if isinstance(body, dict) else {}
            raise Rejected(details.get("code", "rejected"), details.get("message", ""))
        return body

    async def _call(self, path: str) -> dict[str, Any]:
        return await asyncio.get_running_loop().run_in_executor(_POOL, self._get, path)

    async def order(self, seller_id: str, number: str) -> Order:
        return Order.from_json(await self._call(f"/v1/sellers/{quote(seller_id, safe='')}/orders/{number}"))

    async def dispute(self, seller_id: str, number: str) -> Dispute:
        return Dispute.from_json(await self._call(f"/v1/sellers/{quote(seller_id, safe='')}/disputes/{number}"))
