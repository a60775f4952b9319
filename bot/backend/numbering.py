"""New numbers for what the backend creates: CJ/ZF orders, SH disputes, RT returns, TK tickets.

The platform's numbers read as a date plus a serial (`SH` + 241020 + 0045). The serial comes from one counter
row per prefix, incremented inside the creating transaction: PostgreSQL's row lock (and SQLite's single
writer) hand each transaction its own value, and the UNIQUE number column backs that up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.backend.models import NumberSequence
from bot.order_numbers import NumberKind

_SERIAL_DIGITS = {
    NumberKind.STORE_ORDER: 7,
    NumberKind.WHOLESALE_ORDER: 7,
    NumberKind.DISPUTE: 4,
    NumberKind.RETURN: 4,
    NumberKind.TICKET: 4,
}


def next_number(session: Session, kind: NumberKind, now: datetime) -> str:
    prefix = kind.value
    bumped = session.execute(
        update(NumberSequence).where(NumberSequence.prefix == prefix)
        .values(next_value=NumberSequence.next_value + 1)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount == 0:
        # First number of this kind: a concurrent first insert loses on the primary key and is retried.
        session.add(NumberSequence(prefix=prefix, next_value=2))
        session.flush()
        serial = 1
    else:
        serial = session.execute(
            select(NumberSequence.next_value).where(NumberSequence.prefix == prefix)
        ).scalar_one() - 1
    return f"{prefix}{now:%y%m%d}{serial:0{_SERIAL_DIGITS[kind]}d}"
