"""Whether the media loop keeps up, and which video to shed when it does not.

Theory of operation
-------------------
All forwarding runs inside datagram callbacks on the process's one event loop (rtc/forwarder.py).
When the process cannot keep up - too many packets for its CPU, or another process taking the
core - the datagrams wait in the kernel's receive buffers of its UDP sockets, and once a buffer
is full the kernel drops what arrives: a speaker's audio as readily as a thumbnail. So the
measure here is those buffers: every ``SAMPLE_EVERY`` seconds ``LoopWatch`` reads, from
/proc/net/udp{,6}, how many bytes wait in each of the process's own UDP sockets and how many
datagrams each has dropped. A sample is the fullest socket's backlog as a share of its buffer
(``buffer_size``), or 1 if any socket dropped a datagram since the last sample.

It also records how late its own timer fired (the loop's lag), for /metrics and the log, but
does not act on it. Measured with bench/sfu.py (1x12, 10 s, on a shared 2-core host, with and
without ``--burn``), the lag had a 90th percentile of 100-200 ms and peaks of 300-500 ms for
seconds on end while no socket dropped a datagram, and stayed so with every video paused: a
process that waits for the CPU is late whatever it forwards, and a burst of joins (DTLS, SDP)
blocks the loop without any packet being lost. Shedding on the lag paused video that nothing
threatened. A backlog that grows is what shedding relieves: the buffers hold about two seconds
of a publisher's packets, so a half-full one is a second behind and on its way to losing
packets. (In the same runs the joins left the fullest socket at most 16 % full; a server at the
edge of its CPU reaches a third now and then, and catches up: see ``LATE``.)

``Overload`` turns the samples into a ``level`` from 0 (keeping up) to ``LEVELS``, with
hysteresis: ``UP_AFTER`` samples in a row above ``LATE`` raise it one level, then it holds for
``SETTLE`` (the subscribers' allocations, every half second, need that long to act on it)
before the next rise, which also needs a sample at least as high as the one that raised it: a
backlog that is falling is what was shed draining it (slowly, in a process short of CPU), and
rising on it would pause every video for what one level already cures. A dropped datagram is
a sample of 1, which always counts. It falls one level after ``CALM`` seconds in which
no sample was above ``QUIET``; a level that rises again soon after falling was needed, so the
next fall waits twice as long (up to ``CALM_MAX``), which keeps videos from going off and on
every few seconds on a server at the edge.

``shed`` is what a level means for one subscriber's videos, in that subscriber's priority
order (the floor's video first, then by recent speaking: rtc/subscriptions.py): at 1 every
video but the first keeps only its base temporal layer (a quarter of the frames), at 2 they
are paused, at 3 the first is cut to its base layer too, at 4 all video is paused. Audio is
never shed: it is what the room is for. What a paused video saves is the per-subscriber work
(rewriting, SRTP protection and ``sendto`` of each copy; every published packet is still
received and unprotected once), and the work goes by packets, not bytes: audio is 50 packets
a second per speaker, about as many as a small video, so even level 4 saves only about half.
A process given less than half the CPU its rooms need loses packets whatever it sheds.

``Overload``, ``shed``, ``parse_udp`` and ``backlog`` are pure (time is an argument);
``LoopWatch`` is the thin task that reads /proc and feeds them, one per process (rtc/hub.py),
started and stopped with the server (rtc/server.py). Without /proc (not Linux) nothing is
shed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

LEVELS = 4
"""The highest level: every video paused."""
SAMPLE_EVERY = 0.25
"""Seconds between two samples."""
ASKED = 262144
"""The receive buffer aioice asks for on each of its sockets (``aioice.turn.
UDP_SOCKET_BUFFER_SIZE``): the kernel gives twice that, within ``net.core.rmem_max``."""
BUFFER = 2 * ASKED
"""Bytes a socket's receive buffer holds (``buffer_size`` reads the host's limit): about two
seconds of one publisher's packets (100 or so a second, some 2 KiB each as the kernel counts
them)."""
LATE = 0.5
"""A sample above this (a socket half full: a second behind, half-way to dropping) counts
towards a rise. A process that keeps up leaves a few datagrams waiting; one at the edge of its
CPU, a third of the buffer now and then, which drains: bench/sfu.py at 1x16 with ``--burn``
(the server given half a core, 2026-11-30) rose at 25-32 % when this was 0.25, and the same
load unshed lost no datagram at the server's sockets while the level, once raised, held video
paused for the rest of the window."""
QUIET = 0.1
"""A sample above this stops the clock of a fall (between ``QUIET`` and ``LATE``: the level
holds)."""
UP_AFTER = 2
"""Late samples in a row that raise the level (one is a pause: a garbage collection, a burst
of joins)."""
SETTLE = 1.0
"""Seconds after a rise before the next one: what was shed takes effect at the subscribers'
next allocation (every half second), and the buffers take a moment to drain."""
CALM = 5.0
"""Seconds without a late sample before the level falls by one."""
CALM_MAX = 60.0
RELAPSE = 10.0
"""A rise within this many seconds of a fall was a relapse: the next fall waits longer."""


@dataclass
class Overload:
    """The process's overload level from samples of its sockets' backlog (pure: ``now`` is
    given)."""

    level: int = 0
    """0: keeping up; 1..``LEVELS``: how much video to shed (``shed``)."""
    late: int = 0
    """Late samples in a row."""
    risen_at: float = float("-inf")
    rose_with: float = 0.0
    """The sample that raised the level last: the next rise needs one at least as high."""
    fallen_at: float = float("-inf")
    calm_since: float | None = None
    """Since when no sample was above ``QUIET`` (None: the last one was)."""
    calm: float = CALM
    """Seconds of calm the next fall needs."""
    backlog: float = 0.0
    """The latest sample: the fullest socket's share of ``BUFFER`` (1: one dropped a
    datagram)."""
    lag: float = 0.0
    """How late the watch's timer fired last, seconds (for /metrics and the log only)."""
    rises: int = 0

    def sample(self, backlog: float, now: float) -> int:
        """One sample (the fullest socket's share of ``BUFFER``; 1 if one dropped a datagram)
        at ``now``; the level after it."""
        self.backlog = backlog
        self.late = self.late + 1 if backlog > LATE else 0
        if backlog > QUIET:
            self.calm_since = None
        elif self.calm_since is None:
            self.calm_since = now
        draining = self.level > 0 and backlog < self.rose_with
        if self.late >= UP_AFTER and self.level < LEVELS and now - self.risen_at >= SETTLE \
                and not draining:
            if now - self.fallen_at < RELAPSE:
                self.calm = min(self.calm * 2, CALM_MAX)
            self.level += 1
            self.late, self.risen_at, self.rises = 0, now, self.rises + 1
            self.rose_with = backlog
        elif self.level > 0 and self.calm_since is not None and now - self.calm_since >= self.calm:
            self.level -= 1
            self.fallen_at, self.calm_since, self.rose_with = now, now, 0.0
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


def parse_udp(table: str, inodes: Collection[str]) -> dict[str, tuple[int, int]]:
    """(bytes waiting, datagrams dropped so far) of each socket in ``inodes``, from the text of
    /proc/net/udp or udp6."""
    out: dict[str, tuple[int, int]] = {}
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 12 and fields[9] in inodes:
            out[fields[9]] = (int(fields[4].partition(":")[2], 16), int(fields[12]))
    return out


def backlog(before: Mapping[str, tuple[int, int]], after: Mapping[str, tuple[int, int]],
            buffer: int = BUFFER) -> float:
    """A sample from two readings of ``parse_udp``: 1 if a socket open at both dropped a
    datagram in between, else the fullest socket's share of ``buffer``."""
    if any(after[k][1] > before[k][1] for k in after.keys() & before.keys()):
        return 1.0
    return min(1.0, max((waiting for waiting, _ in after.values()), default=0) / buffer)


def buffer_size() -> int:
    """What the kernel gives a socket that asks for ``ASKED``: twice that, or twice
    ``net.core.rmem_max`` if lower (212992 on a stock kernel)."""
    try:
        with open("/proc/sys/net/core/rmem_max") as f:
            return 2 * min(ASKED, int(f.read()))
    except (OSError, ValueError):
        return BUFFER


def read_udp() -> dict[str, tuple[int, int]] | None:
    """``parse_udp`` of this process's UDP sockets now; None without /proc."""
    try:
        inodes = set()
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/self/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        out: dict[str, tuple[int, int]] = {}
        for table in ("udp", "udp6"):
            with contextlib.suppress(FileNotFoundError), open(f"/proc/self/net/{table}") as f:
                out.update(parse_udp(f.read(), inodes))
        return out
    except OSError:
        return None


class LoopWatch:
    """The task that samples the sockets' backlog (and the loop's lag) into an ``Overload``:
    one per process. ``read`` is the seam: what the sockets hold now (``read_udp``)."""

    def __init__(self, overload: Overload, every: float = SAMPLE_EVERY,
                 read: Callable[[], dict[str, tuple[int, int]] | None] = read_udp) -> None:
        self.overload = overload
        self.every = every
        self.read = read
        self.buffer = buffer_size()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sampling on the running loop, unless it already does."""
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
        before = self.read()
        if before is None:
            logger.info("no /proc/self/net/udp: video is never shed for load")
            return
        while True:
            due = loop.time() + self.every
            await asyncio.sleep(self.every)
            now = loop.time()
            self.overload.lag = max(0.0, now - due)
            after = self.read() or {}
            was = self.overload.level
            level = self.overload.sample(backlog(before, after, self.buffer), now)
            before = after
            if level != was:
                logger.warning("media server %s: overload level %d (fullest socket %.0f %%, "
                               "loop lag %.0f ms)", "behind" if level > was else "recovering",
                               level, self.overload.backlog * 100, self.overload.lag * 1000)
