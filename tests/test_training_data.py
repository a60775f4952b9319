"""The training data is valid, and the sets written apart from it really are apart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT
from tests.nlu_data import (
    NEVER_TYPED,
    LeakCheck,
    held_out_test_examples,
    training_examples,
    validation_examples,
)


def _leaks(held_out: list[tuple[str, str]]) -> list[str]:
    check = LeakCheck(text for text, _ in training_examples())
    return [text for text, _ in held_out if check.leaked(text)]


def test_no_test_message_nor_a_near_copy_of_one_is_in_the_training_data() -> None:
    assert not _leaks(held_out_test_examples())


def test_no_validation_message_nor_a_near_copy_of_one_is_in_the_training_data() -> None:
    assert not _leaks(validation_examples())


def test_the_leak_check_refuses_copies_with_other_punctuation_and_with_one_word_changed() -> None:
    check = LeakCheck(["where is my refund for order CJ2410180012345"])
    assert check.leaked("Where is my refund for order CJ2410180012345?!")
    assert check.leaked("where is my money for order CJ2410180012345")
    assert check.leaked("where is my refund for order CJ2410180012345 pls")
    assert not check.leaked("refund for CJ2410180012345 where is it")


def test_the_written_sets_cover_every_intent_the_bot_is_trained_on() -> None:
    trained = {i for _, i in training_examples()} - NEVER_TYPED
    assert {i for _, i in held_out_test_examples()} == trained
    assert {i for _, i in validation_examples()} == trained


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
        # --e2e: each story's user text is parsed by the model's NLU, not taken from its intent label
        "test", "core", "--model", str(trained_model), "--stories", "tests/stories", "--e2e",
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details + result.stdout[-3000:] + result.stderr[-3000:]
