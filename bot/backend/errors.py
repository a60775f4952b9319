"""The one error every layer of the backend raises for the caller to see: an HTTP status, a machine code, a
sentence for people and optional details. The API turns it into the one error shape."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers  # e.g. Retry-After on a 429

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


def not_found(code: str, what: str) -> ApiError:
    """The answer for an unknown object, and for another seller's object: the same bytes for both."""
    return ApiError(404, code, f"No such {what}.")
