"""No secret on a command line, and no secret or seller data in a file another local user can read.

Any local user reads every process's arguments (/proc/<pid>/cmdline) and every world-readable file: the Rasa
token on `rasa run --auth-token` opened Rasa's whole HTTP API; backend.db and tracker.db hold every seller's
data, the agents' password hashes and the conversations; secrets.env holds every key.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import fields
from pathlib import Path

import pytest

from bot.settings import SECRET_NAMES, Settings, ensure_local_secrets
from bot.stack import Stack
from tests.conftest import make_settings

_SECRET_FIELDS = ("identity_secret", "backend_key", "actions_token", "rasa_token", "platform_key", "console_key",
                  "demo_agent_password", "whatsapp_token", "whatsapp_app_secret", "whatsapp_verify_token")


def _secrets(settings: Settings) -> dict[str, str]:
    assert set(_SECRET_FIELDS) <= {f.name for f in fields(Settings)}
    return {name: getattr(settings, name) for name in _SECRET_FIELDS}


def _session_pids(leader: int) -> list[int]:
    """Every process of the session the stack started for one component (the component and its children)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == leader:
                    pids.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                pass
    return pids


def _open_to_others(path: Path) -> bool:
    return bool(path.stat().st_mode & 0o077)


def _state_files(settings: Settings, log_dir: Path) -> list[Path]:
    """The stack's state: its SQLite files (with their journals), logs and evidence (the state folder itself is
    ensure_local_secrets' to make private)."""
    backend_db = Path(settings.backend_db_url.removeprefix("sqlite:///"))
    found: list[Path] = []
    for database in (backend_db, settings.tracker_db_path):
        found += database.parent.glob(database.name + "*")
    for folder in (log_dir, settings.evidence_dir):
        if folder.exists():
            found += [folder, *folder.rglob("*")]
    return sorted(set(found))


def test_no_process_of_the_stack_has_a_secret_on_its_command_line(stack: tuple[Stack, Settings]) -> None:
    running, settings = stack
    exposed = []
    for process in running.processes:
        assert process.popen is not None
        for pid in _session_pids(process.popen.pid):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            exposed += [f"{process.name} (pid {pid}): {name}"
                        for name, value in _secrets(settings).items() if value in cmdline]
    assert not exposed, f"secrets readable by any local user from /proc/<pid>/cmdline: {exposed}"


def test_the_stacks_databases_logs_and_folders_are_private(stack: tuple[Stack, Settings]) -> None:
    running, settings = stack
    log_dir = running.processes[0].log_path.parent
    state = _state_files(settings, log_dir)
    assert Path(settings.backend_db_url.removeprefix("sqlite:///")) in state and settings.tracker_db_path in state
    readable = [f"{p} {stat.filemode(p.stat().st_mode)}" for p in state if _open_to_others(p)]
    assert not readable, f"readable by other local users: {readable}"


def test_state_left_world_readable_by_an_older_run_is_made_private_on_start(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        settings = make_settings(tmp_path)
        logs = tmp_path / "logs"
        logs.mkdir()
        (logs / "backend.log").write_text("an older run's log\n")
        settings.evidence_dir.mkdir()
        (settings.evidence_dir / "photo.jpg").write_bytes(b"a seller's photo")
        sqlite3.connect(tmp_path / "backend.db").close()
    finally:
        os.umask(old_umask)
    assert _open_to_others(tmp_path / "backend.db") and _open_to_others(logs / "backend.log")
    with Stack(settings, None, logs, only=("backend",)):
        readable = [f"{p} {stat.filemode(p.stat().st_mode)}" for p in _state_files(settings, logs)
                    if _open_to_others(p)]
    assert not readable, f"still readable by other local users after a start: {readable}"


@pytest.fixture
def permissive_umask() -> object:
    """The loosest umask a user might have: whatever a file is created with is what it gets."""
    old = os.umask(0)
    yield
    os.umask(old)


def test_secrets_env_is_created_private_not_made_private_afterwards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, permissive_umask: object
) -> None:
    """A process killed between writing secrets.env and tightening it (or a reader racing the chmod) would leave
    it readable by everyone; with chmod out of the picture, the file and its folder must still be private."""
    home = tmp_path / "state"
    monkeypatch.setenv("ALEX_HOME", str(home))
    monkeypatch.setattr(os, "chmod", lambda *_args, **_kwargs: None)
    monkeypatch.setattr(Path, "chmod", lambda *_args, **_kwargs: None)
    ensure_local_secrets()
    written = home / "secrets.env"
    assert {line.partition("=")[0] for line in written.read_text().splitlines()} == set(SECRET_NAMES)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert not _open_to_others(home)
    assert [p.name for p in home.iterdir()] == ["secrets.env"]  # no temporary file left behind


def test_an_existing_world_readable_secrets_env_is_made_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALEX_HOME", str(tmp_path))
    ensure_local_secrets()
    (tmp_path / "secrets.env").chmod(0o644)
    tmp_path.chmod(0o755)
    ensure_local_secrets()
    assert stat.S_IMODE((tmp_path / "secrets.env").stat().st_mode) == 0o600 and not _open_to_others(tmp_path)
