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
        log_dir.mkdir(parents=True, exist_ok=True)
        python = sys.executable
        self.processes = [
            Process("backend", [python, "-m", "bot.backend", "serve"],
                    f"{settings.backend_url}/v1/health", log_dir / "backend.log"),
            Process("actions", [python, "-m", "bot.action_server"],
                    f"http://127.0.0.1:{settings.actions_port}/health", log_dir / "actions.log"),
            Process("rasa", [
                python, "-m", "rasa", "run", "--model", str(model),
                "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                "--enable-api", "--auth-token", settings.rasa_token,
                "--interface", "127.0.0.1", "--port", str(settings.rasa_port),
                # Browsers may call Rasa (the web chat's polling transport and upload) from the help page only.
                "--cors", *settings.help_page_origins,
            ], f"{settings.rasa_url}/webhooks/seller_chat/", log_dir / "rasa.log"),
            Process("helppage", [python, "-m", "bot.helppage"],
                    f"http://127.0.0.1:{settings.help_page_port}/health", log_dir / "helppage.log"),
            Process("console", [python, "-m", "bot.console"],
                    f"{settings.console_url}/health", log_dir / "console.log"),
        ]
        if only is not None:
            self.processes = [p for p in self.processes if p.name in only]

    def start(self, timeout_seconds: float = 240) -> None:
        """Start every process and wait until each answers its health check."""
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

    def _launch(self, process: Process) -> None:
        env = {**os.environ, **self.settings.process_environment()}
        with open(process.log_path, "ab") as log:
            process.popen = subprocess.Popen(
                process.command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )

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
