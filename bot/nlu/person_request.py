"""Asking for a person wins over whatever else a message asks.

A seller who writes "could I speak with a real person? It's about CJ…, the watch stopped working" asks for two
things, and a classifier that picks one label picks the order problem: the request for a person, the one request
Alex must never miss, is lost. This component runs after the intent classifier and, when a message asks for a
person in so many words, makes `request_human_agent` its intent (the rest of the message still reaches the
ticket's summary). Questions about whether Alex is a person ("am I talking to a human?") are left alone.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

PERSON_INTENT = "request_human_agent"
OTHERS_SHARE = 0.05  # what the other intents keep of the probability once a person is asked for
_PERSON = (r"(?:person|human|agent|some\s?one|some\s?body|staff|representative|rep|operator|manager|supervisor"
           r"|people|support(?:\s+team)?|customer\s+(?:service|support)|team)")
_ASKS_FOR_A_PERSON = re.compile(
    r"(?<!is )(?<!is a )\b(?:a\s+)?(?:real|live|actual)\s+(?:person|human|agent|people)\b"
    rf"|\b(?:talk|speak|chat|connect|transfer|put)\w*\s+(?:me\s+)?(?:to|with|through to)\s+(?:a\s+|an\s+|your\s+)?"
    rf"(?:real\s+|live\s+|human\s+)?{_PERSON}\b"
    r"|\bhuman\s+(?:agent|support|being|please|pls|plz)\b"
    r"|\b(?:no|stop)\s+(?:more\s+)?(?:bots?|robots?)\b"
    r"|^\W*(?:an?\s+)?(?:human|agent|operator|person|representative)(?:\s+(?:please|pls|plz|now|asap))*\W*$",
    re.IGNORECASE,
)
# "HUMAN." shouted on its own line of thought; a lower-case "human" in a sentence is no request.
_SHOUTED = re.compile(r"\bHUMAN\b")
# Asking what Alex is, not for someone else.
_ABOUT_ALEX = re.compile(r"\b(?:are|r)\s+(?:you|u)\b|\bam\s+i\s+(?:talking|chatting|speaking|writing)\b"
                         r"|\bis\s+this\s+(?:a\s+)?(?:bot|human|person|robot)", re.IGNORECASE)


def asks_for_a_person(text: str) -> bool:
    """Whether the message asks, in so many words, to be put through to a person."""
    if not text or _ABOUT_ALEX.search(text):
        return False
    return bool(_ASKS_FOR_A_PERSON.search(text) or _SHOUTED.search(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class PersonRequestOverride(GraphComponent):
    """Sets `request_human_agent` on messages that ask for a person explicitly."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "PersonRequestOverride":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) == PERSON_INTENT or not asks_for_a_person(message.get(TEXT) or ""):
                continue
            # The rest keep their order with what is left of the probability, so the fallback's ambiguity check
            # (top two too close) does not undo the choice.
            others = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != PERSON_INTENT]
            total = sum(float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0) for r in others) or 1.0
            share = OTHERS_SHARE / total
            ranking = [{**r, PREDICTED_CONFIDENCE_KEY: share * float(r.get(PREDICTED_CONFIDENCE_KEY) or 0)}
                       for r in others]
            chosen = {INTENT_NAME_KEY: PERSON_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0 - OTHERS_SHARE}
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
        return messages
