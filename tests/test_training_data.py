"""The training data is valid, and the sets written apart from it really are apart."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT
from tests.nlu_data import (
    NEVER_TYPED,
    LeakCheck,
    fresh_test_examples,
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


def test_no_fresh_test_message_nor_a_near_copy_of_one_is_in_the_training_data() -> None:
    assert not _leaks(fresh_test_examples())


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
    assert {i for _, i in fresh_test_examples()} == trained


def _rasa(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    return subprocess.run(
        [sys.executable, "-m", "rasa", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )


def test_rasa_data_validate_passes_without_warnings() -> None:
    result = _rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_test_stories_pass_without_a_single_prediction_error(trained_model: Path, tmp_path: Path) -> None:
    """The dialogue: every story's next actions, given the intents the story names."""
    result = _rasa(
        "test", "core", "--model", str(trained_model), "--stories", "tests/stories",
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )
    failed = (tmp_path / "failed_test_stories.yml")
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details + result.stdout[-3000:] + result.stderr[-3000:]


# Understanding and dialogue together, each story's user text parsed by the model (--e2e). Rasa judges intents and
# entities against the story's labels, where Alex reads many answers by their context instead (a "send it" at a
# confirmation is a yes, whatever its intent), so this is a measured floor, not a must-pass; the figures are
# printed, and the stories that fail are in failed_test_stories.yml.
E2E_STORY_FLOOR = 0.60
E2E_ACTION_FLOOR = 0.90


def test_test_stories_with_their_text_parsed_end_to_end_stay_above_their_floor(
    trained_model: Path, tmp_path: Path
) -> None:
    result = _rasa("test", "core", "--model", str(trained_model), "--stories", "tests/stories", "--e2e",
                   "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    stories, actions = [tuple(map(int, m)) for m in re.findall(r"Correct:\s+(\d+) / (\d+)", log)][:2]
    print(f"test stories end to end: {stories[0]}/{stories[1]} stories, {actions[0]}/{actions[1]} actions")
    assert stories[0] / stories[1] >= E2E_STORY_FLOOR and actions[0] / actions[1] >= E2E_ACTION_FLOOR
