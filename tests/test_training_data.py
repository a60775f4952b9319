"""The training data is valid, and the held-out test set really is held out."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT
from tests.nlu_data import held_out_examples, training_examples


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def test_no_held_out_message_appears_in_the_training_data() -> None:
    trained = {_normalised(text) for text, _ in training_examples()}
    leaked = [text for text, _ in held_out_examples() if _normalised(text) in trained]
    assert not leaked


def test_the_held_out_set_covers_every_intent_the_bot_is_trained_on() -> None:
    assert {i for _, i in held_out_examples()} == {i for _, i in training_examples()}


def _rasa(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    return subprocess.run(
        [sys.executable, "-m", "rasa", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )


def test_rasa_data_validate_passes_without_warnings() -> None:
    result = _rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_test_stories_pass_without_a_single_prediction_error(trained_model: Path, tmp_path: Path) -> None:
    result = _rasa(
        "test", "core", "--model", str(trained_model), "--stories", "tests/stories",
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details + result.stdout[-3000:] + result.stderr[-3000:]
