"""A fake WhatsApp Cloud API (Graph API) on 127.0.0.1: records every request, answers like Meta does.

- POST /<version>/<phone_number_id>/messages -> {"messages": [{"id": "wamid.fake-N"}]} (sends and mark-as-read)
- GET  /<version>/<media_id>                  -> {"url": <our download URL>, "mime_type", "file_size", "id"}
- GET  /download/<media_id>                   -> the media bytes (Bearer token required, like Meta's)
Media are registered by the test (`add_media`). `fail_next_sends(n)` makes the next n sends answer a Graph error.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

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
    _failures_left: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/{VERSION}"

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
                with fake._lock:
                    failing = fake._failures_left > 0
                    fake._failures_left -= 1 if failing else 0
                    number = len(fake.requests)
                if failing:
                    return self._answer(500, b'{"error": {"message": "Service temporarily unavailable", "code": 2}}')
                if isinstance(body, dict) and body.get("status") == "read":
                    return self._answer(200, b'{"success": true}')
                answer = {"messaging_product": "whatsapp",
                          "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                          "messages": [{"id": f"wamid.fake-{number}"}]}
                self._answer(200, json.dumps(answer).encode())

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
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def add_media(self, media_id: str, content: bytes, mime_type: str) -> None:
        self.media[media_id] = (content, mime_type)

    def fail_next_sends(self, count: int) -> None:
        with self._lock:
            self._failures_left = count

    def sent_to(self, number: str) -> list[dict[str, Any]]:
        """The messages sent to a number so far (not mark-as-read), oldest first."""
        with self._lock:
            return [r.body for r in self.requests
                    if r.method == "POST" and isinstance(r.body, dict) and r.body.get("to") == number]

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
