"""The backend's HTTP API (v1): JSON, one error shape, callers authenticated by service key.

Only our own services call it (the action server); every path names the seller the caller acts for, and every
read is scoped to that seller.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Callable

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.backend import views
from bot.backend.db import Database
from bot.http_auth import error_response as error
from bot.http_auth import presents
from bot.order_numbers import MalformedNumber, NumberKind, kind_of, normalise

logger = logging.getLogger(__name__)

# Database calls are synchronous: run them on a bounded pool, never on the event loop.
_DB_THREADS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="backend-db")
_MAX_PAGE = 100


def create_app(database: Database, service_key: str, name: str = "alex_backend") -> Sanic:
    """Build the API over a database; `service_key` is the shared secret callers present."""
    if not service_key:
        raise ValueError("the backend needs a service key (ALEX_BACKEND_KEY)")
    app = Sanic(name, configure_logging=False)
    app.config.REQUEST_MAX_SIZE = 64 * 1024

    async def in_transaction(work: Callable[..., Any], *args: Any) -> Any:
        def unit_of_work() -> Any:
            with database.transaction() as session:
                return work(session, *args)

        return await asyncio.get_running_loop().run_in_executor(_DB_THREADS, unit_of_work)

    @app.on_request
    async def authenticate(request: Request) -> HTTPResponse | None:
        if request.path == "/v1/health":
            return None
        if not presents(request, service_key):
            return error(401, "unauthenticated", "A valid service key is required.")
        return None

    @app.get("/v1/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    def canonical(raw: str, expected: NumberKind | tuple[NumberKind, ...]) -> str | None:
        try:
            number = normalise(raw)
        except MalformedNumber:
            return None
        allowed = expected if isinstance(expected, tuple) else (expected,)
        return number if kind_of(number) in allowed else None

    @app.get("/v1/sellers/<seller_id:str>/orders/<number:str>")
    async def get_order(_: Request, seller_id: str, number: str) -> HTTPResponse:
        canonical_number = canonical(number, (NumberKind.STORE_ORDER, NumberKind.WHOLESALE_ORDER))
        if canonical_number is None:
            return error(422, "malformed_number", "That is not an order number.")
        order = await in_transaction(views.find_order, seller_id, canonical_number)
        if order is None:
            return error(404, "order_not_found", "No such order for this seller.")
        return response.json(order)

    @app.get("/v1/sellers/<seller_id:str>/disputes/<number:str>")
    async def get_dispute(_: Request, seller_id: str, number: str) -> HTTPResponse:
        canonical_number = canonical(number, NumberKind.DISPUTE)
        if canonical_number is None:
            return error(422, "malformed_number", "That is not a dispute number.")
        dispute = await in_transaction(views.find_dispute, seller_id, canonical_number)
        if dispute is None:
            return error(404, "dispute_not_found", "No such dispute for this seller.")
        return response.json(dispute)

    @app.get("/v1/sellers/<seller_id:str>/disputes")
    async def list_disputes(request: Request, seller_id: str) -> HTTPResponse:
        try:
            limit = int(request.args.get("limit", "20"))
            offset = int(request.args.get("offset", "0"))
        except ValueError:
            return error(422, "bad_pagination", "'limit' and 'offset' must be whole numbers.")
        if not 1 <= limit <= _MAX_PAGE or offset < 0:
            return error(422, "bad_pagination", f"'limit' must be 1-{_MAX_PAGE} and 'offset' not negative.")
        items = await in_transaction(partial(views.list_disputes, limit=limit, offset=offset), seller_id)
        return response.json({"items": items, "limit": limit, "offset": offset})

    @app.exception(Exception)
    async def unexpected(_: Request, exception: Exception) -> HTTPResponse:
        status = getattr(exception, "status_code", 500)
        if isinstance(status, int) and 400 <= status < 500:
            return error(status, "bad_request", str(exception) or "Bad request.")
        logger.error("unexpected error", exc_info=exception)
        return error(500, "internal", "Something went wrong on our side.")

    return app
