"""Idempotency keys: a retried write returns the first outcome instead of writing twice.

Same key + same caller + same request -> the stored response again (`Idempotent-Replayed: true`); same key
with a different request -> 422 `idempotency_key_reused`. Only successful outcomes are stored: a refused
request wrote nothing, so repeating it is harmless (and may succeed once the facts change).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backend.errors import ApiError
from bot.backend.models import IdempotencyRecord

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,128}\Z")


def check_key(raw: str | None) -> str:
    if raw is None or raw == "":
        raise ApiError(400, "idempotency_key_required",
                       f"Every write needs an {HEADER} header (1-128 visible ASCII characters).")
    if not _KEY.fullmatch(raw):
        raise ApiError(400, "idempotency_key_invalid",
                       f"The {HEADER} must be 1-128 visible ASCII characters.")
    return raw


def fingerprint(method: str, path: str, query: str, body: Any) -> str:
    """What makes two requests "the same request": method, path, query and the body's meaning (key order and
    whitespace of the JSON don't count)."""
    canonical = json.dumps([method, path, query, body], sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def find(session: Session, scope: str, key: str) -> IdempotencyRecord | None:
    return session.execute(
        select(IdempotencyRecord).where(IdempotencyRecord.caller == scope, IdempotencyRecord.key == key)
    ).scalar_one_or_none()


def check_replay(record: IdempotencyRecord, request_fingerprint: str) -> tuple[int, str]:
    """The stored (status, body) for a repeated request, or 422 when the key was used for another request."""
    if record.fingerprint != request_fingerprint or record.status_code is None:
        raise ApiError(422, "idempotency_key_reused",
                       "This idempotency key was already used for a different request.")
    return record.status_code, record.response_body or ""


def reserve(session: Session, scope: str, key: str, request_fingerprint: str) -> IdempotencyRecord:
    """Claim the key before doing the work: a concurrent request with the same key now waits on the UNIQUE
    constraint (PostgreSQL) or the write lock (SQLite) until this transaction ends."""
    record = IdempotencyRecord(caller=scope, key=key, fingerprint=request_fingerprint)
    session.add(record)
    session.flush()
    return record
