"""Configuration from the environment, with safe development defaults.

Secrets are never in the repository: they come from the environment or, on a developer's machine, from a
git-ignored `.alex/secrets.env` that the first run fills with random values.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_NAMES = ("ALEX_IDENTITY_SECRET", "ALEX_BACKEND_KEY", "ALEX_ACTIONS_TOKEN", "ALEX_RASA_TOKEN")


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

    @property
    def backend_url(self) -> str:
        return os.environ.get("ALEX_BACKEND_URL", f"http://127.0.0.1:{self.backend_port}")

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}/webhook"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

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
            "RASA_TELEMETRY_ENABLED": "false",
            # Sanic accepts 100 MB bodies by default; nothing we serve needs more than a chat message.
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
    """Give a developer machine its own random secrets once, in a git-ignored file (0600)."""
    path = state_dir() / "secrets.env"
    existing = _read_secrets_file(path)
    missing = [name for name in SECRET_NAMES if name not in existing]
    if not missing:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    existing.update({name: secrets.token_urlsafe(32) for name in missing})
    path.write_text("".join(f"{name}={value}\n" for name, value in existing.items()))
    path.chmod(0o600)


def load_settings() -> Settings:
    """Read the settings: environment first, then the local secrets file, then defaults."""
    home = state_dir()
    local = _read_secrets_file(home / "secrets.env")

    def secret(name: str) -> str:
        value = os.environ.get(name) or local.get(name)
        if not value:
            raise RuntimeError(f"{name} is not set (run ./alex start once, or export it)")
        return value

    return Settings(
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
    )
