"""What a seller waiting for a person is told: queue place, estimated wait, support hours; SLA due times counted in
support hours. The rules run on fixed clocks ("now" passed in, nothing sleeps) against real SQLite and PostgreSQL
databases; then the HTTP view, on a backend with support hours configured, and a bad setting stopping start-up."""

from __future__ import annotations

import dataclasses
import math
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest

from bot.backend import migrations
from bot.backend.db import Database
from bot.backend.demo_data import clear
from bot.backend.domain import tickets, waiting
from bot.backend.models import Agent, AgentRole, Channel, Priority, Ticket, TicketReason, TicketStatus
from bot.settings import SECRET_NAMES, SettingsError, load_settings
from bot.stack import Stack, StackError
from bot.support_hours import ALWAYS, DAY_NAMES, SupportHours
from tests.backend.client import Backend
from tests.backend.conftest import DB_KINDS, database_url
from tests.conftest import make_settings
from tests.postgres_server import PostgresServer

SHANGHAI = SupportHours("Mon-Fri 09:00-18:00", "Asia/Shanghai")
TUESDAY_NOON = datetime(2024, 11, 5, 4, 0)  # 12:00 in Shanghai: open
FRIDAY_EVENING = datetime(2024, 11, 8, 12, 0)  # 20:00 in Shanghai: closed until Monday 09:00 (01:00 UTC)
MONDAY_OPENING = datetime(2024, 11, 11, 1, 0)


@pytest.fixture(scope="module", params=DB_KINDS)
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             postgres: PostgresServer | None) -> Iterator[Database]:
    url = database_url(request.param, tmp_path_factory.mktemp(f"waiting-{request.param}"), postgres)
    db = Database(url)
    migrations.upgrade(db.engine)
    yield db
    db.dispose()
    if request.param == "postgresql" and postgres is not None:
        postgres.drop_database(url)


@pytest.fixture
def db(database: Database) -> Database:
    """The module's database, emptied, with one agent."""
    with database.transaction() as session:
        clear(session)
        session.add(Agent(email="a@alex.example", name="Ana", role=AgentRole.SUPERVISOR, password_hash="x",
                          active=True))
    return database


def escalate(db: Database, now: datetime, priority: Priority | None = None, hours: SupportHours = ALWAYS,
             conversation: str | None = None, reason: TicketReason = TicketReason.SELLER_REQUEST) -> str:
    conversation = conversation or f"web:{uuid.uuid4().hex[:8]}:S1"
    with db.transaction() as session:
        tickets.put_for_conversation(session, conversation, seller_id=None, channel=Channel.WEB, reason=reason,
                                     priority=priority, summary="Wants a person.", order_numbers=[],
                                     dispute_numbers=[], transcript_url=None, now=now, hours=hours)
    return conversation


def expect(db: Database, conversation: str, now: datetime, hours: SupportHours = ALWAYS) -> waiting.Expectations:
    with db.transaction(write=False) as session:
        ticket = tickets.active_for(session, conversation)
        assert ticket is not None
        return waiting.expectations(session, ticket, hours, now)


def answer(db: Database, conversation: str, at: datetime) -> None:
    """An agent claims the ticket and replies at `at` (its first response)."""
    with db.transaction() as session:
        agent = session.query(Agent).one()
        ticket = tickets.active_for(session, conversation)
        tickets.claim(session, agent, ticket, at)
        session.refresh(ticket)
        tickets.reply(session, agent, ticket, "Hello, I'm here.", False, at)


def answered_tickets(db: Database, waits: list[timedelta], end: datetime, priority: Priority = Priority.NORMAL,
                     hours: SupportHours = ALWAYS) -> None:
    """Past tickets of `priority`, answered after `waits`, the last answer at `end`, one an hour before that..."""
    for i, wait in enumerate(waits):
        responded = end - timedelta(hours=i)
        conversation = escalate(db, responded - wait, priority, hours)
        answer(db, conversation, responded)


def ticket_of(db: Database, conversation: str) -> Ticket:
    with db.transaction(write=False) as session:
        ticket = tickets.active_for(session, conversation)
        assert ticket is not None
        session.expunge(ticket)
        return ticket


# ------------------------------------------------------------------ the queue


def test_the_queue_place_counts_waiting_tickets_an_agent_takes_first(db: Database) -> None:
    t = TUESDAY_NOON
    first = escalate(db, t)
    second = escalate(db, t + timedelta(minutes=1))
    low = escalate(db, t + timedelta(minutes=2), Priority.LOW)
    urgent = escalate(db, t + timedelta(minutes=3), reason=TicketReason.CHARGEBACK)
    third = escalate(db, t + timedelta(minutes=4))
    now = t + timedelta(minutes=5)
    ahead = {name: expect(db, conv, now).ahead for name, conv in
             (("first", first), ("second", second), ("low", low), ("urgent", urgent), ("third", third))}
    assert ahead == {"urgent": 0, "first": 1, "second": 2, "third": 3, "low": 4}

    answer(db, first, now)  # claimed: no longer waiting, out of everyone's way
    assert expect(db, first, now).ahead is None and expect(db, first, now).estimated_wait_minutes is None
    assert expect(db, second, now).ahead == 1
    with db.transaction() as session:
        agent = session.query(Agent).one()
        tickets.change_status(session, agent, tickets.active_for(session, urgent), TicketStatus.SOLVED, now)
    assert expect(db, second, now).ahead == 0 and expect(db, low, now).ahead == 2


def test_tickets_created_in_the_same_instant_queue_in_the_order_they_were_made(db: Database) -> None:
    conversations = [escalate(db, TUESDAY_NOON) for _ in range(3)]
    assert [expect(db, c, TUESDAY_NOON).ahead for c in conversations] == [0, 1, 2]


# ------------------------------------------------------------------ the estimate


def test_without_enough_recent_answers_the_estimate_is_the_sla_target(db: Database) -> None:
    answered_tickets(db, [timedelta(minutes=10)] * 4, TUESDAY_NOON - timedelta(hours=1))  # only four
    conversation = escalate(db, TUESDAY_NOON)
    assert expect(db, conversation, TUESDAY_NOON).estimated_wait_minutes == 4 * 60  # normal: 4 hours
    assert expect(db, conversation, TUESDAY_NOON + timedelta(minutes=90)).estimated_wait_minutes == 150
    urgent = escalate(db, TUESDAY_NOON, Priority.URGENT)
    assert expect(db, urgent, TUESDAY_NOON + timedelta(seconds=30)).estimated_wait_minutes == 15


def test_recent_first_responses_of_the_same_priority_set_the_estimate(db: Database) -> None:
    end = TUESDAY_NOON - timedelta(hours=1)
    answered_tickets(db, [timedelta(minutes=m) for m in (50, 10, 40, 20, 30)], end)
    answered_tickets(db, [timedelta(hours=3)] * 6, end, Priority.HIGH)  # other priorities don't count
    answered_tickets(db, [timedelta(hours=3)] * 6, TUESDAY_NOON - timedelta(days=15))  # nor old answers
    conversation = escalate(db, TUESDAY_NOON)
    assert expect(db, conversation, TUESDAY_NOON).estimated_wait_minutes == 30  # the median
    assert expect(db, conversation, TUESDAY_NOON + timedelta(minutes=12)).estimated_wait_minutes == 18
    high = escalate(db, TUESDAY_NOON, Priority.HIGH)
    assert expect(db, high, TUESDAY_NOON).estimated_wait_minutes == 180


def test_a_ticket_waiting_longer_than_usual_expects_a_person_any_minute_while_open(db: Database) -> None:
    answered_tickets(db, [timedelta(minutes=10)] * 5, TUESDAY_NOON - timedelta(hours=1))
    conversation = escalate(db, TUESDAY_NOON)
    assert expect(db, conversation, TUESDAY_NOON + timedelta(hours=2)).estimated_wait_minutes == 1


def test_waits_are_counted_in_support_hours_so_a_night_or_weekend_is_not_a_slow_answer(db: Database) -> None:
    # Tickets opened at 17:50 on Monday to Friday, each answered at 09:10 the next working day: 20 support
    # minutes each (15 or 63 hours on the calendar).
    for day in range(5):
        opened = datetime(2024, 11, 4, 9, 50) + timedelta(days=day)  # 17:50 in Shanghai
        next_morning = datetime(2024, 11, 5, 1, 10) + timedelta(days=day if day < 4 else 6)  # 09:10
        answer(db, escalate(db, opened, hours=SHANGHAI), next_morning)
    now = datetime(2024, 11, 11, 12, 0) + timedelta(days=1)  # Tuesday 20:00 in Shanghai (closed)
    conversation = escalate(db, now, hours=SHANGHAI)
    with db.transaction(write=False) as session:
        ticket = tickets.active_for(session, conversation)
        assert waiting.typical_first_response(session, ticket, SHANGHAI, now) == timedelta(minutes=20)
    expected = expect(db, conversation, now, SHANGHAI)
    wednesday_0920 = datetime(2024, 11, 13, 1, 20)
    assert expected.estimated_wait_minutes == (wednesday_0920 - now) / timedelta(minutes=1)
    assert (expected.open_now, expected.next_open_at) == (False, datetime(2024, 11, 13, 1, 0))


def test_a_ticket_opened_on_friday_evening_is_due_and_expected_on_monday_morning(db: Database) -> None:
    conversation = escalate(db, FRIDAY_EVENING, hours=SHANGHAI)
    ticket = ticket_of(db, conversation)
    assert ticket.first_response_due_at == MONDAY_OPENING + timedelta(hours=4)
    assert ticket.resolution_due_at == datetime(2024, 11, 13, 7, 0)  # 24 support hours: Wednesday 15:00 local
    expected = expect(db, conversation, FRIDAY_EVENING, SHANGHAI)
    assert (expected.open_now, expected.next_open_at) == (False, MONDAY_OPENING)
    assert expected.estimated_wait_minutes == math.ceil((MONDAY_OPENING + timedelta(hours=4) - FRIDAY_EVENING)
                                                        / timedelta(minutes=1))
    # Waiting past the target while closed: a person is expected when the team is back, not "any minute".
    late = MONDAY_OPENING + timedelta(days=4, hours=12)  # Friday 21:00 local, long overdue
    assert expect(db, conversation, late, SHANGHAI).estimated_wait_minutes == (
        (MONDAY_OPENING + timedelta(days=7) - late) / timedelta(minutes=1))
    assert expect(db, conversation, TUESDAY_NOON + timedelta(days=7), SHANGHAI).open_now is True


def test_raising_the_priority_brings_the_sla_due_times_forward_never_back(db: Database) -> None:
    conversation = escalate(db, TUESDAY_NOON, Priority.NORMAL)
    escalate(db, TUESDAY_NOON + timedelta(minutes=30), conversation=conversation, reason=TicketReason.CHARGEBACK)
    raised = ticket_of(db, conversation)
    assert raised.priority is Priority.URGENT
    assert (raised.first_response_due_at, raised.resolution_due_at) == (
        TUESDAY_NOON + timedelta(minutes=15), TUESDAY_NOON + timedelta(hours=4))
    escalate(db, TUESDAY_NOON + timedelta(hours=1), Priority.LOW, conversation=conversation)
    assert ticket_of(db, conversation).first_response_due_at == TUESDAY_NOON + timedelta(minutes=15)


# ------------------------------------------------------------------ over HTTP


def test_the_assistant_view_tells_the_queue_place_and_the_wait_while_waiting(backend: Backend) -> None:
    def put(conversation: str, **extra: object) -> dict:
        reply = backend.put(f"/v1/conversations/{conversation}/ticket", {
            "seller_id": "S1001", "channel": "web", "reason": "seller_request", "summary": "Wants a person.",
            **extra})
        assert reply.status_code in (200, 201), reply.text
        return reply.json()

    first = put(f"web:{uuid.uuid4().hex[:8]}:S1001")
    assert first["queue"]["position"] == first["queue"]["ahead"] + 1
    assert 1 <= first["estimated_wait_minutes"] <= 240
    assert first["support_hours"] == {"open_now": True, "next_open_at": None, "schedule": None, "timezone": "UTC"}
    second_conversation = f"web:{uuid.uuid4().hex[:8]}:S1001"
    second = put(second_conversation)
    assert second["queue"]["position"] == first["queue"]["position"] + 1
    put(f"web:{uuid.uuid4().hex[:8]}:S1001", reason="chargeback")  # urgent: goes ahead of both
    read = backend.get(f"/v1/conversations/{second_conversation}/ticket").json()
    assert read["queue"]["position"] == second["queue"]["position"] + 1

    token = backend.post("/v1/agent/sessions", {"email": "agent@alex.example",
                                                "password": backend.settings.demo_agent_password},
                         role="console").json()["token"]
    claimed = backend.call("POST", f"/v1/agent/tickets/{second['number']}/claim", "console", agent_session=token)
    assert claimed.status_code == 200
    held = backend.get(f"/v1/conversations/{second_conversation}/ticket").json()
    assert (held["handoff"]["state"], held["queue"], held["estimated_wait_minutes"]) == ("agent", None, None)


@pytest.fixture(scope="module")
def closed_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Backend, int]]:
    """A backend (SQLite) whose team works one day a week, 09:00-18:00 in Shanghai: three days from today."""
    state = tmp_path_factory.mktemp("closed-backend")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).weekday()
    day = (today + 3) % 7
    settings = dataclasses.replace(make_settings(state), support_hours=f"{DAY_NAMES[day]} 09:00-18:00",
                                   support_timezone="Asia/Shanghai")
    with Stack(settings, None, state / "logs", only=("backend",)):
        yield Backend(settings, "sqlite", settings.backend_db_url), day


def test_a_closed_team_shows_its_next_opening_and_counts_the_sla_from_it(closed_backend: tuple[Backend, int]) -> None:
    backend, day = closed_backend
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    ticket = backend.put(f"/v1/conversations/web:{uuid.uuid4().hex[:8]}:S1001/ticket", {
        "seller_id": "S1001", "channel": "web", "reason": "seller_request", "summary": "Wants a person."}).json()
    opening = datetime.fromisoformat(ticket["support_hours"]["next_open_at"])
    local = opening.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (local.weekday(), local.hour, local.minute) == (day, 9, 0)
    assert ticket["support_hours"] == {"open_now": False, "next_open_at": opening.isoformat(),
                                       "schedule": f"{DAY_NAMES[day]} 09:00-18:00", "timezone": "Asia/Shanghai"}
    first_due = datetime.fromisoformat(ticket["first_response_due_at"])
    assert first_due == opening + timedelta(hours=4)
    assert datetime.fromisoformat(ticket["resolution_due_at"]) == opening + timedelta(weeks=2, hours=6)  # 9 h a week
    wait = (first_due.replace(tzinfo=None) - before) / timedelta(minutes=1)
    assert wait - 1 <= ticket["estimated_wait_minutes"] <= wait + 1
    demo = backend.get("/v1/sellers/S1001/tickets/TK2411080001").json()  # seeded 40 minutes ago, while closed
    assert datetime.fromisoformat(demo["first_response_due_at"]) == opening + timedelta(hours=4)


@pytest.mark.parametrize("name, value", [("ALEX_SUPPORT_HOURS", "Mon-Fri 9-18"),
                                         ("ALEX_SUPPORT_TIMEZONE", "China/Shanghai")])
def test_a_bad_support_hours_setting_stops_the_backend_at_start_up(tmp_path: Path, name: str, value: str) -> None:
    field = {"ALEX_SUPPORT_HOURS": "support_hours", "ALEX_SUPPORT_TIMEZONE": "support_timezone"}[name]
    settings = dataclasses.replace(make_settings(tmp_path), **{field: value})
    with pytest.raises(StackError, match="exited early"):
        Stack(settings, None, tmp_path / "logs", only=("backend",)).start(timeout_seconds=60)
    assert f"backend: {name} is not valid" in (tmp_path / "logs" / "backend.log").read_text()


def test_load_settings_refuses_bad_support_hours_and_defaults_to_always_open(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALEX_HOME", str(tmp_path))
    for secret in SECRET_NAMES:
        monkeypatch.setenv(secret, "s" * 32)
    monkeypatch.delenv("ALEX_SUPPORT_HOURS", raising=False)
    monkeypatch.delenv("ALEX_SUPPORT_TIMEZONE", raising=False)
    defaults = load_settings()
    assert (defaults.support_hours, defaults.support_timezone) == ("", "UTC")
    assert defaults.support_calendar().always_open
    monkeypatch.setenv("ALEX_SUPPORT_HOURS", "Mon-Fri 09:00-18:00")
    monkeypatch.setenv("ALEX_SUPPORT_TIMEZONE", "Asia/Shanghai")
    assert load_settings().support_calendar().schedule == "Mon-Fri 09:00-18:00"
    assert load_settings().process_environment()["ALEX_SUPPORT_TIMEZONE"] == "Asia/Shanghai"
    monkeypatch.setenv("ALEX_SUPPORT_HOURS", "Mon-Fri 09:00-18:00;")
    with pytest.raises(SettingsError, match="ALEX_SUPPORT_HOURS"):
        load_settings()
