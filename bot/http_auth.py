"""What every HTTP entry point of ours shares: the Bearer credential and the one error shape."""

from __future__ import annotations

import hmac

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse


def bearer_token(request: Request) -> str | None:
    """The credential of an `Authorization: Bearer <credential>` header, if there is one."""
    scheme, _, credential = (request.headers.get("Authorization") or "").partition(" ")
    return credential.strip() if scheme.lower() == "bearer" and credential.strip() else None


def presents(request: Request, expected: str) -> bool:
    """Whether the request carries exactly this shared secret (compared in constant time)."""
    credential = bearer_token(request)
    return credential is not None and hmac.compare_digest(credential.encode(), expected.encode())


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> HTTPResponse:
    """The one error shape: a machine-readable code and a sentence for people (`headers`: e.g. Retry-After)."""
    return response.json({"error": {"code": code, "message": message}}, status=status, headers=headers)
