"""The platform's side of the backend, for tests: make fresh orders in any state, decide disputes, and read
what the backend holds afterwards (unscoped platform reads), all over HTTP with the platform key."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import requests

from bot.settings import Settings


TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


class Platform:
    """CJ staff systems, as tests use them to set the scene and check the outcome."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.backend_url
        self.headers = {"Authorization": f"Bearer {settings.platform_key}"}
        self.assistant = {"Authorization": f"Bearer {settings.backend_key}"}

    def _write(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = requests.post(self.url + path, json=body or {}, timeout=10,
                              headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex})
        assert reply.status_code in (200, 201), f"{path}: {reply.status_code} {reply.text}"
        return reply.json()

    def _read(self, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        reply = requests.get(self.url + path, headers=headers or self.headers, timeout=10)
        assert reply.status_code == 200, f"{path}: {reply.status_code} {reply.text}"
        return reply.json()

    def new_order(self, seller_id: str = "S1001", state: str = "unpaid", kind: str = "store",
                  lines: int = 1) -> str:
        """A fresh order walked to `state` (unpaid, paid, dispatched, delivered, completed, closed, cancelled)."""
        body = {
            "seller_id": seller_id, "kind": kind, "advance_to": state,
            "lines": [{"sku": f"SKU-{n}", "product": f"Test gadget {n}", "quantity": 1, "unit_price": "12.50"}
                      for n in range(1, lines + 1)],
        }
        if state in ("dispatched", "delivered", "completed", "closed"):
            body["tracking_number"] = "YT" + uuid.uuid4().hex[:12].upper()
        return self._write("/v1/platform/orders", body)["number"]

    def order(self, number: str) -> dict[str, Any]:
        return self._read(f"/v1/platform/orders/{number}")

    def log_events(self, seller_id: str, number: str) -> list[str]:
        """The order log's event names, oldest first (what the seller sees under the order's logs)."""
        page = self._read(f"/v1/sellers/{seller_id}/orders/{number}/log?limit=100", headers=self.assistant)
        return [entry["event"] for entry in page["items"]]

    def dispute(self, number: str) -> dict[str, Any]:
        return self._read(f"/v1/platform/disputes/{number}")

    def disputes_of(self, number: str) -> list[dict[str, Any]]:
        return self.order(number)["disputes"]

    def propose_resend(self, dispute_number: str, details: str = "2x Test gadget 1 by YunExpress") -> None:
        self._write(f"/v1/platform/disputes/{dispute_number}/propose-resend", {"details": details})

    def message_from_cj(self, dispute_number: str, body: str) -> None:
        self._write(f"/v1/platform/disputes/{dispute_number}/messages", {"body": body})

    def open_dispute(self, seller_id: str, order_number: str, expected_result: str = "resend",
                     reason: str = "lost_package") -> str:
        """A dispute opened the way the seller would (assistant role), to set the scene for follow-up flows."""
        evidence = [self._evidence(seller_id, "notes", {"text": "Buyer anna@example.com: the parcel never arrived.",
                                                         "purpose": "buyer_complaint"})]
        if reason in ("damaged_product", "wrong_product"):  # these reasons need photos of the product
            evidence.append(self._evidence(seller_id, "links", {
                "url": "https://photos.example.com/broken.jpg", "media": "image", "purpose": "product_media"}))
        body = {"order_number": order_number, "expected_result": expected_result, "reason": reason,
                "buyer_email": "anna@example.com", "message": "Opened by a test.", "evidence_ids": evidence}
        if expected_result == "refund":
            body["refund_type"] = "balance"
        reply = requests.post(f"{self.url}/v1/sellers/{seller_id}/disputes", json=body, timeout=10,
                              headers={**self.assistant, "Idempotency-Key": uuid.uuid4().hex})
        assert reply.status_code == 201, reply.text
        return reply.json()["number"]

    def _evidence(self, seller_id: str, kind: str, body: dict[str, Any]) -> str:
        reply = requests.post(f"{self.url}/v1/sellers/{seller_id}/evidence/{kind}", json=body, timeout=10,
                              headers={**self.assistant, "Idempotency-Key": uuid.uuid4().hex})
        assert reply.status_code == 201, reply.text
        return str(reply.json()["id"])

    def upload(self, seller_id: str = "S1001", filename: str = "photo.png") -> dict[str, Any]:
        """Upload a real PNG as the channels do for an attachment (assistant role, purpose unknown yet); returns
        the attachment reference the channel puts into the message metadata."""
        reply = requests.post(f"{self.url}/v1/sellers/{seller_id}/evidence", data=TINY_PNG, timeout=10,
                              headers={**self.assistant, "Content-Type": "image/png", "X-Filename": filename,
                                       "Idempotency-Key": uuid.uuid4().hex})
        assert reply.status_code == 201, reply.text
        return {"evidence_id": reply.json()["id"], "content_type": "image/png", "filename": filename}

    def evidence(self, seller_id: str, evidence_id: str) -> dict[str, Any]:
        return self._read(f"/v1/sellers/{seller_id}/evidence/{evidence_id}", headers=self.assistant)

    def ticket_of(self, conversation_id: str) -> dict[str, Any] | None:
        reply = requests.get(f"{self.url}/v1/conversations/{conversation_id}/ticket", headers=self.assistant,
                             timeout=10)
        return reply.json() if reply.status_code == 200 else None

    def link_whatsapp(self, number: str, seller_id: str) -> None:
        """What CJ's staff do: link a WhatsApp number (E.164 digits, no '+') to a seller account."""
        reply = requests.put(f"{self.url}/v1/platform/identities/whatsapp/%2B{number}", json={"seller_id": seller_id},
                             headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex}, timeout=10)
        assert reply.status_code == 200, reply.text
