"""The outbox's sender: one task in the app that sends due emails (``app.mail.outbox`` says
how a row is claimed, handed over and settled, and why an unknown outcome is not retried)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.db import transaction, utcnow
from app.core.periodic import Periodic
from app.mail import outbox
from app.mail.smtp import NotSent, OutcomeUnknown, Transport, build_message, smtp_transport

log = logging.getLogger("rounds.mail")
POLL = 5.0
"""Seconds between looks for due emails."""


class Sender:
    """Sends what the outbox holds. ``deliver_due`` is one pass (the tests call it with their
    own clock); ``start`` runs passes every ``POLL`` seconds in the background."""

    def __init__(self, db: async_sessionmaker[AsyncSession], settings: Settings, *,
                 transport: Transport | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self.transport = transport or smtp_transport(settings)
        self._passes = Periodic(self.deliver_due, POLL, "outbox pass failed", log)

    async def deliver_due(self) -> dict[str, int]:
        """Send every due email once; counts of what happened (sent, retry, failed, taken)."""
        tally = {"sent": 0, "retry": 0, "failed": 0, "taken": 0}
        now = self.clock()
        async for db in transaction(self.db):
            await outbox.recover(db, stale_before=now - self._stale_after())
            ids = await outbox.due(db, now)
        for message_id in ids:
            tally[await self._deliver(message_id)] += 1
        if tally["sent"] or tally["retry"] or tally["failed"]:
            log.info("outbox pass", extra={f"mail_{k}": v for k, v in tally.items()})
        return tally

    def _stale_after(self) -> timedelta:
        return timedelta(seconds=4 * self.settings.smtp_timeout + 60)

    async def _deliver(self, message_id: object) -> str:
        now = self.clock()
        async for db in transaction(self.db):
            message = await outbox.claim(db, message_id, now)  # type: ignore[arg-type]
        if message is None:
            return "taken"
        assert message.recipient is not None and message.subject is not None
        email = build_message(self.settings, message_id=str(message.id), to=message.recipient,
                              subject=message.subject, body=message.body or "",
                              calendar=message.calendar)

        async def hand_over() -> None:
            async for db in transaction(self.db):
                await outbox.handed_over(db, message.id, self.clock())

        try:
            await self.transport(email, hand_over)
        except NotSent as exc:
            async for db in transaction(self.db):
                if exc.permanent:
                    await outbox.fail(db, message.id, error=exc.code)
                    status = "failed"
                else:
                    settled = await outbox.retry_later(
                        db, message, self.clock(), error=exc.code,
                        first=timedelta(seconds=self.settings.mail_retry_seconds),
                        max_attempts=self.settings.mail_max_attempts)
                    status = "retry" if settled == "queued" else "failed"
            log.warning("email not sent", extra={"mail_error": exc.code, "mail_outcome": status})
            return status
        except OutcomeUnknown as exc:
            async for db in transaction(self.db):
                await outbox.fail(db, message.id, error="outcome_unknown")
            log.warning("email outcome unknown; not sent again", extra={"mail_error": exc.code})
            return "failed"
        async for db in transaction(self.db):
            await outbox.sent(db, message.id, self.clock())
        return "sent"

    # ---------------------------------------------------------------- in the app

    def start(self) -> None:
        self._passes.start()

    async def stop(self) -> None:
        await self._passes.stop()
