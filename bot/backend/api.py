"""The backend's HTTP API (v1): JSON, one error shape, callers authenticated by key and role, idempotent writes.

Each request: authenticate the key (401) and check its role against the operation (403); validate path, query
and body (4xx, never 5xx); then, on the database thread pool, one transaction that authenticates an agent
session where needed, replays or reserves the idempotency key, and runs the handler. Lost races (a UNIQUE
constraint or a lock that another transaction won) are retried from the start, where the rules or the stored
idempotent response then give the right answer.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, AsyncIterator, Callable, TypeVar
from urllib.parse import quote, unquote_to_bytes

from pydantic import ValidationError
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.request import parse_multipart_form
from sanic.response import HTTPResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.backend import idempotency, openapi
from bot.backend.domain import agents
from bot.backend.db import Database
from bot.backend.errors import ApiError, not_found
from bot.backend.evidence_store import MAX_UPLOAD, Upload, too_large
from bot.backend.models import utcnow
from bot.backend.operations import AppConfig, Call, Caller, Operation, Reply, Role
from bot.backend.routes import agent, channels, conversations, platform, sellers
from bot.http_auth import bearer_token

logger = logging.getLogger(__name__)

JSON_BODY_LIMIT = 64 * 1024
_ATTEMPTS = 6
_DB_THREADS = 16
T = TypeVar("T")
ROUTERS = (sellers.router, channels.router, conversations.router, agent.router, platform.router)


@dataclass(frozen=True)
class ServiceKeys:
    """One key per role (ALEX_BACKEND_KEY, ALEX_CONSOLE_KEY, ALEX_PLATFORM_KEY)."""

    assistant: str
    console: str
    platform: str

    def __post_init__(self) -> None:
        keys = (self.assistant, self.console, self.platform)
        if not all(keys) or len(set(keys)) != 3:
            raise ValueError("the backend needs three distinct, non-empty keys (assistant, console, platform)")

    def role_of(self, credential: str | None) -> Role | None:
        """Compare against every key in constant time, so timing tells nothing about which one nearly matched."""
        found = None
        given = (credential or "").encode()
        for role, key in ((Role.ASSISTANT, self.assistant), (Role.CONSOLE, self.console),
                          (Role.PLATFORM, self.platform)):
            if hmac.compare_digest(given, key.encode()):
                found = role
        return found if credential else None


def all_operations() -> list[Operation]:
    return [op for router in ROUTERS for op in router.operations]


def error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> HTTPResponse:
    return _json(status, ApiError(status, code, message, details).body())


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> HTTPResponse:
    return HTTPResponse(_dumps(body), status=status, headers=headers, content_type="application/json")


def _dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Outcome:
    status: int
    text: str = ""
    replayed: bool = False
    reply: Reply | None = None
    headers: dict[str, str] | None = None


class Api:
    """The request pipeline shared by every operation."""

    def __init__(self, database: Database, config: AppConfig) -> None:
        self.database = database
        self.config = config
        self.pool = ThreadPoolExecutor(max_workers=_DB_THREADS, thread_name_prefix="backend-db")
        self.slow_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="backend-slow",
                                            initializer=_yield_to_other_threads)

    async def handle(self, op: Operation, request: Request, params: dict[str, str]) -> HTTPResponse:
        role: Role = request.ctx.role
        if role is not op.role:
            return error(403, "forbidden", "This key may not call this operation.")
        upload: Upload | None = None
        try:
            params = _path_params(op, params)
            query = _parse_query(op, request)
            key = idempotency.check_key(request.headers.get(idempotency.HEADER)) if op.writes else None
            if op.upload:
                upload = await self._receive_upload(request)
                body_meaning: Any = {"sha256": upload.received_sha256, "type": upload.content_type,
                                     "name": upload.filename}
                body = None
            else:
                body_meaning, body = _parse_body(op, request)
            fingerprint = idempotency.fingerprint(op.method, _canonical_path(op, params), _canonical_query(request),
                                                  body_meaning)
            token = request.headers.get(agents.SESSION_HEADER)
            loop = asyncio.get_running_loop()
            # Work that must hold no transaction (hashing a password) runs first, on its own single thread: a
            # burst of sign-ins then keeps one core busy and no database thread waiting.
            prepared = await loop.run_in_executor(
                self.slow_pool, op.prepare, self.in_transaction, body, self.config) if op.prepare else None
            outcome = await loop.run_in_executor(
                self.pool, self._execute, op, role, params, query, body, key, fingerprint, token, upload, prepared)
        except ApiError as failure:
            return _json(failure.status, failure.body(), failure.headers)
        finally:
            if upload is not None:  # kept (moved away) by a successful handler; otherwise still in the spool
                await asyncio.to_thread(self.config.evidence.discard, upload)
        return await self._respond(outcome)

    def _execute(self, op: Operation, role: Role, params: dict[str, str], query: Any, body: Any, key: str | None,
                 fingerprint: str, token: str | None, upload: Upload | None, prepared: Any) -> Outcome:
        def unit(session: Session, now: datetime) -> Outcome:
            caller = Caller(role)
            if role is Role.CONSOLE and op.agent_session:
                agent_session = agents.authenticate(session, token, now, hold=op.writes)
                caller = Caller(role, agent_session.agent, agent_session.id)
            record = None
            if key is not None and op.replay:
                stored = idempotency.find(session, caller.idempotency_scope, key)
                if stored is not None:
                    status, text = idempotency.check_replay(stored, fingerprint)
                    return Outcome(status, text, replayed=True)
                record = idempotency.reserve(session, caller.idempotency_scope, key, fingerprint)
            reply = op.handler(Call(session, params, query, body, caller, now, self.config, upload, prepared))
            text = "" if reply.file is not None else _dumps(reply.body)
            if record is not None:
                record.status_code, record.response_body = reply.status, text
            session.flush()
            return Outcome(reply.status, text, reply=reply)

        try:
            return self.in_transaction(unit, write=op.writes)
        except ApiError as failure:
            return Outcome(failure.status, _dumps(failure.body()), headers=failure.headers)

    def in_transaction(self, work: Callable[[Session, datetime], T], write: bool = True) -> T:
        """Run `work` in one transaction; lost races (a UNIQUE constraint or a lock another transaction won)
        start it over, where the rules or the stored idempotent response then give the right answer."""
        for attempt in range(_ATTEMPTS):
            last = attempt == _ATTEMPTS - 1
            try:
                with self.database.transaction(write=write) as session:
                    return work(session, utcnow())
            except IntegrityError as failure:
                # Another transaction won a race on a UNIQUE constraint: start over and see what it did. Any
                # other constraint failing is our bug, not a race: let it surface.
                if not _lost_race(failure):
                    raise
                if last:
                    logger.warning("gave up after %d conflicts: %s", _ATTEMPTS, failure.orig)
                    raise ApiError(409, "conflict", "A concurrent request changed this; please retry.") from None
            except OperationalError as failure:
                if last or not _retryable(failure):
                    raise
            except DataError as failure:
                # The database refused a value the schemas let through: the caller's input, not our fault.
                logger.warning("data error: %s", failure.orig)
                raise ApiError(422, "validation_failed", "A value is out of range.") from None
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
        raise AssertionError("unreachable")

    async def _respond(self, outcome: Outcome) -> HTTPResponse:
        reply = outcome.reply
        if reply is not None and reply.file is not None:
            if not reply.file.exists():
                return error(404, "evidence_not_found", "No such evidence for this seller.")
            filename = quote(reply.filename or reply.file.name, safe="")
            return await response.file(reply.file, mime_type=reply.content_type or "application/octet-stream",
                                       headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}",
                                                "X-Content-Type-Options": "nosniff"})
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else outcome.headers
        return HTTPResponse(outcome.text, status=outcome.status, headers=headers, content_type="application/json")

    async def _receive_upload(self, request: Request) -> Upload:
        content_type = request.headers.get("Content-Type", "")
        filename = (request.headers.get("X-Filename") or "upload")[:200]
        if not filename.isprintable() or "\x00" in filename:
            filename = "upload"
        store = self.config.evidence
        if content_type.lower().startswith("multipart/form-data"):
            data = await _read_all(request, MAX_UPLOAD + 64 * 1024)
            try:
                boundary = content_type.split("boundary=", 1)[1].split(";")[0].strip().strip('"')
                # Sanic's parser wants the boundary without its leading dashes (with them it cut two bytes off
                # the end of every file)
                _, files = parse_multipart_form(data, boundary.encode())
            except Exception as failure:  # noqa: BLE001 - a third-party parser on hostile input: any failure is 400
                raise ApiError(400, "malformed_multipart", "The multipart body can't be read.") from failure
            part = files.get("file") if files else None
            if part is None:
                raise ApiError(422, "validation_failed", "The multipart body needs a `file` part.")
            name = (part.name or filename)[:200]
            return await asyncio.to_thread(store.receive_bytes, part.body, part.type,
                                           name if name.isprintable() else "upload")
        return await store.receive(_chunks(request), content_type, filename)


def _yield_to_other_threads() -> None:
    """Lowest CPU priority for this thread (Linux schedules threads one by one): a burst of password hashes
    then takes the cores only while the sellers' requests leave them idle."""
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


async def _chunks(request: Request) -> AsyncIterator[bytes]:
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            return
        yield chunk


async def _read_all(request: Request, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    async for chunk in _chunks(request):
        size += len(chunk)
        if size > limit:
            raise too_large(None, MAX_UPLOAD)
        parts.append(chunk)
    return b"".join(parts)


def _lost_race(failure: IntegrityError) -> bool:
    code = getattr(failure.orig, "pgcode", None)
    return code == "23505" or "UNIQUE constraint failed" in str(failure.orig) or (
        code is None and "PRIMARY KEY" in str(failure.orig))


def _retryable(failure: OperationalError) -> bool:
    text = str(failure.orig).lower()
    code = getattr(failure.orig, "pgcode", None)
    return "locked" in text or "busy" in text or code in ("40001", "40P01", "55P03")


def _path_params(op: Operation, raw: dict[str, str]) -> dict[str, str]:
    """Percent-decode each path parameter exactly once (`web%3Amain%3AS1001` is `web:main:S1001`, `%2B1555…`
    is `+1555…`) and check it: 1-128 printable characters of valid UTF-8. Sanic's own `unquote` decodes only
    some parameters (those at the end of a route), so routes are mounted raw and decoded here, for all alike."""
    params = {}
    for name, value in raw.items():
        try:
            decoded = unquote_to_bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            decoded = ""
        if not 1 <= len(decoded) <= 128 or not decoded.isprintable():
            if op.not_found is None:
                raise ApiError(422, "validation_failed", "A path parameter is not valid.")
            raise not_found(*op.not_found)
        params[name] = decoded
    return params


def _canonical_path(op: Operation, params: dict[str, str]) -> str:
    """The path as its decoded parameters spell it, so an encoded and a plain request are the same request."""
    return "/".join(params[part[1:-1]] if part.startswith("{") else part for part in op.path.split("/"))


def _parse_query(op: Operation, request: Request) -> Any:
    args = request.args
    if op.query is None:
        return None
    repeated = [name for name, values in args.items() if len(values) > 1]
    if repeated:
        raise ApiError(422, "validation_failed", "Give each query parameter once.", {"parameters": repeated[:10]})
    try:
        return op.query.parse_obj({name: values[0] for name, values in args.items()})
    except ValidationError as failure:
        errors = _errors(failure)
        if any(e["loc"] and e["loc"][0] in ("limit", "offset") for e in errors):
            raise ApiError(422, "bad_pagination", "'limit' must be 1-100 and 'offset' 0-1000000.",
                           {"errors": errors}) from None
        raise ApiError(422, "validation_failed", "The query string is not valid.", {"errors": errors}) from None


def _parse_body(op: Operation, request: Request) -> tuple[Any, Any]:
    raw = request.body or b""
    if not raw.strip():
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "malformed_json", "The body is not valid JSON.") from None
        except RecursionError:  # thousands of nested brackets: refused like any other body we can't read
            raise ApiError(400, "malformed_json", "The body is nested too deeply.") from None
    if op.body is None:
        if data != {}:
            raise ApiError(422, "validation_failed", "This operation takes no body.")
        return data, None
    if not isinstance(data, dict):
        raise ApiError(422, "validation_failed", "The body must be a JSON object.")
    try:
        return data, op.body.parse_obj(data)
    except ValidationError as failure:
        raise ApiError(422, "validation_failed", "The body is not valid.", {"errors": _errors(failure)}) from None
    except RecursionError:
        raise ApiError(422, "validation_failed", "The body is nested too deeply.") from None


def _errors(failure: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": [part if isinstance(part, (int, str)) else str(part) for part in e["loc"]],
             "msg": str(e["msg"])[:300], "type": str(e["type"])} for e in failure.errors()[:20]]


def _canonical_query(request: Request) -> str:
    return "&".join(f"{k}={v}" for k, vs in sorted(request.args.items()) for v in vs)


DEADLINE_HEADER = "X-Request-Deadline"  # epoch seconds after which the caller no longer waits for the answer


def _past_its_deadline(request: Request) -> bool:
    try:
        return time.time() > float(request.headers.get(DEADLINE_HEADER, "inf"))
    except ValueError:
        return False  # an unreadable deadline is no deadline


def create_app(database: Database, keys: ServiceKeys, config: AppConfig, name: str = "alex_backend") -> Sanic:
    """Build the API over a database."""
    app = Sanic(name, configure_logging=False)
    app.config.REQUEST_MAX_SIZE = JSON_BODY_LIMIT  # the upload route streams, with its own limits
    app.config.KEEP_ALIVE_TIMEOUT = 30
    api = Api(database, config)
    operations = all_operations()
    document = openapi.build(operations)

    @app.on_request
    async def authenticate(request: Request) -> HTTPResponse | None:
        if request.path == "/v1/health":
            return None
        role = keys.role_of(bearer_token(request))
        if role is None:
            return error(401, "unauthenticated", "A valid key is required.")
        request.ctx.role = role
        if _past_its_deadline(request):
            # The caller gave up waiting (a backend that hung, then resumed): doing it now would change what the
            # seller was told had not happened.
            return error(503, "deadline_passed", "The caller stopped waiting for this request; it was not done.")
        return None

    @app.get("/v1/health")
    async def health(_: Request) -> HTTPResponse:
        return _json(200, {"status": "ok"})

    @app.get("/v1/openapi.json")
    async def openapi_document(_: Request) -> HTTPResponse:
        return _json(200, document)

    for op in operations:
        _mount(app, api, op)

    @app.exception(Exception)
    async def unexpected(request: Request, exception: Exception) -> HTTPResponse:
        status = exception.status_code if isinstance(exception, SanicException) else 500
        if status == 404:
            return error(404, "not_found", "No such resource.")
        if status == 405:
            return error(405, "method_not_allowed", "This resource does not take that method.")
        if status == 413:
            return error(413, "payload_too_large", "The request body is too large.")
        if isinstance(status, int) and 400 <= status < 500:
            return error(status, "bad_request", "The request can't be read.")
        logger.error("unexpected error on %s %s", request.method, request.path, exc_info=exception)
        return error(500, "internal", "Something went wrong on our side.")

    app.ctx.api = api
    return app


def _mount(app: Sanic, api: Api, op: Operation) -> None:
    async def endpoint(request: Request, **params: str) -> HTTPResponse:
        return await api.handle(op, request, params)

    app.add_route(endpoint, op.sanic_path, methods=[op.method], name=op.operation_id, stream=op.upload)
