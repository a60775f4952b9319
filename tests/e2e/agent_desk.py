"""An agent at the console, through the console's own JSON API (what its page calls), for end-to-end tests."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from bot.settings import Settings


class AgentDesk:
    """One signed-in agent: a cookie session with the console, as the browser holds it."""

    def __init__(self, settings: Settings, email: str = "agent@alex.example") -> None:
        self.url = settings.console_url
        self.http = requests.Session()
        self.http.headers["X-Alex-Console"] = "1"
        signed_in = self._send("POST", "/api/session", {"email": email, "password": settings.demo_agent_password})
        self.name = signed_in["agent"]["name"]

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None, ok: tuple[int, ...] = (200, 201)
              ) -> dict[str, Any]:
        reply = self.http.request(method, self.url + path, json=body, timeout=60,
                                  headers={"Idempotency-Key": uuid.uuid4().hex} if method != "GET" else {})
        assert reply.status_code in ok, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply.json()

    def ticket(self, number: str) -> dict[str, Any]:
        return self._send("GET", f"/api/tickets/{number}")

    def claim(self, number: str) -> dict[str, Any]:
        return self._send("POST", f"/api/tickets/{number}/claim")

    def reply(self, number: str, text: str, internal: bool = False) -> dict[str, Any]:
        return self._send("POST", f"/api/tickets/{number}/messages", {"body": text, "internal": internal})

    def reply_refused(self, number: str, text: str) -> dict[str, Any]:
        """A reply the console must refuse; its error."""
        reply = self.http.post(f"{self.url}/api/tickets/{number}/messages", json={"body": text}, timeout=60,
                               headers={"Idempotency-Key": uuid.uuid4().hex})
        assert reply.status_code == 409, reply.text
        return reply.json()["error"]

    def hand_back(self, number: str) -> dict[str, Any]:
        return self._send("POST", f"/api/tickets/{number}/hand-back", {})
