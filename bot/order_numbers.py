"""Order and dispute numbers as sellers type them, and as the backend stores them.

Sellers paste numbers with spaces, dashes, a leading '#', in any case (`cj 2410 1800 12345`, `#SH2410200045`).
Both the bot and the backend normalise through this one function, so a number means the same thing everywhere.
"""

from __future__ import annotations

import re
from enum import Enum

_SEPARATORS = re.compile(r"[\s#\-_./]+")
_CANONICAL = re.compile(r"^(CJ|SH|ZF|RT|TK)([0-9]{8,18})\Z")


class NumberKind(str, Enum):
    """What a number refers to, by its prefix (seed 002: disputes begin with SH, wholesale orders with ZF).
    Store, sample and preorder orders all begin with CJ; returns (RT) and tickets (TK) are our own prefixes."""

    STORE_ORDER = "CJ"
    DISPUTE = "SH"
    WHOLESALE_ORDER = "ZF"
    RETURN = "RT"
    TICKET = "TK"


ORDER_KINDS = (NumberKind.STORE_ORDER, NumberKind.WHOLESALE_ORDER)


class MalformedNumber(ValueError):
    """The text does not spell an order, dispute, return or ticket number."""


def normalise(raw: str) -> str:
    """Return the canonical form (`CJ2410180012345`) or raise MalformedNumber."""
    candidate = _SEPARATORS.sub("", raw or "").upper()
    if not _CANONICAL.match(candidate):
        raise MalformedNumber(raw)
    return candidate


def kind_of(number: str) -> NumberKind:
    """The kind of a canonical number."""
    return NumberKind(number[:2])


def canonical_of_kind(raw: str, *kinds: NumberKind) -> str | None:
    """The canonical number if `raw` spells one of these kinds, else None."""
    try:
        number = normalise(raw)
    except MalformedNumber:
        return None
    return number if kind_of(number) in kinds else None
