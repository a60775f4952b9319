"""A Socket.IO client of the web chat channel for tests: what the widget does, without a browser."""

from __future__ import annotations

import queue
from typing import Any

import socketio

from bot.identity import mint_seller_token
from bot.settings import Settings


class ChatSocket:
    """One connection; every server event lands in a queue, read in order."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.refusal: Any = None
        for name in ("session_confirm", "bot_uttered", "bot_typing", "chat_error"):
            self.client.on(name, lambda data, name=name: self.events.put((name, data)))
        self.client.on("connect_error", self._refused)

    def _refused(self, data: Any = None) -> None:
        self.refusal = data

    def connect(self, token: str | None = None, seller_id: str = "S1001", origin: str | None = None,
                wait_timeout: float = 10) -> None:
        """Raises socketio.exceptions.ConnectionError when the server refuses (its reason in `refusal`); the
        client waits `wait_timeout` after a refusal, so tests expecting one pass a short one."""
        token = token if token is not None else mint_seller_token(seller_id, self.settings.identity_secret)
        headers = {"Origin": origin} if origin else {}
        self.client.connect(self.settings.rasa_url, auth={"token": token}, headers=headers,
                            transports=["polling"], wait_timeout=wait_timeout)

    def next_event(self, timeout: float = 30) -> tuple[str, Any]:
        return self.events.get(timeout=timeout)

    def session(self, name: str | None = None) -> dict[str, Any]:
        self.client.emit("session_request", {"session_id": name})
        event, data = self.next_event()
        assert event == "session_confirm", (event, data)
        return data

    def send(self, message: Any, **extra: Any) -> None:
        self.client.emit("user_uttered", {"message": message, **extra})

    def turn(self, message: Any, **extra: Any) -> list[dict[str, Any]]:
        """Send a message; the bot's messages of that turn (up to its typing indicator going off)."""
        self.send(message, **extra)
        replies = []
        while True:
            event, data = self.next_event()
            if event == "bot_uttered":
                replies.append(data)
            elif event == "bot_typing" and not data["typing"]:
                return replies
            elif event == "chat_error":
                raise AssertionError(f"refused: {data}")

    def say(self, message: str) -> str:
        return " ".join(m.get("text", "") for m in self.turn(message))

    def error(self, message: Any, **extra: Any) -> dict[str, Any]:
        """Send a message the channel must refuse; its chat_error."""
        self.send(message, **extra)
        event, data = self.next_event(timeout=10)
        assert event == "chat_error", (event, data)
        return data

    def quiet_for(self, seconds: float) -> bool:
        """True if no event arrives within `seconds`."""
        try:
            self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()
