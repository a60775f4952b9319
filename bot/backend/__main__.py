"""Run the backend: `python -m bot.backend serve` (seeds the demo data into an empty database first),
`python -m bot.backend seed` (replace everything with the demo data)."""

from __future__ import annotations

import argparse
import logging

from sqlalchemy import func, select

from bot.backend.api import create_app
from bot.backend.db import Database, create_schema
from bot.backend.demo_data import seed
from bot.backend.models import Seller
from bot.settings import load_settings


def prepare(database: Database, reseed: bool) -> None:
    """Create the schema; load the demo data when asked to or when the database is empty."""
    create_schema(database.engine)
    with database.transaction() as session:
        empty = session.execute(select(func.count()).select_from(Seller)).scalar_one() == 0
        if reseed or empty:
            seed(session)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.backend")
    parser.add_argument("command", choices=["serve", "seed"])
    args = parser.parse_args()
    settings = load_settings()
    database = Database(settings.backend_db_url)
    prepare(database, reseed=args.command == "seed")
    if args.command == "serve":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s backend %(levelname)s %(message)s")
        app = create_app(database, settings.backend_key)
        app.run(host="127.0.0.1", port=settings.backend_port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
