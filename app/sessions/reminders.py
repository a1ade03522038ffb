"""The task that queues session reminders as they come due (``notices.queue_reminders``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import transaction, utcnow
from app.core.periodic import Periodic
from app.mail.postbox import Postbox
from app.sessions.notices import queue_reminders

log = logging.getLogger("rounds.mail")
EVERY = 60.0
"""Seconds between looks for due reminders."""


class Reminders:
    def __init__(self, db: async_sessionmaker[AsyncSession], postbox: Postbox, *,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.db, self.postbox, self.clock = db, postbox, clock
        self._passes = Periodic(self._pass, EVERY, "could not queue reminders", log)

    async def run_once(self) -> int:
        """Queue what is due now; the number of reminders queued."""
        queued = 0
        async for db in transaction(self.db):  # leaving the loop normally is what commits
            queued = await queue_reminders(db, self.postbox, self.clock())
        return queued

    async def _pass(self) -> None:
        queued = await self.run_once()
        if queued:
            log.info("reminders queued", extra={"mail_queued": queued})

    def start(self) -> None:
        self._passes.start()

    async def stop(self) -> None:
        await self._passes.stop()
