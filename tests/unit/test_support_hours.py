"""Support hours: the strict parser, and time counted only while the team works, on fixed clocks (naive UTC in and
out, local hours in the configured zone, daylight saving included)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.backend import rules
from bot.backend.models import Priority
from bot.support_hours import ALWAYS, SupportHours, SupportHoursError

SHANGHAI = SupportHours("Mon-Fri 09:00-18:00", "Asia/Shanghai")  # UTC+8 all year: 09:00 local is 01:00 UTC
FRIDAY_EVENING = datetime(2024, 11, 8, 12, 0)  # Friday 20:00 in Shanghai
MONDAY_OPENING = datetime(2024, 11, 11, 1, 0)  # Monday 09:00 in Shanghai


def test_unset_hours_mean_always_open_and_calendar_time() -> None:
    for hours in (ALWAYS, SupportHours(""), SupportHours("always"), SupportHours("24/7", "Asia/Shanghai")):
        assert hours.always_open and hours.schedule is None
        assert hours.is_open(FRIDAY_EVENING) and hours.next_open(FRIDAY_EVENING) == FRIDAY_EVENING
        assert hours.add(FRIDAY_EVENING, timedelta(hours=4)) == FRIDAY_EVENING + timedelta(hours=4)
        assert hours.between(FRIDAY_EVENING, MONDAY_OPENING) == MONDAY_OPENING - FRIDAY_EVENING


def test_the_team_is_closed_on_friday_evening_and_opens_on_monday_morning() -> None:
    assert not SHANGHAI.is_open(FRIDAY_EVENING)
    assert SHANGHAI.next_open(FRIDAY_EVENING) == MONDAY_OPENING
    assert SHANGHAI.is_open(MONDAY_OPENING) and SHANGHAI.next_open(MONDAY_OPENING) == MONDAY_OPENING
    closing = datetime(2024, 11, 11, 10, 0)  # Monday 18:00 local: closed (intervals are [opens, closes))
    assert SHANGHAI.is_open(closing - timedelta(seconds=1)) and not SHANGHAI.is_open(closing)
    assert SHANGHAI.next_open(closing) == datetime(2024, 11, 12, 1, 0)


def test_a_ticket_opened_on_friday_evening_is_due_on_monday_morning() -> None:
    first, resolution = rules.sla_due(Priority.NORMAL, FRIDAY_EVENING, SHANGHAI)
    assert first == MONDAY_OPENING + timedelta(hours=4)  # Monday 13:00 local
    assert resolution == datetime(2024, 11, 13, 7, 0)  # 24 support hours: Mon 9, Tue 9, Wed 6 -> Wed 15:00 local
    urgent_first, _ = rules.sla_due(Priority.URGENT, FRIDAY_EVENING, SHANGHAI)
    assert urgent_first == MONDAY_OPENING + timedelta(minutes=15)
    assert rules.sla_due(Priority.NORMAL, FRIDAY_EVENING) == (FRIDAY_EVENING + timedelta(hours=4),
                                                              FRIDAY_EVENING + timedelta(hours=24))


def test_support_time_skips_closed_hours_and_lunch_breaks() -> None:
    hours = SupportHours("Mon-Fri 09:00-12:00,13:00-18:00; Sat 10:00-14:00", "UTC")
    thursday_11 = datetime(2024, 11, 7, 11, 0)
    assert hours.add(thursday_11, timedelta(hours=2)) == datetime(2024, 11, 7, 14, 0)
    assert hours.add(datetime(2024, 11, 8, 17, 0), timedelta(hours=3)) == datetime(2024, 11, 9, 12, 0)  # via Sat
    assert hours.between(thursday_11, datetime(2024, 11, 7, 14, 0)) == timedelta(hours=2)
    assert hours.between(datetime(2024, 11, 9, 13, 0), datetime(2024, 11, 11, 10, 0)) == timedelta(hours=2)
    assert hours.between(thursday_11, thursday_11 - timedelta(hours=1)) == timedelta(0)
    assert not hours.is_open(datetime(2024, 11, 7, 12, 30)) and hours.is_open(datetime(2024, 11, 7, 13, 0))
    assert hours.add(datetime(2024, 11, 7, 12, 30), timedelta(0)) == datetime(2024, 11, 7, 13, 0)


def test_local_hours_follow_daylight_saving_time() -> None:
    berlin = SupportHours("Mon-Fri 09:00-17:00", "Europe/Berlin")
    assert berlin.next_open(datetime(2024, 3, 29, 18, 0)) == datetime(2024, 4, 1, 7, 0)  # CEST (UTC+2) from Mar 31
    assert berlin.next_open(datetime(2024, 3, 22, 18, 0)) == datetime(2024, 3, 25, 8, 0)  # CET (UTC+1)
    assert berlin.between(datetime(2024, 3, 29, 0, 0), datetime(2024, 4, 2, 0, 0)) == timedelta(hours=16)


def test_aware_times_are_read_as_the_moment_they_name() -> None:
    from datetime import timezone

    aware = FRIDAY_EVENING.replace(tzinfo=timezone.utc).astimezone(timezone(timedelta(hours=-5)))
    assert SHANGHAI.next_open(aware) == MONDAY_OPENING


def test_the_schedule_is_shown_in_one_canonical_spelling() -> None:
    assert SupportHours("mon-wed 09:00-18:00; THU,Fri 09:00-18:00").schedule == "Mon-Fri 09:00-18:00"
    assert SupportHours("Sat-Sun 10:00-24:00;Mon 08:00-12:00 , 13:00-17:00").schedule == (
        "Mon 08:00-12:00,13:00-17:00; Sat-Sun 10:00-24:00")


@pytest.mark.parametrize("text", [
    "Mon-Fri 9:00-18:00", "Mon-Fri", "09:00-18:00", "Fri-Mon 09:00-18:00", "Mon 18:00-09:00", "Mon 22:00-02:00",
    "Mon 09:00-18:00; Mon 19:00-20:00", "Mon,Mon 09:00-10:00", "Mon 09:00-12:00,11:00-13:00", "Mon 24:00-24:00",
    "Mon 09:00-24:30", "Mon 25:00-26:00", "Mon 09:60-10:00", "Mo-Fr 09:00-18:00", "Mon-Fri 09:00-18:00;",
    "Monday 09:00-18:00", "weekdays", "Mon-Fri 09:00-18:00 CET", "Mon 09:00 - 18:00",
])
def test_a_schedule_that_does_not_read_one_clear_way_is_refused(text: str) -> None:
    with pytest.raises(SupportHoursError):
        SupportHours(text)


@pytest.mark.parametrize("name", ["Asia/Shanghai ", "asia/shanghai", "Asia", "../../etc/passwd", "/etc/localtime",
                                  "Mars/Olympus_Mons", "+08:00", "CST-8x"])
def test_a_time_zone_that_is_not_an_iana_name_is_refused(name: str) -> None:
    with pytest.raises(SupportHoursError):
        SupportHours("Mon-Fri 09:00-18:00", name)
