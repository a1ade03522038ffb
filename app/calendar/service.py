"""Calendar feeds: make, replace and revoke a person's secret feed URL, and serve the feed.

A person is a doctor's membership (they have no account) or a facilitator's account (all the
groups they facilitate). The URL's secret is random; only its hash is stored (as for invites).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.calendar import ics
from app.calendar.models import CalendarFeed
from app.core.db import utcnow
from app.core.errors import NotFound
from app.core.security import new_token, token_hash
from app.groups.models import Group
from app.members.models import FACILITATING, Member
from app.series.models import Series
from app.sessions.models import Session

PAST = timedelta(days=30)
"""How far back a feed still lists sessions and stopped series."""


def _owner(member: Member | None, account: Account | None):  # type: ignore[no-untyped-def]
    return (CalendarFeed.member_id == member.id if member is not None
            else CalendarFeed.account_id == account.id if account is not None else None)


async def current(db: AsyncSession, *, member: Member | None = None,
                  account: Account | None = None) -> CalendarFeed | None:
    """The person's feed, if they have one."""
    return await db.scalar(select(CalendarFeed).where(_owner(member, account)))


async def new_link(db: AsyncSession, public_url: str, *, member: Member | None = None,
                   account: Account | None = None) -> tuple[str, CalendarFeed]:
    """A new secret URL for the person's feed; any earlier one stops working at once."""
    await revoke(db, member=member, account=account)
    token = new_token()
    feed = CalendarFeed(token_hash=token_hash(token), created_at=utcnow(),
                        member_id=member.id if member else None,
                        account_id=account.id if account else None)
    db.add(feed)
    await db.flush()
    return f"{public_url.rstrip('/')}/api/v1/calendar/{token}.ics", feed


async def revoke(db: AsyncSession, *, member: Member | None = None,
                 account: Account | None = None) -> None:
    """Stop the person's feed URL (a calendar that follows it gets 404 from now on)."""
    await db.execute(delete(CalendarFeed).where(_owner(member, account)))
    await db.flush()


async def calendar(db: AsyncSession, token: str, *, public_url: str,
                   now: datetime | None = None) -> bytes:
    """The feed a secret URL stands for (NotFound for an unknown, revoked or ended one)."""
    now = now or utcnow()
    feed = await db.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash(token)))
    if feed is None:
        raise NotFound("calendar_not_found", "no such calendar: the link may have been replaced")
    base = public_url.rstrip("/")
    if feed.member_id is not None:
        member = await db.get(Member, feed.member_id)
        if member is None or not member.active(now):
            raise NotFound("calendar_not_found", "this membership has ended")
        groups = [(member.group_id, f"{base}/lobby?group={member.group_id}")]
    else:
        groups = [(g, f"{base}/group?id={g}") for g in await db.scalars(
            select(Member.group_id).where(
                Member.account_id == feed.account_id, Member.role.in_(FACILITATING),
                Member.started_at <= now, or_(Member.ended_at.is_(None), Member.ended_at > now)))]
    plans = [plan for gid, link in groups if (plan := await _plan(db, gid, link, now))]
    return ics.build(plans, public_url=public_url, now=now)


async def _plan(db: AsyncSession, group_id: uuid.UUID, link: str, now: datetime
                ) -> ics.GroupPlan | None:
    group = await db.get(Group, group_id)
    if group is None or group.archived_at is not None:
        return None
    series = list(await db.scalars(select(Series).where(
        Series.group_id == group_id,
        or_(Series.ended_at.is_(None), Series.ended_at > now - PAST)).order_by(Series.created_at)))
    sessions = list(await db.scalars(select(Session).where(
        Session.group_id == group_id, Session.scheduled_start > now - PAST)
        .order_by(Session.scheduled_start)))
    return ics.GroupPlan(group=group, link=link, series=series, sessions=sessions)


async def session_event(db: AsyncSession, session: Session, group: Group, link: str) -> str:
    """One session's event for an email (``app.sessions.notices.use_calendar``): as the feed
    shows it, with the same UID and SEQUENCE."""
    series = await db.get(Series, session.series_id) if session.series_id else None
    return ics.session_event(session, series, group, link=link, now=utcnow()).decode()
