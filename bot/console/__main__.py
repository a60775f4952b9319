"""`python -m bot.console`: serve the agent console on 127.0.0.1:ALEX_CONSOLE_PORT (started by bot/stack.py)."""

from __future__ import annotations

import logging

from bot.console.app import create_app
from bot.console.backend_client import ConsoleBackend
from bot.console.rasa_client import RasaConversations
from bot.settings import load_settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s console %(levelname)s %(message)s")
    settings = load_settings()
    app = create_app(ConsoleBackend(settings.backend_url, settings.console_key, settings.backend_timeout_seconds),
                     RasaConversations(settings.rasa_url, settings.rasa_token),
                     trusted_proxies=settings.console_trusted_proxies)
    app.run(host="127.0.0.1", port=settings.console_port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
