"""Whether the media loop keeps up, and which video to shed when it does not.

Theory of operation
-------------------
All forwarding runs inside datagram callbacks on the process's one event loop (rtc/forwarder.py),
so when the process cannot keep up - too many packets for its CPU, or another process taking
the core - the callbacks back up and the packets wait in the kernel's socket buffers, which
then drop them at random: a speaker's audio as readily as a thumbnail. A timer that should
fire every ``SAMPLE_EVERY`` seconds fires late by as long as the loop was busy or the process
was not running: that lateness (the loop's lag) is the measure here.

``Overload`` turns the lag samples into a ``level`` from 0 (keeping up) to ``LEVELS``, with
hysteresis: ``UP_AFTER`` samples in a row later than ``LATE`` raise it one level, then it holds
for ``SETTLE`` (the subscribers' allocations, every half second, need that long to act on it)
before the next rise. It falls one level after ``CALM`` seconds in which no sample was later
than ``QUIET``; a level that rises again soon after falling was needed, so the next fall waits
twice as long (up to ``CALM_MAX``), which keeps videos from going off and on every few seconds
on a server at the edge.

``shed`` is what a level means for one subscriber's videos, in that subscriber's priority
order (the floor's video first, then by recent speaking: rtc/subscriptions.py): at 1 every
video but the first keeps only its base temporal layer (a quarter of the frames), at 2 they
are paused, at 3 the first is cut to its base layer too, at 4 all video is paused. Audio is
never shed: it is a tenth of the packets, and what the room is for.

``Overload`` and ``shed`` are pure (time is an argument); ``LoopWatch`` is the thin task that
measures the lag and feeds them, one per process (rtc/hub.py), started and stopped with the
server (rtc/server.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

LEVELS = 4
"""The highest level: every video paused."""
SAMPLE_EVERY = 0.25
"""Seconds between two lag samples."""
LATE = 0.1
"""A sample later than this (seconds) counts towards a rise. Below it a datagram waits less
than a video frame's interval behind the others; a loop that keeps up is late by a few ms."""
QUIET = 0.03
"""A sample later than this stops the clock of a fall (between ``QUIET`` and ``LATE``: the
level holds)."""
UP_AFTER = 2
"""Late samples in a row that raise the level (one late sample is a pause: a garbage
collection, a slow request)."""
SETTLE = 1.0
"""Seconds after a rise before the next one: what was shed takes effect at the subscribers'
next allocation (every half second), and the socket buffers take a moment to drain."""
CALM = 5.0
"""Seconds without a late sample before the level falls by one."""
CALM_MAX = 60.0
RELAPSE = 10.0
"""A rise within this many seconds of a fall was a relapse: the next fall waits longer."""


@dataclass
class Overload:
    """The process's overload level from its loop's lag samples (pure: ``now`` is given)."""

    level: int = 0
    """0: keeping up; 1..``LEVELS``: how much video to shed (``shed``)."""
    late: int = 0
    """Late samples in a row."""
    risen_at: float = float("-inf")
    fallen_at: float = float("-inf")
    calm_since: float | None = None
    """Since when no sample was later than ``QUIET`` (None: the last one was)."""
    calm: float = CALM
    """Seconds of calm the next fall needs."""
    lag: float = 0.0
    """The latest sample, seconds."""
    worst: float = 0.0
    """The largest sample since start, seconds."""
    rises: int = 0

    def sample(self, lag: float, now: float) -> int:
        """One lag sample (seconds late) at ``now``; the level after it."""
        self.lag, self.worst = lag, max(self.worst, lag)
        self.late = self.late + 1 if lag > LATE else 0
        if lag > QUIET:
            self.calm_since = None
        elif self.calm_since is None:
            self.calm_since = now
        if self.late >= UP_AFTER and self.level < LEVELS and now - self.risen_at >= SETTLE:
            if now - self.fallen_at < RELAPSE:
                self.calm = min(self.calm * 2, CALM_MAX)
            self.level += 1
            self.late, self.risen_at, self.rises = 0, now, self.rises + 1
        elif self.level > 0 and self.calm_since is not None and now - self.calm_since >= self.calm:
            self.level -= 1
            self.fallen_at, self.calm_since = now, now
        if self.level == 0 and self.calm_since is not None \
                and now - self.calm_since >= CALM_MAX:
            self.calm = CALM  # a long calm: forget the relapses
        return self.level


def shed(layers: Mapping[str, int], order: Sequence[str], level: int) -> dict[str, int]:
    """What a subscriber gets at ``level``: ``layers`` (each video's highest temporal layer, as
    its link allows; a video missing is paused) cut for the level, ``order`` its videos by
    priority (the first: the floor's, else whoever speaks most)."""
    if level <= 0:
        return dict(layers)
    out: dict[str, int] = {}
    for n, key in enumerate(k for k in order if k in layers):
        first = n == 0
        if level >= 4 or (level >= 2 and not first):
            continue
        out[key] = 0 if level >= 3 or not first else layers[key]
    return out


class LoopWatch:
    """The task that samples the loop's lag into an ``Overload``: one per process."""

    def __init__(self, overload: Overload, every: float = SAMPLE_EVERY) -> None:
        self.overload = overload
        self.every = every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sampling on the running loop (again after ``stop``; once only)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.every
            await asyncio.sleep(self.every)
            now = loop.time()
            before = self.overload.level
            level = self.overload.sample(max(0.0, now - due), now)
            if level != before:
                logger.warning("media loop %s: overload level %d (lag %.0f ms)",
                               "behind" if level > before else "recovering", level,
                               self.overload.lag * 1000)
