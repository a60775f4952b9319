"""Money: integer minor units in the database, a decimal string plus an ISO currency in JSON."""

from __future__ import annotations

import re

# Currencies the platform settles in, all with two minor digits.
CURRENCIES = ("USD", "EUR", "GBP", "AUD", "CAD", "CNY")
# Up to 9,999,999.99: 999,999,999 minor units fit the 32-bit money columns (2,147,483,647) on every database.
AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,6})(\.[0-9]{1,2})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN)


def format_cents(cents: int) -> str:
    """4250 -> '42.50'; -1200 -> '-12.00'."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def parse_amount(text: str) -> int:
    """'42.5' -> 4250. Callers validate with AMOUNT_PATTERN first; this raises ValueError otherwise."""
    if not _AMOUNT.fullmatch(text):
        raise ValueError(f"not an amount: {text!r}")
    whole, _, fraction = text.partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])
