"""Start and stop Alex's processes: the backend, the action server, the Rasa server, the help page and the
agent console.

The README's `./alex start` and the end-to-end tests boot the stack through this one class, so the tests
exercise exactly what a user runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot.private_files import PRIVATE_UMASK, open_private_log, private_dir, tighten
from bot.settings import PROJECT_ROOT, Settings


class StackError(RuntimeError):
    """A process did not come up; the message names its log."""


@dataclass
class Process:
    name: str
    command: list[str]
    health_url: str
    log_path: Path
    popen: subprocess.Popen | None = field(default=None, repr=False)


class Stack:
    """The running processes of one Alex deployment on this machine."""

    def __init__(
        self, settings: Settings, model: Path | None, log_dir: Path, only: tuple[str, ...] | None = None
    ) -> None:
        """`only` names a subset to run (the action tests need just the backend)."""
        self.settings = settings
        self.log_dir = private_dir(log_dir)
        python = sys.executable
        self.processes = [
            Process("backend", [python, "-m", "bot.backend", "serve"],
                    f"{settings.backend_url}/v1/health", log_dir / "backend.log"),
            Process("actions", [python, "-m", "bot.action_server"],
                    f"http://127.0.0.1:{settings.actions_port}/health", log_dir / "actions.log"),
            # Not `rasa run`: its API token would be on the command line (bot/rasa_server.py).
            Process("rasa", [python, "-m", "bot.rasa_server", str(model)],
                    f"{settings.rasa_url}/webhooks/seller_chat/", log_dir / "rasa.log"),
            Process("helppage", [python, "-m", "bot.helppage"],
                    f"http://127.0.0.1:{settings.help_page_port}/health", log_dir / "helppage.log"),
            Process("console", [python, "-m", "bot.console"],
                    f"{settings.console_url}/health", log_dir / "console.log"),
        ]
        if only is not None:
            self.processes = [p for p in self.processes if p.name in only]

    def start(self, timeout_seconds: float = 240) -> None:
        """Start every process and wait until each answers its health check."""
        for path in self._local_state():
            tighten(path)
        for process in self.processes:
            self._launch(process)
        deadline = time.monotonic() + timeout_seconds
        for process in self.processes:
            self._wait_healthy(process, deadline)

    def resume(self, name: str, timeout_seconds: float = 240) -> None:
        """Start one halted process again (the tests take the backend down and bring it back)."""
        process = self.process(name)
        self._launch(process)
        self._wait_healthy(process, time.monotonic() + timeout_seconds)

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    def halt(self, name: str) -> None:
        """Stop one process, leaving the others running."""
        self._terminate([self.process(name)])

    def _local_state(self) -> list[Path]:
        """What the processes write here: logs, evidence, SQLite databases with their journals (an older run may
        have left them readable by other local users)."""
        paths = [self.log_dir, self.settings.evidence_dir]
        url = self.settings.backend_db_url
        databases = [self.settings.tracker_db_path]
        if url.startswith("sqlite:///"):
            databases.append(Path(url.removeprefix("sqlite:///")))
        for database in databases:
            paths += database.parent.glob(f"{database.name}*")
        return paths

    def _launch(self, process: Process) -> None:
        env = {**os.environ, **self.settings.process_environment()}
        log = open_private_log(process.log_path)
        try:
            # Whatever the process creates (databases, journals, evidence, its own files) is owner-only.
            process.popen = subprocess.Popen(
                process.command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, umask=PRIVATE_UMASK,
            )
        finally:
            os.close(log)

    def _wait_healthy(self, process: Process, deadline: float) -> None:
        while time.monotonic() < deadline:
            if process.popen is not None and process.popen.poll() is not None:
                self.stop()
                raise StackError(f"{process.name} exited early; see {process.log_path}")
            try:
                if requests.get(process.health_url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise StackError(f"{process.name} did not answer {process.health_url} in time; see {process.log_path}")

    def stop(self) -> None:
        """Stop every process (and its children), politely first."""
        self._terminate(self.processes)

    @staticmethod
    def _terminate(processes: list[Process]) -> None:
        running = [p.popen for p in processes if p.popen is not None and p.popen.poll() is None]
        for popen in running:
            _signal_group(popen, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for popen in running:
            try:
                popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(popen, signal.SIGKILL)
                popen.wait()

    def __enter__(self) -> "Stack":
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _signal_group(popen: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(popen.pid, signum)
    except ProcessLookupError:
        pass
