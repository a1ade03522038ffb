"""What a programme lead sees of the groups once they run: counts only.

Never a name next to anything: not who came to a session, not who came at all, not what anyone
said. Sessions held and attendance are totals per group (member-sessions attended), and a
group's members are a count. The check-out pulse is pooled over every session of the
programme's groups, each question shown only when at least five answered (app/checkout).
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.models import AttendanceRecord
from app.checkout.service import pooled_figures
from app.core.db import utcnow
from app.groups.models import Group
from app.members.models import Member, Role
from app.programmes.models import Person, PersonStatus, Placement, Programme
from app.programmes.schemas import Figures, GroupFigures
from app.sessions.models import Session, SessionStatus


async def figures(db: AsyncSession, programme: Programme) -> Figures:
    """The programme's counts (no names, nothing per session)."""
    now = utcnow()
    statuses = dict((await db.execute(
        select(Person.status, func.count()).where(Person.programme_id == programme.id)
        .group_by(Person.status))).all())
    rows = (await db.execute(
        select(Placement, Group).join(Group, Group.id == Placement.group_id)
        .where(Placement.programme_id == programme.id, Group.archived_at.is_(None))
        .order_by(Placement.number))).all()
    groups = []
    for placement, group in rows:
        members = await db.scalar(select(func.count()).select_from(Member).where(
            Member.group_id == group.id, Member.role == Role.member, Member.started_at <= now,
            or_(Member.ended_at.is_(None), Member.ended_at > now)))
        held = await db.scalar(select(func.count()).select_from(Session).where(
            Session.group_id == group.id, Session.status == SessionStatus.ended,
            Session.started_at.is_not(None)))
        attended = await db.scalar(select(func.count()).select_from(AttendanceRecord).where(
            AttendanceRecord.group_id == group.id))
        groups.append(GroupFigures(number=placement.number, slot=placement.slot,
                                   cohort=placement.cohort, members=members or 0,
                                   sessions_held=held or 0, attendances=attended or 0))
    return Figures(
        people=sum(statuses.values()), invited=statuses.get(PersonStatus.invited, 0),
        left=statuses.get(PersonStatus.left, 0), groups_running=len(groups),
        sessions_held=sum(g.sessions_held for g in groups),
        attendances=sum(g.attendances for g in groups), groups=groups,
        pulse=await pooled_figures(db, [group.id for _, group in rows]))
