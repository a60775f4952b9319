"""The NLU training and held-out examples, read with Rasa's own loader."""

from __future__ import annotations

from rasa.shared.nlu.training_data.loading import load_data

from bot.settings import PROJECT_ROOT

HELD_OUT = PROJECT_ROOT / "tests" / "nlu" / "test_nlu.yml"


def _examples(path: str) -> list[tuple[str, str]]:
    data = load_data(path)
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def held_out_examples() -> list[tuple[str, str]]:
    return _examples(str(HELD_OUT))


def training_examples() -> list[tuple[str, str]]:
    return _examples(str(PROJECT_ROOT / "data" / "nlu"))
