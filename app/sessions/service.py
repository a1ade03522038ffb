"""Sessions: one meeting of a group, and the join tokens that admit people to its room."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import SYSTEM, Action, Actor, record
from app.core.db import utcnow
from app.core.errors import Conflict, Forbidden, Gone, NotFound
from app.core.rooms import LiveRooms
from app.groups.models import Group, LateJoin
from app.groups.service import archive_group as mark_archived
from app.mail.postbox import Postbox
from app.members.models import FACILITATING, Member
from app.members.service import end_membership, list_members
from app.sessions import notices
from app.sessions.models import Session, SessionStatus
from rtc import jointoken

S = SessionStatus
TRANSITIONS: dict[SessionStatus, set[SessionStatus]] = {
    S.scheduled: {S.open, S.live, S.ended},
    S.open: {S.live, S.ended},
    S.live: {S.ended},
    S.ended: set(),
}


async def create_session(
    db: AsyncSession, group: Group, *, scheduled_start: datetime, duration_minutes: int, title: str
) -> Session:
    session = Session(
        group_id=group.id,
        scheduled_start=scheduled_start,
        duration_minutes=duration_minutes,
        title=title.strip(),
    )
    db.add(session)
    await db.flush()
    return session


async def list_sessions(db: AsyncSession, group_id: uuid.UUID) -> list[Session]:
    return list(
        await db.scalars(
            select(Session).where(Session.group_id == group_id).order_by(Session.scheduled_start)
        )
    )


async def get_session(db: AsyncSession, session_id: uuid.UUID) -> Session:
    session = await db.get(Session, session_id)
    if session is None:
        raise NotFound("session_not_found", "no such session")
    return session


async def next_session(db: AsyncSession, group_id: uuid.UUID) -> Session | None:
    """The session a member would join next: a live or open one, else the next scheduled."""
    now = utcnow()
    return await db.scalar(
        select(Session)
        .where(
            Session.group_id == group_id,
            Session.status != S.ended,
            Session.scheduled_start > now - timedelta(hours=12),
        )
        .order_by(Session.scheduled_start)
        .limit(1)
    )


RESCHEDULING = ("scheduled_start", "duration_minutes", "title")
"""What a calendar shows of a session: changing any moves its SEQUENCE on."""


async def update_session(
    db: AsyncSession, session: Session, *, changes: dict[str, object], rooms: LiveRooms,
    by: Actor = SYSTEM,
    postbox: Postbox | None = None,
) -> Session:
    """Reschedule a session or move it on (open, live, ended: see ``TRANSITIONS``). An
    occurrence of a series that is rescheduled becomes ``detached``: edits of the whole series
    leave it as it is. With a ``postbox``, members are emailed when a coming session moves,
    changes length, or is ended before it was held (a cancellation)."""
    status = changes.pop("status", None)
    now, old_start, old_minutes = utcnow(), session.scheduled_start, session.duration_minutes
    if status is S.ended and session.status is not S.live and session.scheduled_start > now:
        await notices.session_cancelled(db, postbox, session, now=now)
    if session.status is S.ended and changes:
        raise Conflict("session_ended", "an ended session cannot change")
    if any(k in changes and changes[k] != getattr(session, k) for k in RESCHEDULING):
        session.sequence += 1
        session.detached = session.series_id is not None
    if status is not None and status != session.status:
        if status not in TRANSITIONS[session.status]:
            raise Conflict("bad_transition", f"a {session.status} session cannot become {status}")
        if status is S.ended:
            await end_session(db, session, rooms=rooms, by=by)
        else:
            if status is S.live:
                session.started_at = utcnow()
            session.status = SessionStatus(str(status))
            rooms.session_changed(db, session.id, session.status.value)
    for key, value in changes.items():
        setattr(session, key, value)
    await db.flush()
    moved = (session.scheduled_start, session.duration_minutes) != (old_start, old_minutes)
    if moved and session.status in (S.scheduled, S.open) and old_start > now:
        await notices.session_changed(db, postbox, session, old_start=old_start, now=now)
    return session


async def cancel_session(
    db: AsyncSession, session: Session, *, reason: str, rooms: LiveRooms,
    postbox: Postbox | None = None, by: Actor = SYSTEM,
) -> Session:
    """Cancel a session that has not taken place: it ends, and its members see why (on their
    group's page, in their calendars as STATUS:CANCELLED, and by email with a ``postbox``)."""
    if session.status not in (S.scheduled, S.open):
        raise Conflict("not_cancellable", f"a {session.status} session cannot be cancelled")
    session.cancel_reason = " ".join(reason.split())[:200]
    session.sequence += 1
    if session.series_id is not None:
        session.detached = True
    await notices.session_cancelled(db, postbox, session, now=utcnow(),
                                    reason=session.cancel_reason)
    await end_session(db, session, rooms=rooms, by=by)
    await db.flush()
    return session


async def cancelled_ahead(db: AsyncSession, group_id: uuid.UUID, *, now: datetime
                          ) -> list[Session]:
    """A group's cancelled sessions that were still to come (members are told)."""
    return list(await db.scalars(
        select(Session).where(Session.group_id == group_id, Session.cancel_reason.is_not(None),
                              Session.scheduled_start > now)
        .order_by(Session.scheduled_start)))


def opens_at(session: Session, group: Group) -> datetime:
    """When the lobby of a scheduled session opens by itself (the group's join window)."""
    return session.scheduled_start - timedelta(minutes=group.join_window_minutes)


async def open_if_due(db: AsyncSession, session: Session, group: Group, *, now: datetime,
                      rooms: LiveRooms) -> bool:
    """Open the lobby of a scheduled session whose join window has come (and that has not run
    past its end): True if it opened now."""
    if not due(session, group, now=now):
        return False
    await update_session(db, session, changes={"status": S.open}, rooms=rooms)
    return True


MAX_WINDOW = timedelta(minutes=120)


async def open_due(db: AsyncSession, *, now: datetime, rooms: LiveRooms) -> list[Session]:
    """Open every lobby whose join window has come: the schedule's clock (the series scheduler
    calls it; a join computes the same on read)."""
    rows = await db.execute(
        select(Session, Group).join(Group, Group.id == Session.group_id).where(
            Session.status == S.scheduled,
            Session.scheduled_start <= now + MAX_WINDOW,
            Session.scheduled_start > now - timedelta(hours=8)))
    return [session for session, group in rows.all()
            if await open_if_due(db, session, group, now=now, rooms=rooms)]


async def next_opening(db: AsyncSession, *, now: datetime) -> datetime | None:
    """The soonest moment a scheduled lobby is due to open (for the scheduler's sleep)."""
    rows = await db.execute(
        select(Session.scheduled_start, Group.join_window_minutes)
        .join(Group, Group.id == Session.group_id)
        .where(Session.status == S.scheduled, Session.scheduled_start > now,
               Session.scheduled_start <= now + MAX_WINDOW + timedelta(hours=1)))
    times = [start - timedelta(minutes=window) for start, window in rows.all()]
    return min(times, default=None)


def lateness(session: Session, group: Group, *, now: datetime) -> LateJoin | None:
    """The group's late-join rule if a member arriving ``now`` is late, else None."""
    if now < session.scheduled_start + timedelta(minutes=group.late_after_minutes):
        return None
    return group.late_join


async def end_session(
    db: AsyncSession, session: Session, *, rooms: LiveRooms, at: datetime | None = None,
    by: Actor = SYSTEM,
) -> None:
    """End a session: the one way any session ends (the facilitator, archiving its group, the
    retention purge). Its live state is deleted and its join tokens withdrawn in this
    transaction; once that commits, its room closes and nothing of it stays in memory. The end
    is audited, ``by`` whom."""
    if session.status is S.ended:
        return
    session.status, session.ended_at = S.ended, at or utcnow()
    await rooms.end_session(db, session.id)
    await record(db, actor=by, action=Action.session_end, object_type="session",
                 object_id=session.id)


async def end_all(
    db: AsyncSession, group_id: uuid.UUID, *, rooms: LiveRooms, by: Actor = SYSTEM
) -> None:
    """End every session of a group that has not ended."""
    sessions = await db.scalars(
        select(Session).where(Session.group_id == group_id, Session.status != S.ended))
    for session in list(sessions):
        await end_session(db, session, rooms=rooms, by=by)


async def archive_group(
    db: AsyncSession, group: Group, *, rooms: LiveRooms, by: Actor
) -> Group:
    """Archive a group: its sessions end (their rooms close), and every membership ends, the
    facilitators' too, so that retention deletes them on schedule; its facilitators at the time
    still see the archived group until then (``groups.service.managed_group``)."""
    await mark_archived(db, group)
    await end_all(db, group.id, rooms=rooms, by=by)
    for member in await list_members(db, group.id, include_ended=False):
        await end_membership(db, member, rooms=rooms, by=by)
    await record(db, actor=by, action=Action.group_archive, object_type="group",
                 object_id=group.id)
    return group


def due(session: Session, group: Group, *, now: datetime) -> bool:
    """A scheduled session whose join window has come and which has not run past its end."""
    end = session.scheduled_start + timedelta(minutes=session.duration_minutes)
    return (session.status is S.scheduled and group.archived_at is None
            and opens_at(session, group) <= now < end)


def check_joinable(
    session: Session, member: Member, group: Group, *, ground_rules_version: int,
    now: datetime | None = None,
) -> None:
    """A member may enter only an open or live session of their group (or a scheduled one
    whose join window has come), having acknowledged the current ground rules (facilitators
    may also enter a scheduled one)."""
    if ground_rules_version != group.ground_rules_version:
        raise Conflict(
            "ground_rules_changed",
            "the ground rules have changed: read and acknowledge the current version",
        )
    if member.group_id != session.group_id:
        raise Forbidden("not_your_group", "this session belongs to another group")
    if group.archived_at is not None:
        raise Gone("group_archived", "this group has closed")
    joinable = {S.open, S.live} | ({S.scheduled} if member.role in FACILITATING else set())
    if session.status not in joinable and not due(session, group, now=now or utcnow()):
        raise Conflict("session_not_open", f"this session is {session.status}")


def issue_join_token(
    secret: bytes,
    session: Session,
    member: Member,
    group: Group,
    *,
    ground_rules_version: int,
    ttl_seconds: int,
    worker: str | None = None,
) -> tuple[str, datetime]:
    """Admit a member to the session's room (on its media ``worker``, if it has one), only once
    the current ground rules are acknowledged."""
    check_joinable(session, member, group, ground_rules_version=ground_rules_version)
    expires = utcnow() + timedelta(seconds=ttl_seconds)
    token = jointoken.issue(
        secret,
        jointoken.JoinClaims(
            room=str(session.id),
            participant=str(member.id),
            role=member.role.value,
            name=member.display_name,
            expires_at=int(expires.timestamp()),
            worker=worker,
        ),
    )
    return token, expires
