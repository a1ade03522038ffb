"""A person's calendar (RFC 5545), built with icalendar: their groups' series and sessions.

Each series is one recurring event (UID ``series-{id}@host``: DTSTART in the group's zone with
its VTIMEZONE, the series' RRULE and EXDATEs for skipped dates); an occurrence that was edited
on its own or cancelled is an override of it (same UID, RECURRENCE-ID, its own SEQUENCE,
STATUS:CANCELLED with the reason when cancelled). A session outside any series is an event of
its own (UID ``session-{id}@host``). SEQUENCE moves on with every change the server makes, so
calendar programs replace what they showed.

Privacy: an event names the group and the session's title, and links to the group's page,
which lets nobody in by itself (a doctor's page needs their device; a facilitator's their
sign-in). No person's name is ever in a feed: no ORGANIZER, no ATTENDEE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from icalendar.prop import vRecur

from app.core.messages import t
from app.groups.models import Group
from app.series.models import Series
from app.series.service import recurrence
from app.sessions.models import Session, SessionStatus

PRODID = "-//Rounds//Rounds calendar feed//EN"


@dataclass(frozen=True)
class GroupPlan:
    """What one group puts in a person's calendar, and where its page is for that person."""

    group: Group
    link: str
    series: list[Series]
    sessions: list[Session]


def build(plans: list[GroupPlan], *, public_url: str, now: datetime) -> bytes:
    """The calendar for one person's groups."""
    host = urlsplit(public_url).hostname or "rounds"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Rounds")
    for plan in plans:
        by_series = {s.id: s for s in plan.series}
        for one in plan.series:
            cal.add_component(_master(one, plan, host, now))
        for session in plan.sessions:
            series = by_series.get(session.series_id) if session.series_id else None
            event = _occurrence(session, series, plan, host, now)
            if event is not None:
                cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _summary(group: Group, title: str) -> str:
    return f"{group.name}: {title}" if title else group.name


def _common(event: Event, plan: GroupPlan, now: datetime, sequence: int) -> None:
    event.add("dtstamp", now.astimezone(UTC))
    event.add("sequence", sequence)
    event.add("url", plan.link)
    event.add("transp", "OPAQUE")


def _rule(series: Series) -> vRecur:
    """The series' RRULE, cut short at the moment it was stopped."""
    rule = vRecur.from_ical(series.rule)
    if series.ended_at is not None:
        rule.pop("COUNT", None)
        until = [u for u in rule.get("UNTIL", []) if isinstance(u, datetime)]
        end = series.ended_at.astimezone(UTC).replace(microsecond=0)
        rule["UNTIL"] = [min([end, *until])]
    return rule


def _master(series: Series, plan: GroupPlan, host: str, now: datetime) -> Event:
    tz = ZoneInfo(series.timezone)
    event = Event()
    event.add("uid", f"series-{series.id}@{host}")
    first = series.first_start.astimezone(tz)
    event.add("dtstart", first)
    event.add("dtend", first + timedelta(minutes=series.duration_minutes))
    event.add("rrule", _rule(series))
    skipped = sorted(series.skipped_dates())
    if skipped:
        event.add("exdate", [datetime.combine(d, first.timetz()) for d in skipped])
    event.add("summary", _summary(plan.group, series.title))
    event.add("description", f"{t('calendar.note')}\n{plan.link}")
    _common(event, plan, now, series.sequence)
    return event


def _cancelled(session: Session) -> bool:
    return session.cancel_reason is not None or (
        session.status is SessionStatus.ended and session.started_at is None
        and session.ended_at is not None and session.ended_at < session.scheduled_start)


def session_event(session: Session, series: Series | None, group: Group, *, link: str,
                  now: datetime) -> bytes:
    """One session's event, as an email attaches it: the same UID, RECURRENCE-ID and SEQUENCE
    as in the person's feed, so a calendar program files it with what it already shows."""
    host = urlsplit(link).hostname or "rounds"
    plan = GroupPlan(group=group, link=link, series=[series] if series else [], sessions=[])
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = _occurrence(session, series, plan, host, now, always=True)
    assert event is not None
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _occurrence(session: Session, series: Series | None, plan: GroupPlan, host: str,
                now: datetime, *, always: bool = False) -> Event | None:
    """A session's own event: an override of its series' occurrence if it differs from what
    the series says (or ``always``), its own event outside a series; None if the series says
    it all."""
    cancelled = _cancelled(session)
    override = series is not None and session.occurrence_at is not None and recurrence(
        series).is_start(session.occurrence_at)
    if override and series is not None:
        same = (session.scheduled_start == session.occurrence_at
                and session.duration_minutes == series.duration_minutes
                and session.title == series.title)
        if same and not cancelled and not always:
            return None
    tz = ZoneInfo(plan.group.timezone if series is None else series.timezone)
    event = Event()
    if override and series is not None and session.occurrence_at is not None:
        event.add("uid", f"series-{series.id}@{host}")
        event.add("recurrence-id", session.occurrence_at.astimezone(tz))
    else:
        event.add("uid", f"session-{session.id}@{host}")
    start = session.scheduled_start.astimezone(tz)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=session.duration_minutes))
    event.add("summary", _summary(plan.group, session.title))
    description = f"{t('calendar.note')}\n{plan.link}"
    if cancelled:
        event.add("status", "CANCELLED")
        reason = session.cancel_reason or t("calendar.cancelledNoReason")
        description = f"{t('calendar.cancelled', reason=reason)}\n{plan.link}"
    event.add("description", description)
    _common(event, plan, now, session.sequence)
    return event
