"""Order and dispute numbers as sellers type them, and as the backend stores them.

Sellers paste numbers with spaces, dashes, a leading '#', in any case (`cj 2410 1800 12345`, `#SH2410200045`).
Both the bot and the backend normalise through this one function, so a number means the same thing everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


# How many digits follow each prefix in the numbers the platform issues (CJ2410180012345, SH2410200045, ...).
DIGITS = {NumberKind.STORE_ORDER: 13, NumberKind.WHOLESALE_ORDER: 13, NumberKind.DISPUTE: 10,
          NumberKind.RETURN: 10, NumberKind.TICKET: 10}
# A prefix not glued to a word before it ("fish 2411…" is no number), except an upper-case prefix right after
# lower-case letters or punctuation ("order#CJ…", "orderCJ…").
_PREFIX = re.compile(r"(?:(?<![A-Za-z0-9])(?P<any>(?i:cj|sh|zf|rt|tk))|(?<![A-Z0-9])(?P<upper>CJ|SH|ZF|RT|TK))"
                     r"(?P<gap>[\s#-]{0,2})(?=\d)")
_RUN = re.compile(r"\d+")
_GROUP_SEPARATOR = re.compile(r"[ -]")


@dataclass(frozen=True)
class FoundNumber:
    """A number in a message: where it is, as typed, and its canonical form (None: it can't be one of ours,
    e.g. a digit too many or too few, and must be neither guessed at nor used)."""

    start: int
    end: int
    typed: str
    canonical: str | None


def find_numbers(text: str) -> list[FoundNumber]:
    """Every order, dispute, return or ticket number in a message, read exactly or not at all.

    A run of digits right after the prefix is the number when it is long (how numbers are pasted): its length
    decides, and whatever follows a separator ("CJ2410050076612 - 3 lamps", "CJ2410050076612-3") is not part of
    it, so a number a digit short is refused rather than completed from a quantity. A short first run is a number
    typed in groups ("cj 2410 1800 12345", "CJ-2411-0500-10031"): groups joined by single spaces or dashes are read
    until the digit count is reached, never past it, and never a group glued to letters ("3pcs").
    """
    found: list[FoundNumber] = []
    position = 0
    while match := _PREFIX.search(text, position):
        prefix = (match.group("any") or match.group("upper")).upper()
        wanted = DIGITS[NumberKind(prefix)]
        digits_at = match.end()
        run = _RUN.match(text, digits_at)
        assert run is not None  # the lookahead saw a digit
        end, count = run.end(), len(run.group())
        if count < 8:  # typed in groups
            while count < wanted:
                separator = _GROUP_SEPARATOR.match(text, end)
                group = _RUN.match(text, end + 1) if separator else None
                if group is None or count + len(group.group()) > wanted or text[group.end():group.end() + 1].isalpha():
                    break
                end, count = group.end(), count + len(group.group())
        typed = text[match.start():end]
        digits = re.sub(r"\D", "", text[digits_at:end])
        canonical = prefix + digits if len(digits) == wanted and not text[end:end + 1].isdigit() else None
        found.append(FoundNumber(match.start(), end, typed, canonical))
        position = end
    return found


def canonical(raw: str) -> str:
    """The canonical number when `raw` spells one with exactly its kind's digit count (what the bot acts on: a
    digit too many or too few is a mistyped number, never a guess); MalformedNumber otherwise."""
    number = normalise(raw)
    if len(number) - 2 != DIGITS[kind_of(number)]:
        raise MalformedNumber(raw)
    return number


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
