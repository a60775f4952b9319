"""Typed commands can't slip past the guard with whitespace or control characters around or between slashes.

A generated battery: every Rasa command that would change the conversation (a restart, a new session, a ticket,
injected entities) with every kind of invisible or spacing character (ASCII and Unicode) before, between and after
its slashes. Whatever the guard hands to Rasa must not begin, once such characters are set aside, with a '/'.
"""

from __future__ import annotations

import itertools
import unicodedata

import pytest

from bot.channels.command_guard import disarm

COMMANDS = ["restart", "session_start", "request_human_agent",
            'check_order_status{"order_number":"CJ2410180012345"}']
# Whitespace, control and format characters of every kind Unicode has, one or two of each.
NOISE = ["\t", "\n", "\r", "\x0b", "\x0c", "\x1f", "\x00", "\x7f", "\x85", "\xa0", "\u1680", "\u2000", "\u200a",
         "\u200b", "\u200e", "\u2028", "\u2029", "\u202f", "\u205f", "\u2060", "\u3000", "\ufeff", " ", "  "]
SHAPES = ["/{n}/{c}", "{n}/{c}", "/{n}{c}", "{n}/{n}/{c}", "/{n}/{n}/{c}", "//{n}{c}", "{n}{n}/{c}"]


def _invisible(character: str) -> bool:
    return character == "/" or character.isspace() or unicodedata.category(character)[0] in "CZ"


def _reaches_rasa_as_a_command(text: str) -> bool:
    rest = text
    while rest and _invisible(rest[0]) and rest[0] != "/":
        rest = rest[1:]
    return rest.startswith("/")


def test_a_command_wrapped_in_invisible_characters_reaches_rasa_as_words() -> None:
    slipped = [typed for command, noise, shape in itertools.product(COMMANDS, NOISE, SHAPES)
               if _reaches_rasa_as_a_command(disarm(typed := shape.format(n=noise, c=command), offered_payloads=[]))]
    assert not slipped, f"{len(slipped)} typed commands reach Rasa as commands, e.g. {slipped[:5]!r}"


def test_a_payload_the_bot_offered_still_passes_exactly() -> None:
    assert disarm("/affirm", ["/affirm"]) == "/affirm"
    assert disarm("  /affirm ", ["/affirm"]) == "/affirm"
