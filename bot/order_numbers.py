"""Order and dispute numbers as sellers type them, and as the backend stores them.

Sellers paste numbers with spaces, dashes, a leading '#', in any case (`cj 2410 1800 12345`, `#SH2410200045`).
Both the bot and the backend normalise through this one function, so a number means the same thing everywhere.
"""

from __future__ import annotations

import re
from enum import Enum

_SEPARATORS = re.compile(r"[\s#\-_./]+")
_CANONICAL = re.compile(r"^(CJ|SH|ZF)(\d{8,18})$")


class NumberKind(str, Enum):
    """What a number refers to, by its prefix (seed 002: disputes begin with SH, wholesale orders with ZF)."""

    STORE_ORDER = "CJ"
    DISPUTE = "SH"
    WHOLESALE_ORDER = "ZF"


class MalformedNumber(ValueError):
    """The text does not spell an order or dispute number."""


def normalise(raw: str) -> str:
    """Return the canonical form (`CJ2410180012345`) or raise MalformedNumber."""
    candidate = _SEPARATORS.sub("", raw or "").upper()
    if not _CANONICAL.match(candidate):
        raise MalformedNumber(raw)
    return candidate


def kind_of(number: str) -> NumberKind:
    """The kind of a canonical number."""
    return NumberKind(number[:2])
