"""The outbox's rows: queue an email, claim it, record what the SMTP server said.

Theory of operation
-------------------
A service queues an email in its own transaction (``queue``), so an email exists exactly when
the change that caused it is committed. The sender (``app.mail.sender``) then, for each due row:

1. claims it with one conditional UPDATE (``queued`` and due → ``sending``, one more attempt),
   committed on its own: of two senders only one gets rowcount 1;
2. records ``handed_over_at`` (committed) just before the content goes to the server (DATA);
3. marks it ``sent`` once the server has answered 250, deleting its address, subject, body and
   calendar event in the same UPDATE.

An attempt that fails before step 2 was never received: the row goes back to ``queued`` with an
exponential back-off (``mail_retry_seconds`` doubling, at most an hour) until
``mail_max_attempts``. A server that refuses for good (a 5xx) fails the row at once. When the
outcome is unknown (the connection broke after DATA, before the server's answer; or the process
died with the row ``sending`` and ``handed_over_at`` set) the server may have taken the email,
so it is *not* sent again: it fails with ``outcome_unknown``. Sending twice is the worse error
for a doctor (a second reminder, a second invite) and an unknown outcome is rare; the admin sees
the count. A row a crash left ``sending`` *without* ``handed_over_at`` is safe to retry and is
queued again (``recover``). Content lives only while a row is queued or sending.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.mail.models import MailKind, MailStatus, OutboxMessage

MAX_BACKOFF = timedelta(hours=1)
FORGET_CONTENT = {"recipient": None, "subject": None, "body": None, "calendar": None}


async def queue(db: AsyncSession, *, kind: MailKind, to: str, subject: str, body: str,
                now: datetime, calendar: str | None = None,
                dedupe_key: str | None = None) -> OutboxMessage | None:
    """Queue an email in the caller's transaction; None if one with ``dedupe_key`` exists."""
    if dedupe_key is not None and await db.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    message = OutboxMessage(kind=kind, recipient=to, subject=subject, body=body,
                            calendar=calendar, dedupe_key=dedupe_key, next_attempt_at=now,
                            created_at=now)
    db.add(message)
    await db.flush()
    return message


async def due(db: AsyncSession, now: datetime, limit: int = 50) -> list[uuid.UUID]:
    """Queued emails whose time has come, oldest first."""
    return list(await db.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == MailStatus.queued, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at).limit(limit)))


async def claim(db: AsyncSession, message_id: uuid.UUID, now: datetime) -> OutboxMessage | None:
    """Take a due email for sending (one more attempt); None if another sender has it."""
    result = await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == MailStatus.queued,
               OutboxMessage.next_attempt_at <= now)
        .values(status=MailStatus.sending, claimed_at=now, handed_over_at=None,
                attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return await db.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id)
                           .execution_options(populate_existing=True))


async def _settle(db: AsyncSession, message_id: uuid.UUID, **values: object) -> None:
    await db.execute(update(OutboxMessage)
                     .where(OutboxMessage.id == message_id,
                            OutboxMessage.status == MailStatus.sending)
                     .values(**values).execution_options(synchronize_session=False))


async def handed_over(db: AsyncSession, message_id: uuid.UUID, now: datetime) -> None:
    """The content is about to go to the server: from now on a crash leaves it unknown."""
    await _settle(db, message_id, handed_over_at=now)


async def sent(db: AsyncSession, message_id: uuid.UUID, now: datetime) -> None:
    """The server took it: sent, and its content is deleted."""
    await _settle(db, message_id, status=MailStatus.sent, sent_at=now, last_error=None,
                  **FORGET_CONTENT)


def backoff(attempts: int, first: timedelta) -> timedelta:
    """The wait after ``attempts`` failed attempts: ``first``, doubling, at most an hour."""
    return min(first * 2 ** max(0, attempts - 1), MAX_BACKOFF)


async def retry_later(db: AsyncSession, message: OutboxMessage, now: datetime, *, error: str,
                      first: timedelta, max_attempts: int) -> MailStatus:
    """Not received: queue it again after the back-off, or fail it after the last attempt."""
    if message.attempts >= max_attempts:
        await fail(db, message.id, error=error)
        return MailStatus.failed
    await _settle(db, message.id, status=MailStatus.queued, last_error=error[:120],
                  next_attempt_at=now + backoff(message.attempts, first))
    return MailStatus.queued


async def fail(db: AsyncSession, message_id: uuid.UUID, *, error: str) -> None:
    """Give up on it (never retried); its content is deleted."""
    await _settle(db, message_id, status=MailStatus.failed, last_error=error[:120],
                  **FORGET_CONTENT)


async def recover(db: AsyncSession, *, stale_before: datetime) -> tuple[int, int]:
    """Rows left ``sending`` by a sender that stopped: queued again if the server never got
    their content, failed as ``outcome_unknown`` if it may have. (requeued, failed)."""
    stale = and_(OutboxMessage.status == MailStatus.sending,
                 OutboxMessage.claimed_at < stale_before)
    requeued = await db.execute(
        update(OutboxMessage).where(stale, OutboxMessage.handed_over_at.is_(None))
        .values(status=MailStatus.queued, last_error="interrupted")
        .execution_options(synchronize_session=False))
    unknown = await db.execute(
        update(OutboxMessage).where(stale, OutboxMessage.handed_over_at.is_not(None))
        .values(status=MailStatus.failed, last_error="outcome_unknown", **FORGET_CONTENT)
        .execution_options(synchronize_session=False))
    return int(requeued.rowcount or 0), int(unknown.rowcount or 0)  # type: ignore[attr-defined]


async def counts(db: AsyncSession) -> dict[str, int]:
    """How many emails are in each status (never who to or what)."""
    rows = await db.execute(select(OutboxMessage.status, func.count())
                            .group_by(OutboxMessage.status))
    found = {str(status): int(n) for status, n in rows}
    return {status.value: found.get(status.value, 0) for status in MailStatus}


async def purge(db: AsyncSession, *, before: datetime) -> int:
    """Delete the records of emails sent or failed before ``before`` (they hold no content)."""
    result = await db.execute(delete(OutboxMessage).where(or_(
        and_(OutboxMessage.status == MailStatus.sent, OutboxMessage.sent_at < before),
        and_(OutboxMessage.status == MailStatus.failed, OutboxMessage.created_at < before))))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
