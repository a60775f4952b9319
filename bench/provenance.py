"""Where and on what a benchmark figure was measured, recorded with every result file, and the recording."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT
from bot.training import model_fingerprint


def measured_on() -> dict[str, object]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                                capture_output=True, text=True).stdout.strip())
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "model": model_fingerprint(),
        "cores": os.cpu_count(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "python": platform.python_version(),
    }


RESULTS = PROJECT_ROOT / "bench" / "results"


def record(name: str, result: dict[str, Any]) -> Path:
    """Write a result as bench/results/<name>.json, with where it was measured."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({**result, "measured": measured_on()}, indent=2) + "\n")
    return path
