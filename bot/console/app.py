"""The agent console server: the single page (bot/console/static/) and the JSON API it calls under `/api/...`.

The browser never holds a credential it can read: the agent's backend session token lives in an HttpOnly,
SameSite=Strict cookie, and this server adds the console key on the way to the backend. Every state-changing
request must carry `X-Alex-Console: 1`, a header no other site can make a browser send without our consent (CORS
preflight), so a forged form or link can't act as a signed-in agent.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, unquote

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.console.backend_client import BackendRefused, BackendUnavailable, ConsoleBackend
from bot.console.rasa_client import RasaConversations
from bot.console.refusals import Refused
from bot.console.ticket_actions import TicketActions
from bot.http_auth import error_response

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
SESSION_COOKIE = "alex_console_session"
CSRF_HEADER = "X-Alex-Console"
QUEUE_FILTERS = ("any", "me", "unassigned")
_KEY = re.compile(r"^[\x21-\x7e]{1,128}\Z")  # the backend's own rule for Idempotency-Key values
_STATIC_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8"}
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
}


def _token(request: Request) -> str:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Refused(401, "session_invalid", "Sign in first.")
    return token


def _key(request: Request) -> str:
    """The Idempotency-Key the page made for this click (a repeated click replays the first outcome)."""
    key = request.headers.get("Idempotency-Key", "")
    if not _KEY.fullmatch(key):
        raise Refused(400, "idempotency_key_required", "Every change needs an Idempotency-Key header.")
    return key


def _body(request: Request) -> dict[str, Any]:
    body = request.json
    if not isinstance(body, dict):
        raise Refused(400, "json_object_required", "Send a JSON object.")
    return body


def _note(body: dict[str, Any]) -> str | None:
    return body.get("note") or None


def _sign_in_reply(signed_in: dict[str, Any], secure: bool) -> HTTPResponse:
    """The agent and expiry for the page; the token only as the HttpOnly cookie, gone when the session ends.
    `secure`: the console is served over HTTPS, so the browser must never send the cookie over plain HTTP."""
    expires = datetime.fromisoformat(signed_in["expires_at"])
    reply = response.json({"agent": signed_in["agent"], "expires_at": signed_in["expires_at"]}, status=201)
    reply.cookies[SESSION_COOKIE] = signed_in["token"]
    cookie = reply.cookies[SESSION_COOKIE]
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    cookie["path"] = "/"
    cookie["max-age"] = max(0, int((expires - datetime.now(timezone.utc)).total_seconds()))
    if secure:
        cookie["secure"] = True
    return reply


def _signed_out(reply: HTTPResponse) -> HTTPResponse:
    del reply.cookies[SESSION_COOKIE]
    return reply


def create_app(
    backend: ConsoleBackend, rasa: RasaConversations, name: str = "alex_console", trusted_proxies: int = 0
) -> Sanic:
    """The console app: its clients are passed in, so the stack (and a test) chooses which backend and Rasa.
    `trusted_proxies`: how many reverse proxies in front of it to believe about the browser's address and scheme
    (X-Forwarded-For, X-Forwarded-Proto); with none, a client can claim neither."""
    app = Sanic(name, configure_logging=False)
    app.config.PROXIES_COUNT = trusted_proxies
    app.config.REQUEST_MAX_SIZE = 64 * 1024  # a reply is at most 4000 characters; nothing else is larger
    app.config.FALLBACK_ERROR_FORMAT = "json"
    tickets = TicketActions(backend, rasa)

    @app.on_request
    async def guard(request: Request) -> HTTPResponse | None:
        if request.path.startswith("/api/") and request.method not in ("GET", "HEAD") \
                and request.headers.get(CSRF_HEADER) != "1":
            return error_response(403, "console_header_missing", f"State-changing requests need {CSRF_HEADER}: 1.")
        return None

    @app.on_response
    async def harden(request: Request, reply: HTTPResponse) -> None:
        reply.headers.update(_HEADERS)
        if request.path.startswith("/api/"):
            reply.headers["Cache-Control"] = "no-store"

    @app.exception(Refused, BackendRefused)
    async def refused(_: Request, failure: Refused | BackendRefused) -> HTTPResponse:
        retry_after = failure.retry_after if isinstance(failure, BackendRefused) else None
        reply = error_response(failure.status, failure.code, failure.message,
                               {"Retry-After": retry_after} if retry_after else None)
        return _signed_out(reply) if failure.status == 401 else reply

    @app.exception(BackendUnavailable)
    async def unavailable(_: Request, failure: BackendUnavailable) -> HTTPResponse:
        logger.warning("backend unavailable: %s", failure)
        return error_response(503, "backend_unavailable", "The ticket service is not answering.")

    @app.after_server_stop
    async def close_clients(*_: Any) -> None:
        await backend.close()
        await rasa.close()

    @app.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    # ------------------------------------------------------------------ sessions

    @app.post("/api/session")
    async def sign_in(request: Request) -> HTTPResponse:
        body = _body(request)
        # The browser's address (Sanic takes it from the forwarding headers of a proxy it is told to trust).
        address = (request.remote_addr or request.ip or "")[:64] or None
        signed_in = await backend.sign_in(body.get("email"), body.get("password"), address, _key(request))
        return _sign_in_reply(signed_in, secure=request.scheme == "https")

    @app.delete("/api/session", ignore_body=False)
    async def sign_out(request: Request) -> HTTPResponse:
        await backend.sign_out(_token(request), _key(request))
        return _signed_out(response.json({"signed_out": True}))

    @app.get("/api/me")
    async def me(request: Request) -> HTTPResponse:
        return response.json(await backend.me(_token(request)))

    @app.get("/api/agents")
    async def agents(request: Request) -> HTTPResponse:
        return response.json(await backend.agents(_token(request)))

    # ------------------------------------------------------------------ the queue and tickets

    @app.get("/api/queue")
    async def queue(request: Request) -> HTTPResponse:
        assignee = request.args.get("assignee", "any")
        if assignee not in QUEUE_FILTERS:
            raise Refused(400, "unknown_filter", f"assignee is one of {', '.join(QUEUE_FILTERS)}.")
        page = await backend.queue(_token(request), assignee)
        # The server's clock, so the page's SLA countdowns don't depend on the agent's computer clock.
        return response.json({**page, "now": datetime.now(timezone.utc).isoformat(timespec="milliseconds")})

    @app.get("/api/tickets/<number:str>")
    async def ticket(request: Request, number: str) -> HTTPResponse:
        return response.json((await tickets.open(_token(request), number)).as_json())

    @app.post("/api/tickets/<number:str>/claim")
    async def claim(request: Request, number: str) -> HTTPResponse:
        return response.json((await tickets.claim(_token(request), number, _key(request))).as_json())

    @app.post("/api/tickets/<number:str>/messages")
    async def add_message(request: Request, number: str) -> HTTPResponse:
        body = _body(request)
        done = await tickets.add_message(_token(request), number, body.get("body"), body.get("internal", False),
                                         _key(request))
        return response.json(done.as_json(), status=201)

    @app.post("/api/tickets/<number:str>/messages/<message_id:int>/retry")
    async def retry(request: Request, number: str, message_id: int) -> HTTPResponse:
        return response.json((await tickets.retry_delivery(_token(request), number, message_id)).as_json())

    @app.post("/api/tickets/<number:str>/status")
    async def change_status(request: Request, number: str) -> HTTPResponse:
        done = await tickets.change_status(_token(request), number, _body(request).get("status"), _key(request))
        return response.json(done.as_json())

    @app.post("/api/tickets/<number:str>/reassign")
    async def reassign(request: Request, number: str) -> HTTPResponse:
        return response.json(await backend.reassign(_token(request), number, _body(request).get("agent_id"),
                                                    _key(request)))

    @app.post("/api/tickets/<number:str>/resolve")
    async def resolve(request: Request, number: str) -> HTTPResponse:
        done = await tickets.resolve(_token(request), number, _note(_body(request)), _key(request))
        return response.json(done.as_json())

    @app.post("/api/tickets/<number:str>/hand-back")
    async def hand_back(request: Request, number: str) -> HTTPResponse:
        done = await tickets.hand_back(_token(request), number, _note(_body(request)), _key(request))
        return response.json(done.as_json())

    # ------------------------------------------------------------------ audit

    @app.get("/api/tickets/<number:str>/audit")
    async def ticket_audit(request: Request, number: str) -> HTTPResponse:
        return response.json(await backend.ticket_audit(_token(request), number))

    @app.get("/api/audit")
    async def audit(request: Request) -> HTTPResponse:
        return response.json(await backend.audit(_token(request)))

    # ------------------------------------------------------------------ the page

    @app.get("/conversations/<conversation_id:str>")
    async def transcript_link(request: Request, conversation_id: str) -> HTTPResponse:
        """A ticket's transcript link: the conversation's newest ticket in the page (sign in first if needed)."""
        if not request.cookies.get(SESSION_COOKIE):
            return response.redirect("/")
        found = await backend.conversation_ticket(_token(request), unquote(conversation_id))
        return response.redirect(f"/#/tickets/{quote(found['ticket']['number'], safe='')}")

    def static(path: Path) -> Callable:
        content_type = _STATIC_TYPES[path.suffix]

        async def serve(_: Request) -> HTTPResponse:
            reply = response.raw(path.read_bytes(), content_type=content_type)
            reply.headers["Cache-Control"] = "no-cache"
            return reply
        return serve

    app.add_route(static(STATIC_DIR / "index.html"), "/", methods=["GET"], name="page")
    for file in sorted(STATIC_DIR.glob("console.*")):
        app.add_route(static(file), f"/static/{file.name}", methods=["GET"], name=f"static_{file.suffix[1:]}")
    return app
