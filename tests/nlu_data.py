"""The NLU training data and the sets written apart from it (read with Rasa's own loader), and the leak check
that keeps them apart: no held-out message, nor a near copy of one, may appear in the training data."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rasa.shared.nlu.training_data.loading import load_data

from bot.settings import PROJECT_ROOT

# Written apart from data/ by authors who read only the help pages and bench/intents.md.
TEST_SET = PROJECT_ROOT / "tests" / "nlu" / "test_set.yml"  # reported, never tuned on
VALIDATION_SET = PROJECT_ROOT / "bench" / "nlu" / "validation_set.yml"  # data, pipeline and thresholds chosen here
FRESH_TEST_SET = PROJECT_ROOT / "bench" / "nlu" / "fresh_test_set.yml"  # written after TEST_SET was run; run once
# Sent by the channels for an attachment, never typed: no written set can hold it.
NEVER_TYPED = frozenset({"share_evidence"})
# Below this many words a message with one word changed is another message, not a near copy.
NEAR_COPY_MIN_WORDS = 3


def _examples(path: str) -> list[tuple[str, str]]:
    data = load_data(path)
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def held_out_test_examples() -> list[tuple[str, str]]:
    return _examples(str(TEST_SET))


def validation_examples() -> list[tuple[str, str]]:
    return _examples(str(VALIDATION_SET))


def fresh_test_examples() -> list[tuple[str, str]]:
    return _examples(str(FRESH_TEST_SET))


def training_examples() -> list[tuple[str, str]]:
    return _examples(str(PROJECT_ROOT / "data" / "nlu"))


def words(text: str) -> tuple[str, ...]:
    """A message's words, lower case, without punctuation (so "Where's it?!" and "wheres it" are one message)."""
    return tuple(re.findall(r"[^\W_]+", text.lower().replace("'", "")))


def _one_word_out(tokens: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    """Every way of blanking one word: two messages that share one of these differ in that one word at most."""
    for position in range(len(tokens)):
        yield tokens[:position] + ("\x00",) + tokens[position + 1:]


def _one_word_less(tokens: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    for position in range(len(tokens)):
        yield tokens[:position] + tokens[position + 1:]


class LeakCheck:
    """Finds held-out messages that are the training data's words again, or those words with one word changed,
    added or left out."""

    def __init__(self, training: Iterable[str]) -> None:
        self.exact: set[tuple[str, ...]] = set()
        self.near: set[tuple[str, ...]] = set()  # one word blanked
        self.shorter: set[tuple[str, ...]] = set()  # one word left out
        for text in training:
            tokens = words(text)
            self.exact.add(tokens)
            self.near.update(_one_word_out(tokens))
            self.shorter.update(_one_word_less(tokens))

    def leaked(self, text: str) -> bool:
        tokens = words(text)
        if tokens in self.exact:
            return True
        if len(tokens) < NEAR_COPY_MIN_WORDS:  # "yes please" and "yes pls" are two ways to say it, not a copy
            return False
        return (tokens in self.shorter or any(key in self.near for key in _one_word_out(tokens))
                or any(key in self.exact for key in _one_word_less(tokens)))
