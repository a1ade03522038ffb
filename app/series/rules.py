"""A series' recurrence: an RRULE (RFC 5545) in the group's time zone, expanded by dateutil.

Theory of operation
-------------------
The first start is a wall-clock time in the group's zone (``12:30`` Europe/London) made aware
with ``zoneinfo``. dateutil's ``rrule`` builds each occurrence from that start's date arithmetic
and keeps its ``tzinfo``, and Python's arithmetic on zone-aware datetimes is wall-clock
arithmetic: a weekly 12:30 stays 12:30 local across the clock changes (11:30 UTC in summer,
12:30 UTC in winter). ``UNTIL`` is written in UTC, as RFC 5545 asks when the start has a zone,
so the same rule text goes into the calendar feed unchanged. Skipped dates (bank holidays,
rotation change-over weeks) are local dates left out of the expansion (the feed's EXDATEs).

Pure: no I/O and no wall clock (callers pass the window to expand).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import MONTHLY, WEEKLY, rrule, rrulestr
from icalendar.prop import vRecur

from app.core.errors import Invalid

Frequency = Literal["weekly", "fortnightly", "monthly"]
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
MAX_OCCURRENCES = 520
"""Ten years of weekly meetings: a COUNT above this is refused."""
_RULE_TEXT = re.compile(r"^[A-Z0-9=;,+\-]{1,200}$")
_FORBIDDEN_PARTS = {"DTSTART", "BYHOUR", "BYMINUTE", "BYSECOND", "BYYEARDAY", "BYWEEKNO"}


class RuleError(Invalid):
    """A rule that cannot be a group's series (422, ``bad_rule`` or a more precise code)."""

    code = "bad_rule"


@dataclass(frozen=True)
class Recurrence:
    """Everything that fixes when a series' sessions start."""

    rule: str
    """The RRULE value, e.g. ``FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20270331T225959Z``."""
    first: datetime
    """The first start, aware, in the group's zone (the calendar's DTSTART)."""
    skipped: frozenset[date] = frozenset()

    def expand(self, after: datetime, before: datetime) -> list[datetime]:
        """Starts in ``[after, before)`` (aware), skipped dates left out, in the group's zone."""
        tz = self.first.tzinfo
        found = parse_rule(self.rule, self.first).between(
            after.astimezone(tz), before.astimezone(tz), inc=True)
        return [at for at in found if at < before and at.date() not in self.skipped]

    def is_start(self, at: datetime) -> bool:
        """Whether the rule (before skipping) gives a start at ``at``."""
        local = at.astimezone(self.first.tzinfo)
        return local in parse_rule(self.rule, self.first).between(
            local - timedelta(minutes=1), local + timedelta(minutes=1), inc=True)


def first_start(start_date: date, start_time: time, timezone: str) -> datetime:
    """The first start as an aware datetime in the zone (a wall-clock time that does not exist,
    in the hour the clocks go forward, is moved on by ``zoneinfo``'s rules)."""
    return datetime.combine(start_date, start_time.replace(second=0, microsecond=0),
                            ZoneInfo(timezone))


def build(*, frequency: Frequency, weekday_code: str, week_of_month: int | None,
          first: datetime, until: date | None, count: int | None) -> str:
    """The RRULE for a rule said in plain words: "every other Tuesday", "the second Tuesday of
    the month", until a date (inclusive, local) or for a number of sessions."""
    if weekday_code not in WEEKDAYS:
        raise RuleError("bad_weekday", f"weekday must be one of {', '.join(WEEKDAYS)}")
    parts = ["FREQ=WEEKLY"] if frequency != "monthly" else ["FREQ=MONTHLY"]
    if frequency == "fortnightly":
        parts.append("INTERVAL=2")
    if frequency == "monthly":
        if week_of_month not in ORDINALS:
            raise RuleError("bad_week_of_month",
                            "week_of_month is 1 to 4, or -1 for the last of the month")
        parts.append(f"BYDAY={week_of_month}{weekday_code}")
    else:
        if week_of_month is not None:
            raise RuleError("bad_week_of_month", "week_of_month is only for a monthly series")
        parts.append(f"BYDAY={weekday_code}")
    if until is not None and count is not None:
        raise RuleError("until_or_count", "give an end date or a number of sessions, not both")
    if until is not None:
        parts.append(f"UNTIL={_until_utc(until, first)}")
    if count is not None:
        parts.append(f"COUNT={count}")
    return ";".join(parts)


def _until_utc(until: date, first: datetime) -> str:
    """The end of the local day ``until``, in UTC, as RFC 5545 writes it."""
    if until < first.date():
        raise RuleError("until_before_start", "the series cannot end before its first session")
    end = datetime.combine(until, time(23, 59, 59), first.tzinfo).astimezone(UTC)
    return end.strftime("%Y%m%dT%H%M%SZ")


def parse_rule(text: str, first: datetime) -> rrule:
    """The rule as dateutil's ``rrule`` from ``first``; refuses what a group's series cannot be."""
    text = text.removeprefix("RRULE:").strip().upper()
    if not _RULE_TEXT.match(text):
        raise RuleError(None, "a rule is RRULE parts such as FREQ=WEEKLY;BYDAY=TU")
    names = {part.split("=", 1)[0] for part in text.split(";")}
    if names & _FORBIDDEN_PARTS:
        raise RuleError(None, f"a rule may not set {', '.join(sorted(names & _FORBIDDEN_PARTS))}"
                        ": the start time and date are given on their own")
    try:
        parsed = rrulestr(text, dtstart=first)
    except (ValueError, TypeError) as exc:
        raise RuleError(None, f"not a valid RRULE: {exc}") from None
    if not isinstance(parsed, rrule) or parsed._freq not in (WEEKLY, MONTHLY):  # noqa: SLF001
        raise RuleError("bad_frequency", "a series meets weekly, every few weeks or monthly")
    if parsed._count is not None and not 1 <= parsed._count <= MAX_OCCURRENCES:  # noqa: SLF001
        raise RuleError("bad_count", f"a series has 1 to {MAX_OCCURRENCES} sessions")
    until = parsed._until  # noqa: SLF001
    if until is not None and until < first:
        raise RuleError("until_before_start", "the series cannot end before its first session")
    return parsed


def check(recurrence: Recurrence) -> None:
    """Refuse a rule that gives no session at all."""
    rule = parse_rule(recurrence.rule, recurrence.first)
    if rule.after(recurrence.first, inc=True) is None:
        raise RuleError("no_sessions", "this rule gives no session")


def describe(recurrence: Recurrence, duration_minutes: int) -> str:
    """The rule in plain words: "Every other Tuesday at 12:30 for 60 minutes, from 6 October
    2026 until 31 March 2027, skipping 29 December 2026"."""
    parts = vRecur.from_ical(recurrence.rule.removeprefix("RRULE:"))
    freq = parts["FREQ"][0]
    interval = int(parts.get("INTERVAL", [1])[0])
    days = [str(d) for d in parts.get("BYDAY", [])]
    when = recurrence.first
    words: str
    if freq == "MONTHLY" and len(days) == 1 and days[0][:-2]:
        n = int(days[0][:-2])
        words = f"The {ORDINALS.get(n, str(n))} {_day(days[0][-2:])} of every month"
        if interval > 1:
            words = f"The {ORDINALS.get(n, str(n))} {_day(days[0][-2:])} every {interval} months"
    else:
        named = " and ".join(_day(d[-2:]) for d in days) or DAY_NAMES[when.weekday()]
        every = {1: "Every", 2: "Every other"}.get(interval, f"Every {interval} weeks on a")
        words = f"{every} {named}"
    text = f"{words} at {when:%H:%M} for {duration_minutes} minutes, from {_date(when.date())}"
    until = parts.get("UNTIL")
    if until:
        end = until[0]
        end = end.astimezone(when.tzinfo).date() if isinstance(end, datetime) else end
        text += f" until {_date(end)}"
    if parts.get("COUNT"):
        text += f", {parts['COUNT'][0]} sessions"
    if recurrence.skipped:
        text += ", skipping " + ", ".join(_date(d) for d in sorted(recurrence.skipped))
    return text


def _day(code: str) -> str:
    return DAY_NAMES[WEEKDAYS.index(code)]


def _date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def local_dates(starts: Iterable[datetime], timezone: str) -> list[date]:
    """The local dates of some starts (what a person reads in the group's zone)."""
    tz = ZoneInfo(timezone)
    return [s.astimezone(tz).date() for s in starts]

