"""Run the backend: `python -m bot.backend serve` (migrates, seeds the demo data into an empty database first),
`python -m bot.backend seed` (replace everything with the demo data), `python -m bot.backend migrate`."""

from __future__ import annotations

import argparse
import logging
import sys

from sqlalchemy import func, select

from bot.backend import migrations
from bot.backend.api import ServiceKeys, create_app
from bot.backend.db import Database
from bot.backend.domain.limits import MessageBudget, SignInPolicy
from bot.backend.demo_data import DEMO_DATA_VERSION, seed
from bot.backend.evidence_quota import EvidenceQuota
from bot.backend.evidence_store import EvidenceStore
from bot.backend.models import BackendMeta, Seller
from bot.backend.operations import AppConfig
from bot.settings import Settings, SettingsError, load_settings
from bot.support_hours import ALWAYS, SupportHours

logger = logging.getLogger("bot.backend")


def prepare(database: Database, reseed: bool, agent_password: str, hours: SupportHours = ALWAYS) -> str:
    """Upgrade the schema to head; load the demo data when asked to, when the database is empty, or when it
    holds an older demo data set (never over data that is not demo data). Returns what the migration did.
    `hours`: the support hours the demo tickets' SLA due times are counted in."""
    outcome = migrations.upgrade(database.engine)
    with database.transaction() as session:
        empty = session.execute(select(func.count()).select_from(Seller)).scalar_one() == 0
        demo = session.get(BackendMeta, "demo_data")
        stale_demo = demo is not None and demo.value != DEMO_DATA_VERSION
        if reseed or empty or stale_demo:
            seed(session, agent_password, hours=hours)
    return outcome


def build_app(settings: Settings, database: Database):  # type: ignore[no-untyped-def]
    keys = ServiceKeys(assistant=settings.backend_key, console=settings.console_key, platform=settings.platform_key)
    return create_app(database, keys, AppConfig(
        evidence=EvidenceStore(settings.evidence_dir, EvidenceQuota.of(settings)),
        support_hours=settings.support_calendar(),
        message_budget=MessageBudget(settings.message_limit, settings.message_window_seconds,
                                     settings.message_burst),
        sign_in_policy=SignInPolicy(settings.sign_in_free_failures, settings.sign_in_lockout_seconds,
                                    settings.sign_in_max_lockout_seconds),
    ))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.backend")
    parser.add_argument("command", choices=["serve", "seed", "migrate"])
    args = parser.parse_args()
    try:
        settings = load_settings()
    except SettingsError as error:
        sys.exit(f"backend: {error}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s backend %(levelname)s %(message)s")
    database = Database(settings.backend_db_url)
    if args.command == "migrate":
        print(migrations.upgrade(database.engine))
        return
    outcome = prepare(database, reseed=args.command == "seed", agent_password=settings.demo_agent_password,
                      hours=settings.support_calendar())
    logger.info("database %s (%s)", database.engine.url.render_as_string(hide_password=True), outcome)
    if args.command == "serve":
        app = build_app(settings, database)
        app.run(host="127.0.0.1", port=settings.backend_port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
