"""Schema migrations: revision 0001 is issue 2's schema exactly, an issue-2 database is stamped and upgraded
with its data converted (never dropped), and the migrated schema equals the models on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.backend import migrations
from bot.backend.__main__ import prepare
from bot.backend.db import Database
from bot.backend.demo_data import DEMO_DATA_VERSION
from bot.backend.models import Base
from tests.postgres_server import PostgresServer

ISSUE2_DUMP = Path(__file__).parent / "data" / "issue2_backend.sql"


def _dump_statements(kind: str) -> list[str]:
    """The CREATE or INSERT statements of the issue-2 dump (made by `sqlite3 .dump` of issue 2's backend)."""
    text = ISSUE2_DUMP.read_text()
    return [s.strip() for s in re.split(r";\n", text) if s.strip().startswith(kind)]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresServer | None) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'backend.db'}"
    else:
        if postgres is None:
            pytest.skip("no PostgreSQL server (see the banner at the end of the run)")
        url = postgres.create_database()
    database = Database(url)
    yield database
    database.dispose()
    if request.param == "postgresql" and postgres is not None:
        postgres.drop_database(url)


def _load_issue2_database(database: Database) -> None:
    """What issue 2 left on disk: its create_all schema (revision 0001 builds it; see the next test for proof
    on SQLite) plus its demo rows, with no alembic_version table."""
    migrations.upgrade(database.engine, "0001")
    with database.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
        for insert in _dump_statements("INSERT"):
            connection.exec_driver_sql(insert)


def _normalised(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def test_revision_0001_reproduces_issue2s_schema_exactly(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'new.db'}")
    migrations.upgrade(database.engine, "0001")
    made = sqlite3.connect(tmp_path / "new.db")
    ours = {_normalised(sql) for (sql,) in made.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name <> 'alembic_version'"
        " AND name NOT LIKE 'sqlite_%'")}
    assert ours == {_normalised(s) for s in _dump_statements("CREATE")}


def test_an_issue2_database_is_stamped_upgraded_and_its_data_converted(empty_database: Database) -> None:
    _load_issue2_database(empty_database)
    assert migrations.upgrade(empty_database.engine) == "stamped-and-upgraded"
    with empty_database.engine.connect() as connection:
        assert migrations.current_revision(connection) == ScriptDirectory.from_config(
            migrations.config(connection)).get_current_head()
        rows = connection.execute(sa.text(
            "SELECT o.number, o.kind, o.status, o.processing, l.unit_price_cents FROM orders o "
            "JOIN order_lines l ON l.order_id = o.id ORDER BY o.number")).all()
        ledger = connection.execute(sa.text(
            "SELECT d.number, e.account, e.amount_cents FROM ledger_entries e JOIN refunds r ON r.id = e.refund_id "
            "JOIN disputes d ON d.id = r.dispute_id ORDER BY d.number")).all()
        reasons = dict(connection.execute(sa.text("SELECT number, reason FROM disputes")).all())
        meta = connection.execute(sa.text("SELECT value FROM backend_meta WHERE key = 'demo_data'")).scalar_one()
    assert len(rows) == 13
    assert ("CJ2410180012345", "store", "completed", "running", 4250) in rows
    assert ("CJ2410180012349", "store", "dispatched", "stopped_by_dispute", 3300) in rows
    # Every paid-out refund has its one ledger entry: the wallet ones kept, the original-way one added.
    assert ledger == [("SH2410200045", "balance", 4250), ("SH2410200047", "original", 6500),
                      ("SH2410210001", "balance", 8800)]
    assert reasons["SH2410200051"] == "other" and reasons["SH2410200045"] == "damaged_product"
    assert meta == "2"
    # New rows get ids after the converted ones (PostgreSQL's sequences were moved on).
    with empty_database.transaction() as session:
        session.execute(sa.text("INSERT INTO order_lines (order_id, line_no, sku, product, quantity, unit_price_cents) "
                                "VALUES (1, 2, 'X', 'Extra', 1, 100)"))


def test_starting_on_an_issue2_database_replaces_its_demo_data_with_todays(empty_database: Database) -> None:
    _load_issue2_database(empty_database)
    assert prepare(empty_database, reseed=False, agent_password="a-demo-password") == "stamped-and-upgraded"
    with empty_database.engine.connect() as connection:
        version = connection.execute(sa.text("SELECT value FROM backend_meta WHERE key = 'demo_data'")).scalar_one()
        spare = connection.execute(sa.text("SELECT status FROM orders WHERE number = 'CJ2411050010001'")).scalar_one()
    assert (version, spare) == (DEMO_DATA_VERSION, "unpaid")


def test_a_database_holding_real_data_is_upgraded_but_never_reseeded(empty_database: Database) -> None:
    _load_issue2_database(empty_database)
    with empty_database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE sellers SET email = 'ava@shop.example' WHERE id = 'S1001'")
    prepare(empty_database, reseed=False, agent_password="a-demo-password")
    with empty_database.engine.connect() as connection:
        email = connection.execute(sa.text("SELECT email FROM sellers WHERE id = 'S1001'")).scalar_one()
        orders = connection.execute(sa.text("SELECT count(*) FROM orders")).scalar_one()
    assert (email, orders) == ("ava@shop.example", 13)


def test_the_migrated_schema_equals_the_models(empty_database: Database) -> None:
    assert migrations.upgrade(empty_database.engine) == "created"
    with empty_database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                       Base.metadata)
    assert differences == []
    assert migrations.upgrade(empty_database.engine) == "current"
