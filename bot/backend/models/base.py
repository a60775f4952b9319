"""The declarative base every table shares, and the column helpers that keep the tables alike.

SQLAlchemy 1.4 with its 2.0-style API (Rasa pins 1.4, so no `Mapped`/`mapped_column`). Rules that must never
break are constraints in the schema; names follow one convention, so migrations can address every constraint
by name on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import Enum, MetaData
from sqlalchemy.orm import declarative_base

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def db_enum(cls: type[enum.Enum]) -> Enum:
    """Store enums by value with a CHECK constraint on every database (native_enum off keeps SQLite honest and
    lets a migration add a value without ALTER TYPE)."""
    return Enum(cls, values_callable=lambda members: [m.value for m in members], native_enum=False,
                create_constraint=True, length=32, name=cls.__name__.lower())


def utcnow() -> datetime:
    """Now in UTC, naive: the database stores UTC without an offset (SQLite has no time zones)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


MONEY_CHECK_CURRENCY = "length(currency) = 3"
