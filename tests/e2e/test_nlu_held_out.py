"""Intent accuracy on the held-out test set, parsed by the running Rasa server."""

from __future__ import annotations

from collections import Counter

import requests

from bot.settings import Settings
from bot.stack import Stack
from tests.nlu_data import held_out_examples

REQUIRED_ACCURACY = 0.90


def test_intent_accuracy_on_the_held_out_set_is_at_least_90_percent(stack: tuple[Stack, Settings]) -> None:
    _, settings = stack
    misses: Counter[tuple[str, str]] = Counter()
    examples = held_out_examples()
    session = requests.Session()
    for text, intent in examples:
        parsed = session.post(
            f"{settings.rasa_url}/model/parse", params={"token": settings.rasa_token}, json={"text": text}, timeout=30
        ).json()
        predicted = parsed["intent"]["name"]
        if predicted != intent:
            misses[(intent, predicted)] += 1
    accuracy = 1 - sum(misses.values()) / len(examples)
    print(f"held-out intent accuracy: {accuracy:.3f} on {len(examples)} messages; confusions: {misses.most_common(8)}")
    assert accuracy >= REQUIRED_ACCURACY, misses.most_common()
