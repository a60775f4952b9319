"""Files and folders only their owner can read: Alex's local state holds every seller's data and every key.

They are created private from the start (a umask for every process the launcher starts, explicit modes where we
create a file ourselves), never made private afterwards, so there is no moment another local user can read them.
State an older run left open is tightened when Alex starts.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
_OTHERS = 0o077


def private_dir(path: Path) -> Path:
    """The folder, created owner-only (or tightened if an older run left it open)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    tighten(path, recursive=False)
    return path


def write_private(path: Path, text: str) -> None:
    """Replace the file's content atomically; the new file is owner-only from the moment it exists."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    descriptor = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def open_private_log(path: Path) -> int:
    """A descriptor appending to the log, created owner-only (a log holds conversations and errors)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def tighten(path: Path, recursive: bool = True) -> None:
    """Take group and other permissions away from what exists at `path` (and below it); symlinks are left alone."""
    if path.is_symlink() or not path.exists():
        return
    _drop_others(path)
    if recursive and path.is_dir():
        for folder, subfolders, files in os.walk(path):
            for name in subfolders + files:
                entry = Path(folder, name)
                if not entry.is_symlink():
                    _drop_others(entry)


def _drop_others(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & _OTHERS:
        os.chmod(path, stat.S_IMODE(mode) & ~_OTHERS)
