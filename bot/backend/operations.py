"""Operations: each API endpoint declared once, with its role, schemas and documented errors.

The same declaration drives the Sanic route, the request validation and the OpenAPI document, so the document
cannot drift from what the handlers accept. Handlers are plain synchronous functions of a `Call`; they run on
the database thread pool inside one transaction and return a `Reply` or raise `ApiError`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from pydantic import BaseModel
from sqlalchemy.orm import Session

from bot.backend.domain.limits import MessageBudget, SignInPolicy
from bot.support_hours import ALWAYS, SupportHours

# Runs a unit of work (session, now) in one transaction, retrying lost races: what `Operation.prepare` gets.
Transactions = Callable[..., Any]

if TYPE_CHECKING:  # pragma: no cover
    from bot.backend.evidence_store import EvidenceStore, Upload
    from bot.backend.models import Agent


class Role(str, enum.Enum):
    """Who calls: each service key maps to exactly one role."""

    ASSISTANT = "assistant"  # Rasa's channels and the action server
    CONSOLE = "console"  # the agent console (plus an agent session)
    PLATFORM = "platform"  # the platform's own staff systems: seeding, tests, the CLI


@dataclass
class Caller:
    role: Role
    agent: "Agent | None" = None
    session_id: int | None = None

    @property
    def idempotency_scope(self) -> str:
        return f"agent:{self.agent.id}" if self.agent is not None else self.role.value


@dataclass
class Call:
    """Everything a handler may use: the session of this unit of work, the validated input, the caller."""

    session: Session
    params: dict[str, str]
    query: Any
    body: Any
    caller: Caller
    now: datetime
    config: "AppConfig"
    upload: "Upload | None" = None
    prepared: Any = None  # what the operation's `prepare` found outside the transaction


@dataclass
class Reply:
    status: int
    body: Any = None
    file: Path | None = None  # a stored file to stream instead of JSON
    content_type: str | None = None
    filename: str | None = None


@dataclass(frozen=True)
class AppConfig:
    """What handlers need besides the database."""

    evidence: "EvidenceStore"
    return_link_base: str = "https://returns.cjdropshipping.example/r/"
    session_ttl_seconds: int = 8 * 3600
    support_hours: SupportHours = ALWAYS  # when people answer: SLA due times, the wait a seller is told
    message_budget: MessageBudget = MessageBudget()
    sign_in_policy: SignInPolicy = SignInPolicy()


@dataclass(frozen=True)
class ErrorDoc:
    status: int
    code: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # OpenAPI style: /v1/sellers/{seller_id}/orders/{number}
    role: Role
    handler: Callable[[Call], Reply]
    summary: str
    status: int = 200
    also: tuple[int, ...] = ()  # other success statuses with the same body (e.g. 200 "updated" next to 201)
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    errors: tuple[ErrorDoc, ...] = ()
    not_found: tuple[str, str] | None = None  # (code, what) for path parameters that name nothing
    agent_session: bool = True  # console operations need X-Agent-Session (all but signing in)
    replay: bool = True  # store the response for Idempotency-Key replays (off where it holds a secret)
    upload: bool = False  # the body is a file (streamed, with its own size limits)
    file_response: bool = False
    tags: tuple[str, ...] = ()
    # Slow work that must hold no transaction (hashing a password), run before the handler's transaction with
    # a runner of its own short ones; its result reaches the handler as `Call.prepared`.
    prepare: "Callable[[Transactions, Any, AppConfig], Any] | None" = None

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    @property
    def operation_id(self) -> str:
        return self.handler.__name__

    @property
    def path_params(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    @property
    def sanic_path(self) -> str:
        return "/".join(f"<{p[1:-1]}:str>" if p.startswith("{") else p for p in self.path.split("/"))


@dataclass
class Router:
    """Collects the operations of one role; `create_app` mounts every router's operations."""

    role: Role
    tag: str
    operations: list[Operation] = field(default_factory=list)

    def _add(self, method: str, path: str, **options: Any) -> Callable[[Callable[[Call], Reply]], Callable[[Call], Reply]]:
        def register(handler: Callable[[Call], Reply]) -> Callable[[Call], Reply]:
            errors = tuple(ErrorDoc(*e) if isinstance(e, tuple) else e for e in options.pop("errors", ()))
            self.operations.append(Operation(method=method, path=path, role=self.role, handler=handler,
                                             errors=errors, tags=(self.tag,), **options))
            return handler

        return register

    def get(self, path: str, **options: Any) -> Callable[[Callable[[Call], Reply]], Callable[[Call], Reply]]:
        return self._add("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Callable[[Call], Reply]], Callable[[Call], Reply]]:
        return self._add("POST", path, status=options.pop("status", 201), **options)

    def put(self, path: str, **options: Any) -> Callable[[Callable[[Call], Reply]], Callable[[Call], Reply]]:
        return self._add("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[Callable[[Call], Reply]], Callable[[Call], Reply]]:
        return self._add("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[Callable[[Call], Reply]], Callable[[Call], Reply]]:
        return self._add("DELETE", path, **options)
