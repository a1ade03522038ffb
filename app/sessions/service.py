"""Sessions: one meeting of a group, and the join tokens that admit people to its room."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import utcnow
from app.core.errors import Conflict, Forbidden, Gone, NotFound
from app.core.rooms import LiveRooms
from app.groups.models import Group
from app.mail.postbox import Postbox
from app.members.models import FACILITATING, Member
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


async def update_session(
    db: AsyncSession, session: Session, *, changes: dict[str, object], rooms: LiveRooms,
    postbox: Postbox | None = None,
) -> Session:
    """Reschedule a session or move it on (open, live, ended: see ``TRANSITIONS``). With a
    ``postbox``, members are emailed when a coming session moves, changes length, or is ended
    before it was held (a cancellation)."""
    status = changes.pop("status", None)
    now, old_start, old_minutes = utcnow(), session.scheduled_start, session.duration_minutes
    if status is S.ended and session.status is not S.live and session.scheduled_start > now:
        await notices.session_cancelled(db, postbox, session, now=now)
    if session.status is S.ended and changes:
        raise Conflict("session_ended", "an ended session cannot change")
    if status is not None and status != session.status:
        if status not in TRANSITIONS[session.status]:
            raise Conflict("bad_transition", f"a {session.status} session cannot become {status}")
        if status is S.ended:
            await end_session(db, session, rooms=rooms)
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


async def end_session(
    db: AsyncSession, session: Session, *, rooms: LiveRooms, at: datetime | None = None
) -> None:
    """End a session: the one way any session ends (the facilitator, archiving its group, the
    retention purge). Its live state is deleted and its join tokens withdrawn in this
    transaction; once that commits, its room closes and nothing of it stays in memory."""
    if session.status is S.ended:
        return
    session.status, session.ended_at = S.ended, at or utcnow()
    await rooms.end_session(db, session.id)


async def end_all(db: AsyncSession, group_id: uuid.UUID, *, rooms: LiveRooms) -> None:
    """End every session of a group that has not ended."""
    sessions = await db.scalars(
        select(Session).where(Session.group_id == group_id, Session.status != S.ended))
    for session in list(sessions):
        await end_session(db, session, rooms=rooms)


def check_joinable(
    session: Session, member: Member, group: Group, *, ground_rules_version: int
) -> None:
    """A member may enter only an open or live session of their group, having acknowledged the
    current ground rules (facilitators may also enter a scheduled one)."""
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
    if session.status not in joinable:
        raise Conflict("session_not_open", f"this session is {session.status}")


def issue_join_token(
    secret: bytes,
    session: Session,
    member: Member,
    group: Group,
    *,
    ground_rules_version: int,
    ttl_seconds: int,
) -> tuple[str, datetime]:
    """Admit a member to the session's room, only once the current ground rules are acknowledged."""
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
        ),
    )
    return token, expires
