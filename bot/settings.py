"""Configuration from the environment, with safe development defaults.

Secrets are never in the repository: they come from the environment or, on a developer's machine, from a
git-ignored `.alex/secrets.env` that the first run fills with random values.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.private_files import private_dir, tighten, write_private
from bot.support_hours import SupportHours, SupportHoursError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_NAMES = (
    "ALEX_IDENTITY_SECRET", "ALEX_BACKEND_KEY", "ALEX_ACTIONS_TOKEN", "ALEX_RASA_TOKEN",
    "ALEX_PLATFORM_KEY", "ALEX_CONSOLE_KEY", "ALEX_DEMO_AGENT_PASSWORD",
    "ALEX_WHATSAPP_TOKEN", "ALEX_WHATSAPP_APP_SECRET", "ALEX_WHATSAPP_VERIFY_TOKEN",
)
DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"
# No WhatsApp number is connected until an operator sets the real id (README: "Connect WhatsApp").
UNCONNECTED_PHONE_NUMBER_ID = "000000000000000"


class SettingsError(RuntimeError):
    """A setting that is missing or can't be read: the process must not start."""


def state_dir() -> Path:
    """Where local runtime state lives (databases, secrets, the spaCy pipeline): git-ignored."""
    return Path(os.environ.get("ALEX_HOME", PROJECT_ROOT / ".alex"))


@dataclass(frozen=True)
class Settings:
    """Everything the processes need to find and trust each other."""

    backend_port: int
    actions_port: int
    rasa_port: int
    backend_db_url: str
    tracker_db_path: Path
    identity_secret: str
    backend_key: str
    actions_token: str
    rasa_token: str
    backend_timeout_seconds: float
    max_message_chars: int
    platform_key: str
    console_key: str
    demo_agent_password: str
    evidence_dir: Path
    help_page_port: int = 5058
    console_port: int = 5059
    max_upload_bytes: int = 50 * 1024 * 1024
    # Evidence one seller may upload per rolling period (bot/backend/evidence_quota.py).
    evidence_quota_files: int = 200
    evidence_quota_bytes: int = 1024 * 1024 * 1024
    evidence_quota_hours: int = 24
    whatsapp_graph_url: str = DEFAULT_GRAPH_URL
    whatsapp_token: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_verify_token: str = ""
    whatsapp_phone_number_id: str = UNCONNECTED_PHONE_NUMBER_ID
    whatsapp_template: str = "alex_agent_reply"
    whatsapp_template_language: str = "en"
    socketio_redis_url: str = ""
    # When the support team works (bot/support_hours.py has the syntax); "" = always, SLAs in calendar hours.
    support_hours: str = ""
    support_timezone: str = "UTC"
    # Abuse limits (README: "Abuse limits"): a sender's message budget, counted in the backend across channels and
    # replicas; the messages one conversation may have in flight on one replica; sign-in lockouts.
    message_limit: int = 30
    message_window_seconds: int = 60
    message_burst: int = 5
    messages_in_flight: int = 8
    sign_in_free_failures: int = 5
    sign_in_lockout_seconds: int = 2
    sign_in_max_lockout_seconds: int = 60

    def support_calendar(self) -> SupportHours:
        return SupportHours(self.support_hours, self.support_timezone)

    @property
    def backend_url(self) -> str:
        return os.environ.get("ALEX_BACKEND_URL", f"http://127.0.0.1:{self.backend_port}")

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}/webhook"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def help_page_url(self) -> str:
        """Where sellers open the help page (the platform's stand-in) and its chat."""
        return os.environ.get("ALEX_HELP_PAGE_URL", f"http://127.0.0.1:{self.help_page_port}")

    @property
    def console_url(self) -> str:
        """Where agents open the console (bound to loopback: reach it from elsewhere through a proxy you trust)."""
        return f"http://127.0.0.1:{self.console_port}"

    @property
    def console_trusted_proxies(self) -> int:
        """How many reverse proxies in front of the console it believes about the browser's scheme and address:
        0 (a client claims neither), 1 behind one TLS-terminating proxy (then its cookie is `Secure`)."""
        return int(os.environ.get("ALEX_CONSOLE_TRUSTED_PROXIES", "0"))

    @property
    def chat_token_ttl_seconds(self) -> int:
        """How long a chat token the help page mints lives (the widget renews it before it runs out)."""
        return int(os.environ.get("ALEX_CHAT_TOKEN_TTL_SECONDS", "900"))

    @property
    def help_page_origins(self) -> list[str]:
        """The only origins the web chat accepts (CORS and the WebSocket handshake's Origin)."""
        origins = [self.help_page_url.rstrip("/")]
        if origins[0] == f"http://127.0.0.1:{self.help_page_port}":
            origins.append(f"http://localhost:{self.help_page_port}")
        return origins

    def process_environment(self) -> dict[str, str]:
        """The variables every child process gets, so all of them read the same configuration."""
        return {
            "ALEX_BACKEND_PORT": str(self.backend_port),
            "ALEX_ACTIONS_PORT": str(self.actions_port),
            "ALEX_RASA_PORT": str(self.rasa_port),
            "ALEX_BACKEND_URL": self.backend_url,
            "ALEX_ACTIONS_URL": self.actions_url,
            "ALEX_BACKEND_DB_URL": self.backend_db_url,
            "ALEX_TRACKER_DB": str(self.tracker_db_path),
            "ALEX_IDENTITY_SECRET": self.identity_secret,
            "ALEX_BACKEND_KEY": self.backend_key,
            "ALEX_ACTIONS_TOKEN": self.actions_token,
            "ALEX_RASA_TOKEN": self.rasa_token,
            "ALEX_BACKEND_TIMEOUT": str(self.backend_timeout_seconds),
            "ALEX_MAX_MESSAGE_CHARS": str(self.max_message_chars),
            "ALEX_PLATFORM_KEY": self.platform_key,
            "ALEX_CONSOLE_KEY": self.console_key,
            "ALEX_DEMO_AGENT_PASSWORD": self.demo_agent_password,
            "ALEX_EVIDENCE_DIR": str(self.evidence_dir),
            "ALEX_HELP_PAGE_PORT": str(self.help_page_port),
            "ALEX_HELP_PAGE_URL": self.help_page_url,
            "ALEX_HELP_PAGE_ORIGINS": ",".join(self.help_page_origins),
            "ALEX_CONSOLE_PORT": str(self.console_port),
            # Tickets link to the conversation's transcript in the console (actions/tickets.py).
            "ALEX_CONSOLE_URL": self.console_url,
            "ALEX_MAX_UPLOAD_BYTES": str(self.max_upload_bytes),
            "ALEX_EVIDENCE_QUOTA_FILES": str(self.evidence_quota_files),
            "ALEX_EVIDENCE_QUOTA_BYTES": str(self.evidence_quota_bytes),
            "ALEX_EVIDENCE_QUOTA_HOURS": str(self.evidence_quota_hours),
            "ALEX_WHATSAPP_GRAPH_URL": self.whatsapp_graph_url,
            "ALEX_WHATSAPP_TOKEN": self.whatsapp_token,
            "ALEX_WHATSAPP_APP_SECRET": self.whatsapp_app_secret,
            "ALEX_WHATSAPP_VERIFY_TOKEN": self.whatsapp_verify_token,
            "ALEX_WHATSAPP_PHONE_NUMBER_ID": self.whatsapp_phone_number_id,
            "ALEX_WHATSAPP_TEMPLATE": self.whatsapp_template,
            "ALEX_WHATSAPP_TEMPLATE_LANGUAGE": self.whatsapp_template_language,
            "ALEX_SOCKETIO_REDIS_URL": self.socketio_redis_url,
            "ALEX_SUPPORT_HOURS": self.support_hours,
            "ALEX_SUPPORT_TIMEZONE": self.support_timezone,
            "ALEX_MESSAGE_LIMIT": str(self.message_limit),
            "ALEX_MESSAGE_WINDOW_SECONDS": str(self.message_window_seconds),
            "ALEX_MESSAGE_BURST": str(self.message_burst),
            "ALEX_MESSAGES_IN_FLIGHT": str(self.messages_in_flight),
            "ALEX_SIGN_IN_FREE_FAILURES": str(self.sign_in_free_failures),
            "ALEX_SIGN_IN_LOCKOUT_SECONDS": str(self.sign_in_lockout_seconds),
            "ALEX_SIGN_IN_MAX_LOCKOUT_SECONDS": str(self.sign_in_max_lockout_seconds),
            "RASA_TELEMETRY_ENABLED": "false",
            # Sanic accepts 100 MB bodies by default; nothing we serve needs more than a chat message
            # (the web chat's evidence upload streams, with its own limit, ALEX_MAX_UPLOAD_BYTES).
            "SANIC_REQUEST_MAX_SIZE": "65536",
        }


def _read_secrets_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            if name.strip() in SECRET_NAMES and value.strip():
                values[name.strip()] = value.strip()
    return values


def ensure_local_secrets() -> None:
    """Give a developer machine its own random secrets once, in a git-ignored file that is owner-only from the
    moment it exists (and make the state folder and an older run's file owner-only too)."""
    path = private_dir(state_dir()) / "secrets.env"
    tighten(path)
    existing = _read_secrets_file(path)
    missing = [name for name in SECRET_NAMES if name not in existing]
    if not missing:
        return
    existing.update({name: secrets.token_urlsafe(32) for name in missing})
    write_private(path, "".join(f"{name}={value}\n" for name, value in existing.items()))


def load_settings() -> Settings:
    """Read the settings: environment first, then the local secrets file, then defaults."""
    home = state_dir()
    local = _read_secrets_file(home / "secrets.env")

    def secret(name: str) -> str:
        value = os.environ.get(name) or local.get(name)
        if not value:
            raise SettingsError(f"{name} is not set (run ./alex start once, or export it)")
        return value

    settings = Settings(
        backend_port=int(os.environ.get("ALEX_BACKEND_PORT", "5056")),
        actions_port=int(os.environ.get("ALEX_ACTIONS_PORT", "5055")),
        rasa_port=int(os.environ.get("ALEX_RASA_PORT", "5005")),
        backend_db_url=os.environ.get("ALEX_BACKEND_DB_URL", f"sqlite:///{home / 'backend.db'}"),
        tracker_db_path=Path(os.environ.get("ALEX_TRACKER_DB", home / "tracker.db")),
        identity_secret=secret("ALEX_IDENTITY_SECRET"),
        backend_key=secret("ALEX_BACKEND_KEY"),
        actions_token=secret("ALEX_ACTIONS_TOKEN"),
        rasa_token=secret("ALEX_RASA_TOKEN"),
        backend_timeout_seconds=float(os.environ.get("ALEX_BACKEND_TIMEOUT", "5")),
        max_message_chars=int(os.environ.get("ALEX_MAX_MESSAGE_CHARS", "2000")),
        platform_key=secret("ALEX_PLATFORM_KEY"),
        console_key=secret("ALEX_CONSOLE_KEY"),
        demo_agent_password=secret("ALEX_DEMO_AGENT_PASSWORD"),
        evidence_dir=Path(os.environ.get("ALEX_EVIDENCE_DIR", home / "evidence")),
        help_page_port=int(os.environ.get("ALEX_HELP_PAGE_PORT", "5058")),
        console_port=int(os.environ.get("ALEX_CONSOLE_PORT", "5059")),
        max_upload_bytes=int(os.environ.get("ALEX_MAX_UPLOAD_BYTES", str(50 * 1024 * 1024))),
        evidence_quota_files=int(os.environ.get("ALEX_EVIDENCE_QUOTA_FILES", "200")),
        evidence_quota_bytes=int(os.environ.get("ALEX_EVIDENCE_QUOTA_BYTES", str(1024 * 1024 * 1024))),
        evidence_quota_hours=int(os.environ.get("ALEX_EVIDENCE_QUOTA_HOURS", "24")),
        whatsapp_graph_url=os.environ.get("ALEX_WHATSAPP_GRAPH_URL", DEFAULT_GRAPH_URL),
        whatsapp_token=secret("ALEX_WHATSAPP_TOKEN"),
        whatsapp_app_secret=secret("ALEX_WHATSAPP_APP_SECRET"),
        whatsapp_verify_token=secret("ALEX_WHATSAPP_VERIFY_TOKEN"),
        whatsapp_phone_number_id=os.environ.get("ALEX_WHATSAPP_PHONE_NUMBER_ID", UNCONNECTED_PHONE_NUMBER_ID),
        whatsapp_template=os.environ.get("ALEX_WHATSAPP_TEMPLATE", "alex_agent_reply"),
        whatsapp_template_language=os.environ.get("ALEX_WHATSAPP_TEMPLATE_LANGUAGE", "en"),
        socketio_redis_url=os.environ.get("ALEX_SOCKETIO_REDIS_URL", ""),
        support_hours=os.environ.get("ALEX_SUPPORT_HOURS", ""),
        support_timezone=os.environ.get("ALEX_SUPPORT_TIMEZONE", "") or "UTC",
        message_limit=int(os.environ.get("ALEX_MESSAGE_LIMIT", "30")),
        message_window_seconds=int(os.environ.get("ALEX_MESSAGE_WINDOW_SECONDS", "60")),
        message_burst=int(os.environ.get("ALEX_MESSAGE_BURST", "5")),
        messages_in_flight=int(os.environ.get("ALEX_MESSAGES_IN_FLIGHT", "8")),
        sign_in_free_failures=int(os.environ.get("ALEX_SIGN_IN_FREE_FAILURES", "5")),
        sign_in_lockout_seconds=int(os.environ.get("ALEX_SIGN_IN_LOCKOUT_SECONDS", "2")),
        sign_in_max_lockout_seconds=int(os.environ.get("ALEX_SIGN_IN_MAX_LOCKOUT_SECONDS", "60")),
    )
    for name, check in (("ALEX_SUPPORT_HOURS", lambda: SupportHours(settings.support_hours)),
                        ("ALEX_SUPPORT_TIMEZONE", lambda: SupportHours("", settings.support_timezone))):
        try:
            check()
        except SupportHoursError as error:
            raise SettingsError(f"{name} is not valid: {error}") from None
    return settings
