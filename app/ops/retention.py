"""Deleting what is past its retention period (`rounds purge`, or `python -m app.ops.retention`).

What goes, with the setting that says when (docs/data-flow.md describes the same):

- memberships that ended more than ``retention_ended_member_days`` ago: the row holds a display
  name, maybe an email and a device-key hash;
- invites that expired or were revoked more than ``retention_ended_member_days`` ago (their
  label may name the person invited);
- sessions that ended more than ``retention_ended_session_days`` ago, and sessions that were
  never held and were scheduled that long ago;
- the live state of sessions left open or live 12 hours after their scheduled end (the
  sessions are ended);
- audit records older than ``retention_audit_days``; each purge records itself in the log, with
  its counts;
- attendance records (group, date, minutes) of dates, and certificates issued, more than
  ``retention_attendance_days`` ago;
- the people a programme lead imported, ``retention_ended_member_days`` after their rotation
  ended (their name, email, grade, site, availability and whom they avoid);
- the outbox's records of emails sent or failed more than ``mail_keep_days`` ago (they hold no
  address or content: that goes as soon as an email is sent or given up).

Run it daily (a cron job or a systemd timer: docs/operations.md). It deletes in one transaction
and reports counts only. A failed run is loud: `rounds purge` exits 1, writes the log line
``retention purge failed`` (level error, logger ``rounds.retention``), and the serving process's
/metrics shows it (``app.ops.purge_status``).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance import service as attendance
from app.audit import service as audit
from app.core.config import Settings
from app.core.db import checkpoint, create_engine, db_factory, transaction, utcnow
from app.core.rooms import LiveRooms
from app.facilitation.models import Revocation
from app.facilitation.store import OFFLINE
from app.invites.models import Invite
from app.mail import outbox
from app.members.models import Member
from app.ops.logging import Safe, configure_logging
from app.ops.purge_status import record, status_path
from app.programmes.models import Person
from app.sessions.models import Session, SessionStatus
from app.sessions.service import end_session

log = logging.getLogger("rounds.retention")
Step = Callable[[AsyncSession, Settings, datetime, LiveRooms], Awaitable[int]]


async def _rowcount(db: AsyncSession, statement: object) -> int:
    result = await db.execute(statement)  # type: ignore[call-overload]
    return int(result.rowcount or 0)


async def purge_members(
    db: AsyncSession, settings: Settings, now: datetime, rooms: LiveRooms
) -> int:
    """Memberships that ended before the cutoff."""
    cutoff = now - timedelta(days=settings.retention_ended_member_days)
    return await _rowcount(db, delete(Member).where(
        Member.ended_at.is_not(None), Member.ended_at < cutoff))


async def purge_invites(
    db: AsyncSession, settings: Settings, now: datetime, rooms: LiveRooms
) -> int:
    """Invites that stopped working before the cutoff."""
    cutoff = now - timedelta(days=settings.retention_ended_member_days)
    return await _rowcount(db, delete(Invite).where(or_(
        Invite.expires_at < cutoff,
        and_(Invite.revoked_at.is_not(None), Invite.revoked_at < cutoff))))


async def purge_sessions(
    db: AsyncSession, settings: Settings, now: datetime, rooms: LiveRooms
) -> int:
    """Sessions that ended (or were never held) before the cutoff."""
    cutoff = now - timedelta(days=settings.retention_ended_session_days)
    ended = and_(Session.status == SessionStatus.ended,
                 func.coalesce(Session.ended_at, Session.scheduled_start) < cutoff)
    never_held = and_(Session.status.in_((SessionStatus.scheduled, SessionStatus.open)),
                      Session.scheduled_start < cutoff)
    return await _rowcount(db, delete(Session).where(or_(ended, never_held)))


FORGOTTEN_AFTER = timedelta(hours=12)


async def close_forgotten_sessions(
    db: AsyncSession, settings: Settings, now: datetime, rooms: LiveRooms
) -> int:
    """Sessions still open or live 12 hours after their scheduled end: end them and delete their
    live state (who held which turn, for how long), which must not outlive a session."""
    candidates = await db.scalars(select(Session).where(
        Session.status.in_((SessionStatus.open, SessionStatus.live)),
        Session.scheduled_start < now - FORGOTTEN_AFTER))
    forgotten = [
        s for s in candidates
        if s.scheduled_start + timedelta(minutes=s.duration_minutes) + FORGOTTEN_AFTER < now
    ]
    for session in forgotten:
        await end_session(db, session, rooms=rooms, at=now)
    return len(forgotten)


async def purge_revocations(
    db: AsyncSession, settings: Settings, now: datetime, rooms: LiveRooms
) -> int:
    """Revocations that can no longer refuse anything: every token they covered has expired."""
    cutoff = now - timedelta(seconds=settings.join_token_seconds)
    return await _rowcount(db, delete(Revocation).where(Revocation.revoked_at < cutoff))


async def purge_audit(
    db: AsyncSession, settings: Settings, now: datetime, rooms: LiveRooms
) -> int:
    """Audit records older than their own retention period."""
    return await audit.purge(db, before=now - timedelta(days=settings.retention_audit_days))


async def purge_attendance(
    db: AsyncSession, settings: Settings, now: datetime, rooms: LiveRooms
) -> int:
    """Attendance records and certificates past ``retention_attendance_days``."""
    return await attendance.purge(db, now=now, days=settings.retention_attendance_days)


async def purge_outbox(
    db: AsyncSession, settings: Settings, now: datetime, rooms: LiveRooms
) -> int:
    """The outbox's records of emails sent or failed before ``mail_keep_days``."""
    return await outbox.purge(db, before=now - timedelta(days=settings.mail_keep_days))


async def purge_programme_people(
    db: AsyncSession, settings: Settings, now: datetime, rooms: LiveRooms
) -> int:
    """People imported into a programme whose rotation ended before the cutoff."""
    cutoff = (now - timedelta(days=settings.retention_ended_member_days)).date()
    return await _rowcount(db, delete(Person).where(Person.rotation_end < cutoff))


STEPS: dict[str, Step] = {
    "forgotten_sessions": close_forgotten_sessions,
    "members": purge_members,
    "invites": purge_invites,
    "sessions": purge_sessions,
    "revocations": purge_revocations,
    "audit": purge_audit,
    "attendance": purge_attendance,
    "outbox": purge_outbox,
    "programme_people": purge_programme_people,
}


async def purge(db: AsyncSession, settings: Settings, *, now: datetime | None = None,
                rooms: LiveRooms = OFFLINE) -> dict[str, int]:
    """Delete everything past retention; counts of rows deleted, by kind. Never commits. A
    server's own purge passes its live rooms; `rounds purge` has none (``OFFLINE``): the
    server notices the sessions it ended at their next change."""
    now = now or utcnow()
    counts = {name: await step(db, settings, now, rooms) for name, step in STEPS.items()}
    await audit.record(db, actor=audit.SYSTEM, action=audit.Action.retention_purge,
                       object_type="retention", detail=counts)
    log.info("retention purge", extra={f"deleted_{k}": v for k, v in counts.items()})
    return counts


async def run(settings: Settings) -> dict[str, int]:
    """One purge in its own engine and transaction (the `rounds purge` command)."""
    engine = create_engine(settings.db_url)
    counts: dict[str, int] = {}
    try:
        # The loop runs once; leaving it normally is what commits.
        factory = db_factory(engine)
        async for db in transaction(factory):
            counts = await purge(db, settings)
        await checkpoint(factory)  # nothing deleted stays readable in SQLite's log
    finally:
        await engine.dispose()
    return counts


def main(settings: Settings | None = None) -> int:
    """`rounds purge`: purge, record the outcome, print the counts. 0 on success, 1 on failure
    (with the log line ``retention purge failed``)."""
    try:
        settings = settings or Settings()
    except ValueError as exc:
        sys.exit(f"rounds: refusing to start: {exc}")
    configure_logging(settings)
    try:
        counts = asyncio.run(run(settings))
    except Exception as exc:  # noqa: BLE001 - any failure is reported the same loud way
        log.error("retention purge failed", exc_info=True,
                  extra={"error": Safe(type(exc).__name__)})
        record(status_path(settings), ok=False, at=time.time())
        print(f"rounds: retention purge failed ({type(exc).__name__}); nothing was deleted",
              file=sys.stderr)
        return 1
    record(status_path(settings), ok=True, at=time.time())
    print(" ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
