"""Attendance records and certificates: written by the live session's task, read by the doctor
(their own), a group's facilitators (who came) and admins (counts per group, never names)."""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.attendance.models import AttendanceRecord, Certificate
from app.core.db import utcnow
from app.core.errors import Forbidden, NotFound
from app.core.security import same_hash, token_hash
from app.groups.models import Group
from app.members.models import FACILITATING, Member
from app.sessions.models import Session

CODE_BYTES = 15
"""120 random bits: 24 base32 characters, shown in six groups of four."""


# ---------------------------------------------------------------- written by the room


async def record(db: AsyncSession, *, session_id: uuid.UUID, member_id: uuid.UUID,
                 minutes: int) -> None:
    """Add ``minutes`` present to the member's record for the session's date (the group's
    local date), creating it if needed. Only the session's own task writes for it."""
    row = (await db.execute(select(Session.scheduled_start, Group.id, Group.timezone)
                            .join(Group, Group.id == Session.group_id)
                            .where(Session.id == session_id))).first()
    if row is None or minutes <= 0:
        return
    on = row.scheduled_start.astimezone(ZoneInfo(row.timezone)).date()
    added = await db.execute(
        update(AttendanceRecord)
        .where(AttendanceRecord.member_id == member_id, AttendanceRecord.on_date == on)
        .values(minutes=AttendanceRecord.minutes + minutes)
        .execution_options(synchronize_session=False))
    if not added.rowcount:  # type: ignore[attr-defined]
        db.add(AttendanceRecord(member_id=member_id, group_id=row.id, on_date=on,
                                minutes=minutes))
        await db.flush()


# ---------------------------------------------------------------- the doctor's own


async def records_of(db: AsyncSession, member: Member) -> list[AttendanceRecord]:
    return list(await db.scalars(select(AttendanceRecord)
                                 .where(AttendanceRecord.member_id == member.id)
                                 .order_by(AttendanceRecord.on_date)))


async def delete_mine(db: AsyncSession, member: Member) -> int:
    """The doctor deletes their records of this membership, and the certificates made from
    them (whose codes then verify nothing)."""
    gone = await db.execute(delete(AttendanceRecord)
                            .where(AttendanceRecord.member_id == member.id))
    await db.execute(delete(Certificate).where(Certificate.member_id == member.id))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


def new_code() -> str:
    """A verification code: ``ABCD-EFGH-...``, 120 random bits."""
    raw = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode()
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def normal_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


async def issue_certificate(db: AsyncSession, member: Member, group: Group
                            ) -> tuple[Certificate, list[AttendanceRecord], str]:
    """Make a certificate of the member's records; the code is returned this once."""
    records = await records_of(db, member)
    code = new_code()
    certificate = Certificate(
        member_id=member.id, code_hash=token_hash(normal_code(code)),
        display_name=member.display_name, group_name=group.name, sessions=len(records),
        minutes=sum(r.minutes for r in records),
        first_date=records[0].on_date if records else None,
        last_date=records[-1].on_date if records else None)
    db.add(certificate)
    await db.flush()
    return certificate, records, code


async def verify(db: AsyncSession, code: str) -> Certificate:
    """The one certificate this code belongs to, or NotFound."""
    digest = token_hash(normal_code(code))
    certificate = await db.scalar(select(Certificate).where(Certificate.code_hash == digest))
    if certificate is None or not same_hash(certificate.code_hash, digest):
        raise NotFound("certificate_not_found", "no certificate has this code")
    return certificate


# ---------------------------------------------------------------- facilitators and admins


async def check_facilitates(db: AsyncSession, account: Account, group_id: uuid.UUID) -> None:
    """Only the group's own facilitators see who came (an admin who does not facilitate it
    sees counts only)."""
    now = utcnow()
    found = await db.scalar(select(Member.id).where(
        Member.group_id == group_id, Member.account_id == account.id,
        Member.role.in_(FACILITATING), Member.started_at <= now,
        or_(Member.ended_at.is_(None), Member.ended_at > now)))
    if found is None:
        raise Forbidden("facilitators_only", "only the group's facilitators see who came")


@dataclass(frozen=True)
class Present:
    on_date: date
    member_id: uuid.UUID
    display_name: str
    minutes: int


async def who_came(db: AsyncSession, group_id: uuid.UUID) -> list[Present]:
    """Who came to the group's sessions, by date (newest first)."""
    rows = await db.execute(
        select(AttendanceRecord.on_date, Member.id, Member.display_name,
               AttendanceRecord.minutes)
        .join(Member, Member.id == AttendanceRecord.member_id)
        .where(AttendanceRecord.group_id == group_id)
        .order_by(AttendanceRecord.on_date.desc(), Member.display_name))
    return [Present(*row) for row in rows]


@dataclass(frozen=True)
class GroupCount:
    group_id: uuid.UUID
    group_name: str
    dates: int
    attendances: int


async def counts_per_group(db: AsyncSession) -> list[GroupCount]:
    """For admins: per group, the dates with attendance and the records: no names."""
    rows = await db.execute(
        select(Group.id, Group.name, func.count(func.distinct(AttendanceRecord.on_date)),
               func.count(AttendanceRecord.id))
        .join(AttendanceRecord, AttendanceRecord.group_id == Group.id)
        .group_by(Group.id, Group.name).order_by(Group.name))
    return [GroupCount(*row) for row in rows]


async def purge(db: AsyncSession, *, now: datetime, days: int) -> int:
    """Records of dates, and certificates issued, more than ``days`` ago."""
    cutoff = now - timedelta(days=days)
    records = await db.execute(delete(AttendanceRecord)
                               .where(AttendanceRecord.on_date < cutoff.date()))
    certificates = await db.execute(delete(Certificate).where(Certificate.created_at < cutoff))
    return int(records.rowcount or 0) + int(certificates.rowcount or 0)  # type: ignore[attr-defined]
