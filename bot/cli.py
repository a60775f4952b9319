"""The commands the README names: `./alex start`, `./alex chat`, `./alex seed` (and `./alex test`)."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from bot.backend.db import Database
from bot.private_files import private_dir
from bot.settings import PROJECT_ROOT, SettingsError, ensure_local_secrets, load_settings, state_dir

DEMO_SELLER = "S1001"


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt




def start(seller_id: str) -> None:
    """Seed, train if stale, start every process, then chat (or wait) until Ctrl-C."""
    from bot import terminal_chat
    from bot.backend.__main__ import prepare
    from bot.stack import Stack, StackError
    from bot.training import ensure_model, model_path

    ensure_local_secrets()
    settings = load_settings()
    logs = private_dir(state_dir() / "logs")
    prepare(Database(settings.backend_db_url), reseed=False, agent_password=settings.demo_agent_password,
            hours=settings.support_calendar())
    print("Demo data ready in", settings.backend_db_url)
    if not model_path().exists():
        print(f"Training the model (data or config changed); about 1-2 minutes. Log: {logs / 'train.log'}")
    model = ensure_model(log=logs / "train.log")
    print("Model:", model.relative_to(PROJECT_ROOT))
    # Ctrl-C, or a TERM from a service manager, stops everything (even where a parent shell ignores SIGINT).
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print("Starting backend, action server, Rasa, the help page and the agent console (about 30-60 s)...")
    stack = Stack(settings, model, logs)
    try:
        stack.start()
    except StackError as error:
        sys.exit(f"Alex could not start: {error}")
    print(
        f"\nAlex is up. Backend {settings.backend_url}, actions :{settings.actions_port}, Rasa {settings.rasa_url}"
        f"\n\n  Chat on the help page:  {settings.help_page_url}/"
        f"\n  (sign in there as a demo seller, S1001 or S1002, then open the chat at the bottom right)"
        f"\n\nChat from another terminal:  ./alex chat --seller {seller_id}"
        f"\nWhatsApp webhook (see README, Connect WhatsApp):  {settings.rasa_url}/webhooks/whatsapp/webhook"
        f"\nAgent console: {settings.console_url}/"
        f"\nAgent console sign-in: agent@alex.example or supervisor@alex.example, password "
        f"{settings.demo_agent_password} (ALEX_DEMO_AGENT_PASSWORD)"
        f"\nLogs: {logs}   Stop: Ctrl-C\n"
    )
    try:
        if sys.stdin.isatty():
            terminal_chat.run(settings, seller_id)
        else:
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print()
    finally:
        print("Stopping Alex...")
        stack.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="./alex", description="Run Alex, the sellers' support assistant.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("start", "start everything and chat"), ("chat", "chat with a running Alex")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--seller", default=DEMO_SELLER, help="demo seller to chat as (S1001 or S1002)")
    commands.add_parser("seed", help="reset the backend to the demo data")
    args = parser.parse_args(argv)
    try:
        _run(args)
    except SettingsError as error:
        sys.exit(f"Alex can't start: {error}")


def _run(args: argparse.Namespace) -> None:
    if args.command == "start":
        start(args.seller)
    elif args.command == "chat":
        from bot import terminal_chat

        terminal_chat.run(load_settings(), args.seller)
    elif args.command == "seed":
        from bot.backend.__main__ import prepare

        ensure_local_secrets()
        settings = load_settings()
        prepare(Database(settings.backend_db_url), reseed=True, agent_password=settings.demo_agent_password,
                hours=settings.support_calendar())
        print("Demo data restored.")


if __name__ == "__main__":
    main()
