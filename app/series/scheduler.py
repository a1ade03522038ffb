"""The schedule's clock: lobbies open by themselves at their join window, and each series has
its sessions made for the coming weeks.

One task in the app (started in the lifespan). Each ``tick(now)`` is one unit of work and takes
the time as an argument, so tests drive it with any clock and no sleeping; the loop sleeps until
the next lobby is due to open, at most ``every`` seconds, and makes sessions at most hourly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import transaction, utcnow
from app.core.rooms import LiveRooms
from app.series.service import materialise_all
from app.sessions.service import next_opening, open_due

log = logging.getLogger("rounds.schedule")
MATERIALISE_EVERY = timedelta(hours=1)


class Scheduler:
    """Opens lobbies when their window comes and keeps series' sessions made ahead."""

    def __init__(self, db: async_sessionmaker[AsyncSession], rooms: LiveRooms, *,
                 clock: Callable[[], datetime] = utcnow, every: float = 30.0) -> None:
        self.db, self.rooms, self.clock, self.every = db, rooms, clock, every
        self._made_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    async def tick(self, now: datetime | None = None) -> datetime | None:
        """Do what is due at ``now``; the next moment a lobby is due to open, if known."""
        now = now or self.clock()
        due: datetime | None = None
        async for db in transaction(self.db):  # (a return inside would roll back)
            if self._made_at is None or now - self._made_at >= MATERIALISE_EVERY:
                await materialise_all(db, now=now)
                self._made_at = now
            opened = await open_due(db, now=now, rooms=self.rooms)
            if opened:
                log.info("opened %d lobbies at their join window", len(opened))
            due = await next_opening(db, now=now)
        return due

    async def _run(self) -> None:
        while True:
            wait = self.every
            try:
                due = await self.tick()
                if due is not None:
                    wait = min(wait, max(0.5, (due - self.clock()).total_seconds()))
            except Exception:  # the database is down: try again at the next round
                log.exception("could not run the schedule")
            await asyncio.sleep(wait)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
