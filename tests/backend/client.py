"""A test client for the backend over real HTTP: one key per role, an Idempotency-Key on every write, and
every JSON response checked against the OpenAPI document the backend serves (the documented schema for that
operation and status), so a test that passes also proves the document tells the truth."""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable

import jsonschema
import requests

from bot.settings import Settings


@dataclass
class Documented:
    """The served OpenAPI document, with a matcher from (method, path) to the operation."""

    document: dict[str, Any]
    _routes: list[tuple[re.Pattern[str], str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for template, item in self.document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]*", re.escape(template)) + "$")
            for method in item:
                self._routes.append((pattern, method.upper(), template))
        self._resolver = jsonschema.RefResolver.from_schema(self.document)

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        for pattern, op_method, template in self._routes:
            if op_method == method and pattern.match(path):
                return self.document["paths"][template][method.lower()]
        return None

    def check(self, method: str, path: str, status: int, body: Any) -> None:
        """Raise AssertionError unless the body matches what the document says for this status."""
        operation = self.operation(method, path.split("?")[0])
        if operation is None:
            assert status in (401, 404, 405), f"{method} {path} is undocumented but answered {status}"
            schema: dict[str, Any] = {"$ref": "#/components/schemas/ErrorBody"}
        else:
            documented = operation["responses"].get(str(status))
            assert documented is not None, f"{method} {path}: status {status} is not documented ({body})"
            content = documented["content"]
            if "application/json" not in content:
                return
            schema = content["application/json"]["schema"]
        try:
            jsonschema.validate(body, schema, resolver=self._resolver)
        except jsonschema.ValidationError as error:
            raise AssertionError(f"{method} {path} -> {status}: body does not match the document: "
                                 f"{error.message} at {list(error.absolute_path)}") from None


class Backend:
    """The running backend, as each role sees it."""

    _lock = threading.Lock()

    def __init__(self, settings: Settings, db_kind: str, db_url: str) -> None:
        self.settings = settings
        self.db_kind = db_kind
        self.db_url = db_url
        self.url = settings.backend_url
        self.keys = {"assistant": settings.backend_key, "console": settings.console_key,
                     "platform": settings.platform_key}
        self.http = requests.Session()
        document = requests.get(self.url + "/v1/openapi.json", headers=self.auth("platform"), timeout=10).json()
        self.documented = Documented(document)
        self.requests_made = 0

    def auth(self, role: str | None, key: str | None = None) -> dict[str, str]:
        if key is not None:
            return {"Authorization": f"Bearer {key}"}
        return {} if role is None else {"Authorization": f"Bearer {self.keys[role]}"}

    def call(self, method: str, path: str, role: str | None = "assistant", *, json_body: Any = None,
             data: bytes | Iterable[bytes] | None = None, headers: dict[str, str] | None = None, key: str | None = None,
             idempotency_key: str | None | bool = True, agent_session: str | None = None,
             check: bool = True, session: requests.Session | None = None) -> requests.Response:
        all_headers = {**self.auth(role, key), **(headers or {})}
        if method != "GET" and idempotency_key is not False and idempotency_key is not None:
            all_headers["Idempotency-Key"] = uuid.uuid4().hex if idempotency_key is True else idempotency_key
        if agent_session is not None:
            all_headers["X-Agent-Session"] = agent_session
        if json_body is not None:
            data = json.dumps(json_body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        reply = (session or self.http).request(method, self.url + path, data=data, headers=all_headers, timeout=60)
        with self._lock:
            self.requests_made += 1
        if check and reply.headers.get("Content-Type", "").startswith("application/json"):
            self.documented.check(method, path, reply.status_code, reply.json())
        return reply

    def get(self, path: str, role: str | None = "assistant", **options: Any) -> requests.Response:
        return self.call("GET", path, role, **options)

    def post(self, path: str, body: Any = None, role: str | None = "assistant", **options: Any) -> requests.Response:
        return self.call("POST", path, role, json_body=body, **options)

    def put(self, path: str, body: Any = None, role: str | None = "assistant", **options: Any) -> requests.Response:
        return self.call("PUT", path, role, json_body=body, **options)

    def patch(self, path: str, body: Any = None, role: str | None = "assistant", **options: Any) -> requests.Response:
        return self.call("PATCH", path, role, json_body=body, **options)

    # ------------------------------------------------------------ platform helpers for fresh objects

    def new_seller(self, top_up: str = "100.00") -> str:
        seller_id = "T" + uuid.uuid4().hex[:12]
        reply = self.post("/v1/platform/sellers", {"id": seller_id, "name": f"Test seller {seller_id}",
                                                   "email": f"{seller_id.lower()}@example.com",
                                                   "wallet_top_up": top_up}, role="platform")
        assert reply.status_code == 201, reply.text
        return seller_id

    def new_order(self, seller_id: str, status: str = "unpaid", kind: str = "store",
                  lines: list[tuple[int, str]] | None = None, **extra: Any) -> dict[str, Any]:
        """A fresh order in any state; `lines` are (quantity, unit price) pairs."""
        lines = lines or [(1, "10.00"), (2, "5.50")]
        body = {"seller_id": seller_id, "kind": kind, "advance_to": status, "shipping_cost": "1.00",
                "lines": [{"sku": f"SKU-{i}", "product": f"Product {i}", "quantity": q, "unit_price": p}
                          for i, (q, p) in enumerate(lines, start=1)], **extra}
        reply = self.post("/v1/platform/orders", body, role="platform")
        assert reply.status_code == 201, reply.text
        return reply.json()

    def note(self, seller_id: str, text: str = "From buyer@mail.example: item broken", purpose: str = "buyer_complaint") -> str:
        reply = self.post(f"/v1/sellers/{seller_id}/evidence/notes", {"text": text, "purpose": purpose})
        assert reply.status_code == 201, reply.text
        return reply.json()["id"]

    def photo_link(self, seller_id: str) -> str:
        reply = self.post(f"/v1/sellers/{seller_id}/evidence/links",
                          {"url": "https://files.example/photo.jpg", "media": "image", "purpose": "product_media"})
        assert reply.status_code == 201, reply.text
        return reply.json()["id"]

    def dispute_body(self, seller_id: str, order_number: str, **overrides: Any) -> dict[str, Any]:
        """A request that passes every proof rule for a store order (override to break one)."""
        body = {"order_number": order_number, "expected_result": "refund", "refund_type": "balance",
                "reason": "delayed_order", "buyer_email": "buyer@mail.example", "message": "Where is it?",
                "evidence_ids": [self.note(seller_id)]}
        body.update(overrides)
        return body

    def open_dispute(self, seller_id: str, order_number: str, **overrides: Any) -> dict[str, Any]:
        reply = self.post(f"/v1/sellers/{seller_id}/disputes", self.dispute_body(seller_id, order_number, **overrides))
        assert reply.status_code == 201, reply.text
        return reply.json()
