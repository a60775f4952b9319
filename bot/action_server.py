"""The action server: rasa_sdk's app, reachable on loopback only and only with our shared token.

rasa_sdk's own `rasa run actions` listens on every interface, allows any CORS origin and accepts any caller;
here Rasa must present `Authorization: Bearer <ALEX_ACTIONS_TOKEN>` (set in endpoints.yml) on every call.
"""

from __future__ import annotations

import logging
import os

from rasa_sdk.endpoint import create_app
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.http_auth import error_response, presents
from bot.settings import load_settings


def build_app(token: str) -> Sanic:
    """rasa_sdk's app for the `actions` package, with a token check in front of everything but /health."""
    if not token:
        raise ValueError("the action server needs ALEX_ACTIONS_TOKEN")
    app = create_app("actions", cors_origins=None)
    app.config.REQUEST_MAX_SIZE = 1024 * 1024  # a tracker with its history; far below Sanic's 100 MB default

    @app.on_request
    async def authenticate(request: Request) -> HTTPResponse | None:
        if request.path == "/health":
            return None
        if not presents(request, token):
            return error_response(401, "unauthenticated", "Unknown caller.")
        return None

    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s actions %(levelname)s %(message)s")
    settings = load_settings()
    os.environ.update(settings.process_environment())
    app = build_app(settings.actions_token)
    app.run(host="127.0.0.1", port=settings.actions_port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
