"""A Rasa entity extractor for order, dispute, return and ticket numbers, read by `bot.order_numbers`.

A regex can't tell "CJ2410050076612 - 3 lamps broken" (a number, then a quantity) from a number typed in groups
("cj 2410 1800 12345"): Rasa's RegexEntityExtractor read the first as CJ24100500766123, a wrong order. The bot
and the backend share one reader instead, which knows each kind's digit count and reads a number exactly or
flags it as malformed. The entity's value is the canonical number, or the text as typed when it can't be one
(the flows then explain the format instead of acting on a guess).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.order_numbers import find_numbers

ENTITY = "order_number"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class OrderNumberExtractor(GraphComponent, EntityExtractorMixin):
    """Sets the message's `order_number` entities: one for every number in it, read exactly."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "OrderNumberExtractor":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = [{
                "entity": ENTITY, "start": number.start, "end": number.end,
                "value": number.canonical or number.typed, "extractor": self.__class__.__name__,
            } for number in find_numbers(text)]
            # Whatever a regex made of the same text is replaced: this reader has the last word on numbers.
            others = [e for e in message.get(ENTITIES, []) if e.get("entity") != ENTITY]
            message.set(ENTITIES, others + found, add_to_output=True)
        return messages
