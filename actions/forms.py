"""Validation shared by every form that asks for an order or dispute number."""

from __future__ import annotations

from typing import Any, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.order_numbers import MalformedNumber, normalise


class OrderNumberValidation:
    """Mixed into a form's FormValidationAction: normalises `order_number` (spaces, '#', case) and refuses text
    that is no order or dispute number. (A mixin, not an Action: rasa_sdk registers every Action subclass.)"""

    async def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[Text, Any]:
        """Accept a number in any format sellers type; explain the format otherwise."""
        raw = value[0] if isinstance(value, list) and value else value
        try:
            return {"order_number": normalise(str(raw))}
        except MalformedNumber:
            dispatcher.utter_message(response="utter_malformed_number", raw_number=str(raw)[:40])
            return {"order_number": None}
