"""What the console server turns down itself, in the backend's error shape (status, code, sentence for agents)."""

from __future__ import annotations


class Refused(Exception):
    """A request the console refuses before or instead of asking the backend (no session, no CSRF header, a
    reply that can't be sent again)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
