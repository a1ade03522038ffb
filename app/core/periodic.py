"""A background pass run every so often in the app (the outbox's sender, the reminders): one
task, started and stopped with the app, that logs a failed pass and tries again next time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


class Periodic:
    """Run ``step`` every ``every`` seconds in one task; a pass that raises (the database is
    down, say) is logged as ``failed`` and the next pass comes as usual."""

    def __init__(self, step: Callable[[], Awaitable[object]], every: float, failed: str,
                 log: logging.Logger) -> None:
        self.step, self.every, self.failed, self.log = step, every, failed, log
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.step()
            except Exception:
                self.log.exception(self.failed)
            await asyncio.sleep(self.every)
