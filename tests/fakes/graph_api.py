"""A fake WhatsApp Cloud API (Graph API) on 127.0.0.1: records every request, answers and refuses like Meta does.

- POST /<version>/<phone_number_id>/messages -> {"messages": [{"id": "wamid.fake-N"}]} (sends and mark-as-read)
- GET  /<version>/<media_id>                  -> {"url": <our download URL>, "mime_type", "file_size", "id"}
- GET  /download/<media_id>                   -> the media bytes (Bearer token required, like Meta's)

What Meta refuses, the fake refuses (graph_rules.py): a send without `messaging_product`, a message over a limit
or with duplicate button titles or ids is answered 400 code 100. A free-form message to a customer who has not
written within 24 hours is answered 200 and then fails in a status webhook with error 131047, as Meta does; more
sends than a configured rate are answered 400 code 130429, also reported in a webhook's `value.errors`; templates
can be made to fail with 132001 (`refuse_templates`). Accepted
sends get `sent` and `delivered` status webhooks. Webhooks are signed with the app secret and posted to the
subscribed callback URL (`subscribe`), one after another, in order.

The fake knows when each customer last wrote from the deliveries the tests post (`customer_wrote`, called by
tests/channels/whatsapp_client.post). Media are registered by the test (`add_media`); `fail_next_sends(n)` makes
the next n sends answer a Graph error (500).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, ClassVar, Sequence

from tests.fakes.graph_rules import (
    RATE_LIMIT_HIT,
    REENGAGEMENT,
    TEMPLATE_MISSING,
    WINDOW_SECONDS,
    GraphRefusal,
    checked_send,
    error_body,
    free_form,
)

VERSION = "v21.0"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGraphApi:
    access_token: str
    phone_number_id: str
    requests: list[Recorded] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    refusals: list[dict[str, Any]] = field(default_factory=list)  # every error answered or reported, in order
    webhooks: list[dict[str, Any]] = field(default_factory=list)  # every webhook posted, in order
    _accepted: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _failures_left: int = 0
    _refusing_templates: bool = False
    _last_customer_message: dict[str, float] = field(default_factory=dict)
    _rate: tuple[int, float] | None = None
    _recent_sends: deque[float] = field(default_factory=deque)
    _callback: tuple[str, str] | None = None
    _outbox: "queue.Queue[dict[str, Any]]" = field(default_factory=queue.Queue)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _running: ClassVar[dict[str, "FakeGraphApi"]] = {}

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/{VERSION}"

    @classmethod
    def at(cls, url: str) -> "FakeGraphApi | None":
        """The running fake serving this Graph API URL (how a test's delivery tells it a customer wrote)."""
        return cls._running.get(url.rstrip("/"))

    def start(self) -> "FakeGraphApi":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _record(self, body: Any) -> None:
                with fake._lock:
                    fake.requests.append(Recorded(self.command, self.path, dict(self.headers), body))

            def _authorized(self) -> bool:
                return self.headers.get("Authorization") == f"Bearer {fake.access_token}"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = raw.decode(errors="replace")
                self._record(body)
                if not self._authorized():
                    return self._answer(401, b'{"error": {"message": "Invalid OAuth access token", "code": 190}}')
                if self.path != f"/{VERSION}/{fake.phone_number_id}/messages":
                    return self._answer(404, b'{"error": {"message": "Unknown path", "code": 100}}')
                status, answer = fake._handle_send(body)
                self._answer(status, json.dumps(answer).encode())

            def do_GET(self) -> None:  # noqa: N802
                self._record(None)
                if not self._authorized():
                    return self._answer(401, b'{"error": {"message": "Invalid OAuth access token", "code": 190}}')
                if self.path.startswith("/download/"):
                    found = fake.media.get(self.path.removeprefix("/download/"))
                    if found is None:
                        return self._answer(404, b"{}")
                    return self._answer(200, found[0], found[1])
                media_id = self.path.removeprefix(f"/{VERSION}/")
                found = fake.media.get(media_id)
                if found is None:
                    return self._answer(404, b'{"error": {"message": "Unknown media", "code": 100}}')
                host = f"http://127.0.0.1:{fake._server.server_address[1]}"  # type: ignore[union-attr]
                self._answer(200, json.dumps({
                    "messaging_product": "whatsapp", "url": f"{host}/download/{media_id}",
                    "mime_type": found[1], "file_size": len(found[0]), "id": media_id,
                }).encode())

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-graph-api").start()
        threading.Thread(target=self._post_webhooks, daemon=True, name="fake-graph-webhooks").start()
        FakeGraphApi._running[self.url] = self
        return self

    def stop(self) -> None:
        FakeGraphApi._running.pop(self.url, None)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ------------------------------------------------------------------ what the tests set up

    def subscribe(self, callback_url: str, app_secret: str) -> None:
        """Where Meta posts webhooks (the app's callback URL) and the app secret it signs them with."""
        self._callback = (callback_url, app_secret)

    def customer_wrote(self, sender: str, at: float) -> None:
        """A customer's message with this timestamp reached us: it opens the 24-hour window from `at`."""
        with self._lock:
            self._last_customer_message[sender] = max(at, self._last_customer_message.get(sender, 0.0))

    def close_window(self, sender: str) -> None:
        """As if the customer last wrote more than 24 hours ago (what Meta knows, whatever the channel believes)."""
        with self._lock:
            self._last_customer_message[sender] = time.time() - WINDOW_SECONDS - 60

    def refuse_templates(self, refusing: bool) -> None:
        """Template sends are refused with 132001 (the template does not exist in that language), or no longer."""
        with self._lock:
            self._refusing_templates = refusing

    def limit_rate(self, sends: int | None, per_seconds: float = 1.0) -> None:
        """At most `sends` accepted sends per `per_seconds` (None: no limit); more are refused with 130429."""
        with self._lock:
            self._rate = None if sends is None else (sends, per_seconds)
            self._recent_sends.clear()

    def add_media(self, media_id: str, content: bytes, mime_type: str) -> None:
        self.media[media_id] = (content, mime_type)

    def fail_next_sends(self, count: int) -> None:
        with self._lock:
            self._failures_left = count

    def read_by_customer(self, message_id: str, recipient: str) -> None:
        """The customer opened the message: Meta posts a `read` status."""
        self._queue_status(message_id, recipient, "read")

    # ------------------------------------------------------------------ what the tests read

    def sent_to(self, recipient: str) -> list[dict[str, Any]]:
        """The messages sent to a number (or a business-scoped user id) so far (not mark-as-read), oldest first."""
        with self._lock:
            return [r.body for r in self.requests if r.method == "POST" and isinstance(r.body, dict)
                    and recipient in (r.body.get("to"), r.body.get("recipient"))]

    def accepted_to(self, recipient: str) -> list[tuple[str, dict[str, Any]]]:
        """The sends to a recipient the fake answered with a message id: (id, message), oldest first."""
        with self._lock:
            return [(wamid, body) for wamid, body in self._accepted if recipient in (body.get("to"),
                                                                                   body.get("recipient"))]

    def marked_read(self) -> list[str]:
        with self._lock:
            return [r.body["message_id"] for r in self.requests
                    if r.method == "POST" and isinstance(r.body, dict) and r.body.get("status") == "read"]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Poll until condition() is truthy (the channel answers off the request); its value, or AssertionError."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"condition not met within {timeout} s; recorded: {self.requests[-10:]}")

    # ------------------------------------------------------------------ Meta's behaviour

    def _handle_send(self, body: Any) -> tuple[int, dict[str, Any]]:
        with self._lock:
            failing = self._failures_left > 0
            self._failures_left -= 1 if failing else 0
            number = len(self.requests)
        if failing:
            return 500, {"error": {"message": "Service temporarily unavailable", "code": 2}}
        try:
            recipient = checked_send(body)
        except GraphRefusal as refusal:
            self.refusals.append(refusal.error)
            return 400, error_body(refusal.error)
        if body.get("status") == "read":
            return 200, {"success": True}
        if body.get("type") == "template" and self._refusing_templates:
            self.refusals.append(TEMPLATE_MISSING)
            return 400, error_body(TEMPLATE_MISSING)
        if not self._within_rate():
            self.refusals.append(RATE_LIMIT_HIT)
            self._queue({"errors": [RATE_LIMIT_HIT]})  # Meta also reports API errors in a webhook
            return 400, error_body(RATE_LIMIT_HIT)
        wamid = f"wamid.fake-{number}"
        with self._lock:
            self._accepted.append((wamid, body))
            last = self._last_customer_message.get(recipient)
        if free_form(body) and (last is None or time.time() - last >= WINDOW_SECONDS):
            # Accepted, then refused in a status webhook, as Meta does for a free-form message outside the window.
            self.refusals.append(REENGAGEMENT)
            self._queue_status(wamid, recipient, "failed", [REENGAGEMENT])
        else:
            self._queue_status(wamid, recipient, "sent")
            self._queue_status(wamid, recipient, "delivered")
        key = "user_id" if "recipient" in body and "to" not in body else "wa_id"
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": recipient, key: recipient}],
                     "messages": [{"id": wamid}]}

    def _within_rate(self) -> bool:
        with self._lock:
            if self._rate is None:
                return True
            sends, per_seconds = self._rate
            now = time.monotonic()
            while self._recent_sends and now - self._recent_sends[0] >= per_seconds:
                self._recent_sends.popleft()
            if len(self._recent_sends) >= sends:
                return False
            self._recent_sends.append(now)
            return True

    def _queue_status(self, wamid: str, recipient: str, status: str,
                      errors: Sequence[dict[str, Any]] = ()) -> None:
        update: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(int(time.time())),
                                  "recipient_id": recipient}
        if errors:
            update["errors"] = list(errors)
        self._queue({"statuses": [update]})

    def _queue(self, content: dict[str, Any]) -> None:
        if self._callback is None:
            return
        self._outbox.put({"object": "whatsapp_business_account", "entry": [{"id": "WABA-1", "changes": [{
            "field": "messages",
            "value": {"messaging_product": "whatsapp",
                      "metadata": {"display_phone_number": "15550000000", "phone_number_id": self.phone_number_id},
                      **content}}]}]})

    def _post_webhooks(self) -> None:
        while True:
            payload = self._outbox.get()
            assert self._callback is not None
            url, secret = self._callback
            raw = json.dumps(payload).encode()
            signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
            request = urllib.request.Request(url, data=raw, method="POST", headers={
                "Content-Type": "application/json", "X-Hub-Signature-256": signature})
            try:
                urllib.request.urlopen(request, timeout=10).close()
            except OSError:
                pass  # the stack is stopping; Meta would retry, the fake need not
            with self._lock:
                self.webhooks.append(payload)
