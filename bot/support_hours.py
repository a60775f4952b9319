"""The support team's working hours, and time counted in them (SLA due times, how long a person took to answer).

Configured by `ALEX_SUPPORT_HOURS` in the time zone `ALEX_SUPPORT_TIMEZONE` (an IANA name, default `UTC`).
Unset or empty (the default) means "always there": SLAs count calendar hours and the team is always open.

Syntax, parsed strictly (anything else is refused at start-up, naming what is wrong):
    rules separated by ";", each rule "<days> <times>":
      days:  Mon Tue Wed Thu Fri Sat Sun (any letter case), ranges "Mon-Fri", lists "Mon,Wed-Fri"
      times: "09:00-18:00", several "09:00-12:00,13:00-18:00"; "24:00" ends a day; no overnight ranges
    e.g. "Mon-Fri 09:00-18:00" or "Mon-Fri 09:00-12:00,13:00-18:00; Sat 10:00-14:00".
    "always" (or "24/7") says explicitly what unset means.
No day may be named twice and no ranges may overlap, so every configuration reads one way only.

Times in and out are naive UTC datetimes, as everywhere in the backend (aware ones are converted). Local hours
follow the zone's daylight saving rules: a day's opening is "09:00 local" whatever the UTC offset that day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_INDEX = {name.lower(): i for i, name in enumerate(DAY_NAMES)}
_ALWAYS = ("always", "24/7")
_DAY = r"[A-Za-z]{3}"
_TIME = r"\d{2}:\d{2}"
_RULE = re.compile(rf"(?P<days>{_DAY}(?:-{_DAY})?(?:\s*,\s*{_DAY}(?:-{_DAY})?)*)\s+"
                   rf"(?P<times>{_TIME}-{_TIME}(?:\s*,\s*{_TIME}-{_TIME})*)")
EXAMPLE = "Mon-Fri 09:00-18:00"

Window = tuple[int, int]  # minutes after local midnight: [start, end)


class SupportHoursError(ValueError):
    """A support-hours setting that does not read one clear way."""


def parse_schedule(text: str | None) -> tuple[tuple[Window, ...], ...] | None:
    """Per weekday (Monday first), the open windows; None for "always open"."""
    text = (text or "").strip()
    if not text or text.lower() in _ALWAYS:
        return None
    week: list[list[Window]] = [[] for _ in DAY_NAMES]
    named: set[int] = set()
    for raw_rule in text.split(";"):
        rule = raw_rule.strip()
        match = _RULE.fullmatch(rule)
        if match is None:
            raise SupportHoursError(f"{rule!r} is not '<days> <HH:MM-HH:MM>' (e.g. {EXAMPLE!r})")
        days = _days(match.group("days"))
        if named & set(days):
            raise SupportHoursError(f"{rule!r} names {DAY_NAMES[min(named & set(days))]} again")
        named.update(days)
        windows = sorted(_window(part.strip()) for part in match.group("times").split(","))
        for earlier, later in zip(windows, windows[1:]):
            if later[0] < earlier[1]:
                raise SupportHoursError(f"{rule!r} has overlapping times")
        for day in days:
            week[day] = windows
    return tuple(tuple(windows) for windows in week)


def _days(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if first.lower() not in _DAY_INDEX or (last and last.lower() not in _DAY_INDEX):
            raise SupportHoursError(f"{part.strip()!r}: days are {', '.join(DAY_NAMES)}")
        start = _DAY_INDEX[first.lower()]
        end = _DAY_INDEX[last.lower()] if last else start
        if end < start:
            raise SupportHoursError(f"{part.strip()!r} runs backwards (write e.g. 'Mon,Sat-Sun')")
        for day in range(start, end + 1):
            if day in days:
                raise SupportHoursError(f"{text!r} names {DAY_NAMES[day]} twice")
            days.append(day)
    return days


def _window(text: str) -> Window:
    start, end = (_minutes(t, allow_midnight_end=i == 1) for i, t in enumerate(text.split("-")))
    if end <= start:
        raise SupportHoursError(f"{text!r} ends before it starts (overnight ranges: split them at 24:00)")
    return start, end


def _minutes(text: str, allow_midnight_end: bool) -> int:
    hours, minutes = int(text[:2]), int(text[3:])
    if (hours, minutes) == (24, 0) and allow_midnight_end:
        return 24 * 60
    if hours > 23 or minutes > 59:
        raise SupportHoursError(f"{text!r} is not a time of day (00:00-23:59, or 24:00 as an end)")
    return hours * 60 + minutes


def parse_timezone(name: str | None) -> tzinfo:
    name = "UTC" if name is None or name == "" else name
    if name == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SupportHoursError(f"{name!r} is not an IANA time zone name (e.g. 'Asia/Shanghai', 'UTC')") from None


class SupportHours:
    """When a person can answer, and time counted only while someone can."""

    def __init__(self, schedule: str | None = None, timezone_name: str | None = None) -> None:
        self.week = parse_schedule(schedule)
        self.zone = parse_timezone(timezone_name)
        self.timezone = timezone_name or "UTC"

    @property
    def always_open(self) -> bool:
        return self.week is None

    @property
    def schedule(self) -> str | None:
        """The schedule in its canonical spelling (days with the same hours grouped), None when always open."""
        if self.week is None:
            return None
        rules: list[str] = []
        day = 0
        while day < 7:
            last = day
            while last + 1 < 7 and self.week[last + 1] == self.week[day]:
                last += 1
            if self.week[day]:
                days = DAY_NAMES[day] if last == day else f"{DAY_NAMES[day]}-{DAY_NAMES[last]}"
                rules.append(f"{days} " + ",".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in self.week[day]))
            day = last + 1
        return "; ".join(rules)

    # ------------------------------------------------------------ questions about a moment

    def is_open(self, at: datetime) -> bool:
        at = _utc(at)
        return self.week is None or next(self.open_intervals(at))[0] <= at

    def next_open(self, at: datetime) -> datetime:
        """`at` itself while open, else the next opening."""
        at = _utc(at)
        return at if self.week is None else max(at, next(self.open_intervals(at))[0])

    # ------------------------------------------------------------ counting in support time

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of support time after `start` (e.g. 4 support hours after Friday 17:00 with
        Mon-Fri 09:00-18:00 is Monday 12:00). A zero duration from a closed moment is the next opening."""
        start = _utc(start)
        if self.week is None:
            return start + duration
        remaining = duration
        for opens, closes in self.open_intervals(start):
            begin = max(opens, start)
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        raise AssertionError("unreachable: open intervals never end")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Support time from `start` to `end` (zero if `end` is not later)."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return timedelta(0)
        if self.week is None:
            return end - start
        total = timedelta(0)
        for opens, closes in self.open_intervals(start):
            if opens >= end:
                break
            total += min(closes, end) - max(opens, start)
        return total

    def open_intervals(self, after: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open intervals (naive UTC, [opens, closes)) that end after `after`, in order. Endless: the grammar
        leaves at least one window in the week. (Back-to-back windows, like Mon 00:00-24:00 and Tue 00:00-12:00,
        come as two intervals; nothing here needs them merged.)"""
        assert self.week is not None
        day = after.replace(tzinfo=timezone.utc).astimezone(self.zone).date()
        while True:
            for start, end in self.week[day.weekday()]:
                opens, closes = self._utc_of(day, start), self._utc_of(day, end)
                if opens < closes and closes > after:  # (a window lost in a daylight-saving jump is empty)
                    yield opens, closes
            day += timedelta(days=1)

    def _utc_of(self, day: date, minutes: int) -> datetime:
        local = datetime.combine(day + timedelta(days=minutes // 1440), time(minutes % 1440 // 60, minutes % 60),
                                 tzinfo=self.zone)
        return local.astimezone(timezone.utc).replace(tzinfo=None)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(timezone.utc).replace(tzinfo=None)


ALWAYS = SupportHours()
