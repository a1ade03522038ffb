"""Emails about a group's sessions: changes, cancellations and reminders, queued in the outbox.

Each goes to the group's current members who gave an email (facilitators: their account's);
reminders only to those who have not turned them off. The words are ``app.mail.compose``'s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.groups.models import Group
from app.mail import compose, outbox
from app.mail.models import MailKind
from app.mail.postbox import Postbox
from app.members.models import Member
from app.sessions.models import Session, SessionStatus

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


EventBuilder = Callable[[AsyncSession, Session, Group, str], Awaitable[str]]
"""Builds a session's calendar event (iCalendar text) for an email, given the group page link."""
_events: EventBuilder | None = None


def use_calendar(build: EventBuilder) -> None:
    """Where emails get a session's calendar event: the calendar feeds' builder (``app.calendar``
    sits above this layer, so the app hands it down when it starts)."""
    global _events
    _events = build


async def calendar_event(db: AsyncSession, session: Session, group: Group, link: str
                         ) -> str | None:
    """The session's event, as in the person's calendar feed (same UID and SEQUENCE; STATUS
    CANCELLED once cancelled), that every email about it attaches as ``session.ics``."""
    return None if _events is None else await _events(db, session, group, link)


def group_page(postbox: Postbox, group: Group) -> str:
    return postbox.link(f"/lobby?group={group.id}")


async def recipients(db: AsyncSession, group_id: object, now: datetime, *,
                     reminders: bool = False) -> list[Member]:
    """Current members of the group with an email (who want reminders, if ``reminders``)."""
    query = select(Member).where(
        Member.group_id == group_id, Member.email.is_not(None), Member.started_at <= now,
        or_(Member.ended_at.is_(None), Member.ended_at > now))
    if reminders:
        query = query.where(Member.reminders.is_(True))
    return list(await db.scalars(query.order_by(Member.started_at)))


async def session_changed(db: AsyncSession, postbox: Postbox | None, session: Session, *,
                          old_start: datetime, now: datetime) -> int:
    """Tell the group a session moved or changed length; the number of emails queued."""
    if postbox is None or not postbox.enabled:
        return 0
    group = await db.get(Group, session.group_id)
    assert group is not None
    email = compose.changed(old_start=old_start, start=session.scheduled_start,
                            minutes=session.duration_minutes, timezone=group.timezone,
                            link=group_page(postbox, group))
    return await _to_all(db, MailKind.change, email, await recipients(db, group.id, now), now,
                         await calendar_event(db, session, group, group_page(postbox, group)))


async def session_cancelled(db: AsyncSession, postbox: Postbox | None, session: Session, *,
                            now: datetime, reason: str = "") -> int:
    """Tell the group a session will not take place (with the facilitator's reason)."""
    if postbox is None or not postbox.enabled or session.scheduled_start <= now:
        return 0
    group = await db.get(Group, session.group_id)
    assert group is not None
    email = compose.cancelled(start=session.scheduled_start, timezone=group.timezone,
                              link=group_page(postbox, group), reason=reason)
    return await _to_all(db, MailKind.cancellation, email, await recipients(db, group.id, now),
                         now, await calendar_event(db, session, group, group_page(postbox, group)))


async def _to_all(db: AsyncSession, kind: MailKind, email: compose.Email, members: list[Member],
                  now: datetime, calendar: str | None, key: str | None = None) -> int:
    queued = 0
    for member in members:
        assert member.email is not None
        dedupe = None if key is None else f"{key}:{member.id}"
        if await outbox.queue(db, kind=kind, to=member.email, subject=email.subject,
                              body=email.body, now=now, calendar=calendar, dedupe_key=dedupe):
            queued += 1
    return queued


async def queue_reminders(db: AsyncSession, postbox: Postbox, now: datetime) -> int:
    """Queue the reminders that are due at ``now``: the day before a session (once it is less
    than a day away) and an hour before. Each is queued once per member, session and start time
    (a moved session is reminded of again); a session less than an hour away gets only the
    hour's. The number queued."""
    if not postbox.enabled:
        return 0
    rows = await db.execute(
        select(Session, Group).join(Group, Group.id == Session.group_id)
        .where(Session.status.in_((SessionStatus.scheduled, SessionStatus.open)),
               Session.scheduled_start > now, Session.scheduled_start <= now + DAY,
               Group.archived_at.is_(None)))
    queued = 0
    for session, group in rows:
        soon = session.scheduled_start - now <= HOUR
        email = compose.reminder(start=session.scheduled_start, minutes=session.duration_minutes,
                                 timezone=group.timezone, link=group_page(postbox, group),
                                 soon=soon)
        key = (f"reminder:{'hour' if soon else 'day'}:{session.id}:"
               f"{int(session.scheduled_start.timestamp())}")
        members = await recipients(db, group.id, now, reminders=True)
        queued += await _to_all(db, MailKind.reminder, email, members, now,
                                await calendar_event(db, session, group,
                                                     group_page(postbox, group)), key)
    return queued
