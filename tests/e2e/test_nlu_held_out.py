"""Understanding on the NLU test set written apart from the training data (tests/nlu/test_set.yml), parsed by
the running Rasa server: intent accuracy, and the order and dispute numbers read exactly.

The floors guard against regressions; the figures themselves are reported in bench/results/nlu_heldout_test.json
(bench/nlu_heldout.py), and the data and thresholds are chosen on the validation set, never on this one."""

from __future__ import annotations

from collections import Counter

import requests
from rasa.shared.nlu.training_data.loading import load_data

from bot.order_numbers import MalformedNumber, canonical
from bot.settings import Settings
from bot.stack import Stack
from tests.nlu_data import TEST_SET

REQUIRED_ACCURACY = 0.90
REQUIRED_NUMBER_PRECISION = 0.995  # a wrong number is worse than none
REQUIRED_NUMBER_RECALL = 0.98


def _read_numbers(entities: list[dict]) -> set[str]:
    read = set()
    for entity in entities:
        if entity.get("entity") == "order_number":
            try:
                read.add(canonical(str(entity["value"])))
            except MalformedNumber:
                pass  # flagged as malformed: no claim that it is a number
    return read


def test_the_test_set_is_understood_and_its_numbers_read_exactly(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    misses: Counter[tuple[str, str]] = Counter()
    right_numbers = wrong_numbers = missed_numbers = 0
    examples = load_data(str(TEST_SET)).intent_examples
    session = requests.Session()
    for example in examples:
        parsed = session.post(f"{settings.rasa_url}/model/parse", params={"token": settings.rasa_token},
                              json={"text": example.get("text")}, timeout=30).json()
        predicted, wanted = parsed["intent"]["name"], example.get("intent")
        declined_right = wanted == "out_of_scope" and predicted == "nlu_fallback"
        if predicted != wanted and not declined_right:
            misses[(wanted, predicted)] += 1
        gold = {str(e["value"]) for e in example.get("entities") or [] if e["entity"] == "order_number"}
        read = _read_numbers(parsed.get("entities") or [])
        right_numbers += len(read & gold)
        wrong_numbers += len(read - gold)
        missed_numbers += len(gold - read)
    accuracy = 1 - sum(misses.values()) / len(examples)
    precision = right_numbers / max(1, right_numbers + wrong_numbers)
    recall = right_numbers / max(1, right_numbers + missed_numbers)
    print(f"test set: intent accuracy {accuracy:.3f} on {len(examples)} messages; numbers precision "
          f"{precision:.4f}, recall {recall:.4f}; confusions: {misses.most_common(8)}")
    assert accuracy >= REQUIRED_ACCURACY, misses.most_common()
    assert precision >= REQUIRED_NUMBER_PRECISION and recall >= REQUIRED_NUMBER_RECALL
