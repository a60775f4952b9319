"""Every button Alex offers fits the channels (WhatsApp: 3 reply buttons with titles of at most 20 characters,
or a list of at most 10 rows with titles of at most 24) and answers with a command the bot understands."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from rasa.core.nlg.interpolator import interpolate

from actions.forms import PICK_LIST_SIZE, number_buttons
from bot.settings import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
REPLY_BUTTONS, REPLY_TITLE = 3, 20
LIST_ROWS, LIST_TITLE = 10, 24
_COMMAND = re.compile(r"^/(?P<intent>\w+)(?P<entities>\{.*\})?$")


def _variants_with_buttons() -> list[tuple[str, list[dict[str, Any]]]]:
    return [(name, variant["buttons"]) for name, variants in DOMAIN["responses"].items()
            for variant in variants if variant.get("buttons")]


def _intents() -> set[str]:
    return {next(iter(i)) if isinstance(i, dict) else i for i in DOMAIN["intents"]}


@pytest.mark.parametrize("name, buttons", _variants_with_buttons(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_response_fits_whatsapp_buttons_or_a_list(name: str, buttons: list[dict[str, Any]]) -> None:
    if len(buttons) <= REPLY_BUTTONS:
        too_long = [b["title"] for b in buttons if len(b["title"]) > REPLY_TITLE]
    else:
        assert len(buttons) <= LIST_ROWS, f"{name}: {len(buttons)} rows"
        too_long = [b["title"] for b in buttons if len(b["title"]) > LIST_TITLE]
    assert not too_long, f"{name}: titles too long for the channel: {too_long}"


@pytest.mark.parametrize("name, buttons", _variants_with_buttons(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_button_payload_renders_to_a_command_the_bot_knows(name: str, buttons: list[dict[str, Any]]) -> None:
    # Rendered the way Rasa renders a response: with slot values and the action's facts filled in.
    rendered = interpolate(buttons, {"order_number": "CJ2410180012345", "dispute_number": "SH2410200045"})
    for button in rendered:
        command = _COMMAND.match(button["payload"])
        assert command, f"{name}: {button['payload']!r} is not /intent or /intent{{json}}"
        assert command["intent"] in _intents(), f"{name}: unknown intent in {button['payload']!r}"
        if command["entities"]:
            entities = json.loads(command["entities"])
            assert set(entities) <= set(DOMAIN["entities"]), f"{name}: unknown entity in {button['payload']!r}"


def test_pick_lists_built_by_actions_stay_within_list_limits() -> None:
    numbers = [f"CJ24101800123{n:02d}" for n in range(15)] + ["ZF" + "9" * 30]
    buttons = number_buttons(numbers)
    assert len(buttons) == PICK_LIST_SIZE == LIST_ROWS
    assert all(len(b["title"]) <= LIST_TITLE for b in buttons)
    assert buttons[0]["payload"] == '/inform_order_number{"order_number":"CJ2410180012300"}'
