"""Series: create, edit and stop a group's recurring meetings, and make their sessions.

Sessions are made for the coming ``HORIZON`` (``materialise``), idempotently: each occurrence
is keyed by the start its rule gives it (``Session.occurrence_at``, unique per series), so
running it again (on every edit, and at each of the scheduler's rounds) makes only what is
missing. Editing the whole series moves its future, unedited, scheduled sessions (matched by
their local date, so they keep their ids and links), removes those the rule no longer gives
(they never took place) and makes the new ones; an occurrence edited or cancelled on its own
(``Session.detached``) keeps its changes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.groups.models import Group
from app.series import rules
from app.series.models import Series
from app.series.schemas import SeriesOut, SeriesRule
from app.sessions.models import Session, SessionStatus

HORIZON = timedelta(weeks=8)
"""How far ahead a series' sessions exist as sessions (the feed's RRULE says the rest)."""


def recurrence(series: Series) -> rules.Recurrence:
    return rules.Recurrence(
        rule=series.rule,
        first=series.first_start.astimezone(ZoneInfo(series.timezone)),
        skipped=series.skipped_dates(),
    )


def as_out(series: Series) -> SeriesOut:
    return SeriesOut(
        id=series.id, group_id=series.group_id, title=series.title, rule=series.rule,
        first_start=series.first_start, timezone=series.timezone,
        duration_minutes=series.duration_minutes,
        skipped=sorted(series.skipped_dates()), sequence=series.sequence,
        ended_at=series.ended_at,
        description=rules.describe(recurrence(series), series.duration_minutes),
    )


def _settle(body: SeriesRule, timezone: str) -> tuple[str, datetime]:
    """The RRULE and first start a request asks for, checked."""
    first = rules.first_start(body.start_date, body.start_time, timezone)
    if body.rule is not None:
        if body.until is not None or body.count is not None:
            raise rules.RuleError("until_or_count",
                                  "with rule text, say UNTIL or COUNT inside the rule")
        text = body.rule.removeprefix("RRULE:").strip().upper()
    else:
        assert body.frequency is not None
        text = rules.build(
            frequency=body.frequency,
            weekday_code=body.weekday or rules.WEEKDAYS[body.start_date.weekday()],
            week_of_month=body.week_of_month, first=first, until=body.until, count=body.count)
    rules.check(rules.Recurrence(text, first))
    # The first start is the rule's first occurrence on or after the start date (DTSTART must
    # be one, RFC 5545), so "from Monday, every other Tuesday" starts on that Tuesday.
    start = rules.parse_rule(text, first).after(first, inc=True)
    assert start is not None
    return text, start


async def create_series(db: AsyncSession, group: Group, body: SeriesRule, *, now: datetime
                        ) -> Series:
    """Start a series and make its sessions for the coming weeks."""
    text, first = _settle(body, group.timezone)
    series = Series(group_id=group.id, title=body.title.strip(), rule=text, first_start=first,
                    timezone=group.timezone, duration_minutes=body.duration_minutes,
                    skipped=_skip_list(body.skip))
    db.add(series)
    await db.flush()
    await materialise(db, series, now=now)
    return series


async def update_series(db: AsyncSession, series: Series, body: SeriesRule, *, now: datetime
                        ) -> Series:
    """Edit the whole series: its future unedited sessions follow; edited ones stay."""
    if series.ended_at is not None:
        raise NotFound("series_ended", "this series has been stopped")
    text, first = _settle(body, series.timezone)
    series.rule, series.first_start = text, first
    series.duration_minutes, series.title = body.duration_minutes, body.title.strip()
    series.skipped = _skip_list(body.skip)
    series.sequence += 1
    await _follow(db, series, now=now)
    await materialise(db, series, now=now)
    return series


async def stop_series(db: AsyncSession, series: Series, *, now: datetime) -> Series:
    """Stop a series: no more sessions are made; its future unedited sessions are removed
    (edited or cancelled ones stay, as their members were told of them)."""
    series.ended_at = now
    for session in await _future(db, series, now=now):
        if not session.detached:
            await db.delete(session)
    await db.flush()
    return series


async def materialise(db: AsyncSession, series: Series, *, now: datetime) -> list[Session]:
    """Make the series' sessions due in the coming ``HORIZON`` that do not exist yet."""
    if series.ended_at is not None:
        return []
    have = set(await db.scalars(select(Session.occurrence_at).where(
        Session.series_id == series.id, Session.occurrence_at >= now)))
    made = []
    for at in recurrence(series).expand(now, now + HORIZON):
        if at in have:
            continue
        session = Session(group_id=series.group_id, series_id=series.id, occurrence_at=at,
                          scheduled_start=at, duration_minutes=series.duration_minutes,
                          title=series.title)
        db.add(session)
        made.append(session)
    await db.flush()
    return made


async def materialise_all(db: AsyncSession, *, now: datetime) -> int:
    """Materialise every running series of every group that is not archived."""
    made = 0
    for series in await db.scalars(select(Series).join(Group, Group.id == Series.group_id)
                                   .where(Series.ended_at.is_(None),
                                          Group.archived_at.is_(None))):
        made += len(await materialise(db, series, now=now))
    return made


async def _future(db: AsyncSession, series: Series, *, now: datetime) -> list[Session]:
    return list(await db.scalars(select(Session).where(
        Session.series_id == series.id, Session.status == SessionStatus.scheduled,
        Session.scheduled_start > now)))


async def _follow(db: AsyncSession, series: Series, *, now: datetime) -> None:
    """Move the future sessions to the edited rule, matched by local date."""
    tz = ZoneInfo(series.timezone)
    wanted = {at.date(): at for at in recurrence(series).expand(now, now + HORIZON)}
    sessions = await _future(db, series, now=now)
    sessions += list(await db.scalars(select(Session).where(  # cancelled ones keep their day
        Session.series_id == series.id, Session.cancel_reason.is_not(None),
        Session.scheduled_start > now)))
    for session in sessions:
        key = session.occurrence_at or session.scheduled_start
        at = wanted.pop(key.astimezone(tz).date(), None)
        if at is None:
            if not session.detached:
                await db.delete(session)  # the rule no longer meets that day: it never happened
            continue
        session.occurrence_at = at
        if session.detached:
            continue
        if (session.scheduled_start, session.duration_minutes, session.title) != (
                at, series.duration_minutes, series.title):
            session.scheduled_start = at
            session.duration_minutes, session.title = series.duration_minutes, series.title
            session.sequence += 1
    await db.flush()


def _skip_list(days: list[date]) -> list[str]:
    return sorted({d.isoformat() for d in days})


async def list_series(db: AsyncSession, group_id: uuid.UUID) -> list[Series]:
    return list(await db.scalars(select(Series).where(Series.group_id == group_id)
                                 .order_by(Series.created_at)))


async def get_series(db: AsyncSession, series_id: uuid.UUID) -> Series:
    series = await db.get(Series, series_id)
    if series is None:
        raise NotFound("series_not_found", "no such series")
    return series
