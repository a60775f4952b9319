"""`python -m bot.helppage`: serve the help page on 127.0.0.1:ALEX_HELP_PAGE_PORT (started by bot/stack.py)."""

from __future__ import annotations

import logging

from bot.helppage.app import create_app
from bot.settings import load_settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s helppage %(levelname)s %(message)s")
    settings = load_settings()
    app = create_app(settings.identity_secret, settings.rasa_url, settings.help_page_origins,
                     settings.chat_token_ttl_seconds)
    app.run(host="127.0.0.1", port=settings.help_page_port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
