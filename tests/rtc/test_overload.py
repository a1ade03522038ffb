"""rtc/overload.py: the overload level from the sockets' backlog, and what each level sheds
(issue 10)."""

from __future__ import annotations

import asyncio
import socket
import time

from rtc.overload import (
    BUFFER,
    CALM,
    CALM_MAX,
    LATE,
    LEVELS,
    QUIET,
    SAMPLE_EVERY,
    SETTLE,
    UP_AFTER,
    LoopWatch,
    Overload,
    backlog,
    buffer_size,
    parse_udp,
    read_udp,
    shed,
)

from .conftest import eventually

STEP = SAMPLE_EVERY


def feed(o: Overload, sample: float, start: float, seconds: float) -> float:
    """``sample`` (a backlog) every ``STEP`` from ``start`` for ``seconds``; the time after."""
    now = start
    while now < start + seconds - 1e-9:
        now += STEP
        o.sample(sample, now)
    return now


def test_a_loop_that_keeps_up_stays_at_zero() -> None:
    o = Overload()
    feed(o, 0.01, 0.0, 60.0)
    assert o.level == 0


def test_one_late_sample_is_a_pause_not_overload() -> None:
    o = Overload()
    for n in range(40):  # a deschedule, a burst of joins, now and then
        o.sample(1.0 if n % 4 == 0 else 0.0, n * STEP)
    assert o.level == 0


def test_late_samples_in_a_row_raise_the_level_one_at_a_time() -> None:
    o = Overload()
    assert o.sample(LATE * 2, 0.0) == 0
    assert o.sample(LATE * 2, STEP) == 1  # UP_AFTER in a row
    assert UP_AFTER == 2
    # still late: the next rise waits for the first to take effect
    now = STEP
    while now + STEP < STEP + SETTLE - 1e-9:
        now += STEP
        assert o.sample(LATE * 2, now) == 1, now
    assert o.sample(LATE * 2, now + STEP) == 2


def test_a_backlog_that_drains_after_a_rise_holds_the_level() -> None:
    """What was shed is draining the buffers: no further rise while the backlog falls, even
    above ``LATE``; a drop (a sample of 1) or a backlog as high as before raises it."""
    o = Overload()
    now = feed(o, 0.6, 0.0, 2 * STEP)
    assert o.level == 1
    for share in (0.55, 0.5, 0.45, 0.4, 0.35, 0.3, 0.3, 0.3):
        now += STEP
        o.sample(share, now)
    assert o.level == 1
    now = feed(o, 1.0, now, 2 * STEP)  # it drops datagrams after all
    assert o.level == 2


def test_it_climbs_to_the_top_and_no_further() -> None:
    o = Overload()
    feed(o, 1.0, 0.0, 30.0)
    assert o.level == LEVELS
    assert o.rises == LEVELS


def test_a_backlog_between_quiet_and_late_holds_the_level() -> None:
    o = Overload()
    now = feed(o, 1.0, 0.0, 1.0)
    assert o.level == 1
    now = feed(o, (QUIET + LATE) / 2, now, 60.0)
    assert o.level == 1  # neither late enough to rise nor calm enough to fall


def test_it_falls_one_level_per_calm_spell() -> None:
    o = Overload()
    now = feed(o, 1.0, 0.0, 30.0)
    assert o.level == LEVELS
    now = feed(o, 0.0, now, CALM - STEP)
    assert o.level == LEVELS  # not yet
    now = feed(o, 0.0, now, 2 * STEP)
    assert o.level == LEVELS - 1
    now = feed(o, 0.0, now, CALM)
    assert o.level == LEVELS - 2
    feed(o, 0.0, now, CALM * LEVELS)
    assert o.level == 0


def test_a_relapse_makes_the_next_fall_wait_longer() -> None:
    """A server at the edge: the backlog comes back whenever the video does. Without backing off the
    videos would go off and on every few seconds."""
    o = Overload()
    now = feed(o, 1.0, 0.0, 0.5)
    assert o.level == 1
    now = feed(o, 0.0, now, CALM + STEP)
    assert o.level == 0
    now = feed(o, 1.0, now, 0.5)  # the video came back, and so did the backlog
    assert o.level == 1
    assert o.calm == 2 * CALM
    now = feed(o, 0.0, now, CALM + STEP)
    assert o.level == 1  # it now waits twice as long
    now = feed(o, 0.0, now, CALM)
    assert o.level == 0
    for _ in range(10):  # relapse after relapse: capped
        now = feed(o, 1.0, now, 0.5)
        now = feed(o, 0.0, now, o.calm + STEP)
    assert o.calm == CALM_MAX
    feed(o, 0.0, now, CALM_MAX + STEP)  # a long calm forgets
    assert o.calm == CALM


def test_a_sample_that_is_not_quiet_restarts_the_calm() -> None:
    o = Overload()
    now = feed(o, 1.0, 0.0, 0.5)
    now = feed(o, 0.0, now, CALM - 1.0)
    now = feed(o, QUIET * 2, now, STEP)
    now = feed(o, 0.0, now, CALM - STEP)
    assert o.level == 1
    feed(o, 0.0, now, 2 * STEP)
    assert o.level == 0


ORDER = ["floor", "b", "c"]
FULL = {"floor": 2, "b": 2, "c": 2}


def test_shed_levels() -> None:
    assert shed(FULL, ORDER, 0) == FULL
    assert shed(FULL, ORDER, 1) == {"floor": 2, "b": 0, "c": 0}  # thumbnails: base layer
    assert shed(FULL, ORDER, 2) == {"floor": 2}  # thumbnails paused
    assert shed(FULL, ORDER, 3) == {"floor": 0}  # the floor's too: base layer
    assert shed(FULL, ORDER, 4) == {}  # all video paused (audio is never shed)


def test_shed_only_takes_away() -> None:
    """What the link already paused or reduced stays so; the first video is the first the
    link lets through."""
    link = {"b": 1, "c": 2}  # the link paused the floor's video
    assert shed(link, ORDER, 0) == link
    assert shed(link, ORDER, 1) == {"b": 1, "c": 0}
    assert shed(link, ORDER, 2) == {"b": 1}
    assert shed(link, ORDER, 3) == {"b": 0}
    assert shed({}, ORDER, 2) == {}
    for level in range(LEVELS + 1):
        out = shed(FULL, ORDER, level)
        assert all(out[k] <= FULL[k] for k in out)


# /proc/net/udp as the kernel writes it (rx_queue: bytes waiting, hex; inode; drops)
UDP = (
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode ref pointer drops\n"
    "  781: 0100007F:A1B2 00000000:0000 07 00000000:00012000 00:00000000 00000000  1000  "
    "      0 4242 2 0000000000000000 3\n"
    "  782: 0100007F:A1B3 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000  "
    "      0 4243 2 0000000000000000 0\n"
    "  783: 0100007F:A1B4 00000000:0000 07 00000000:0007F000 00:00000000 00000000  1000  "
    "      0 9999 2 0000000000000000 80\n"
)


def test_parse_udp_reads_our_sockets_only() -> None:
    assert parse_udp(UDP, {"4242", "4243"}) == {"4242": (0x12000, 3), "4243": (0, 0)}


def test_a_sample_is_the_fullest_socket_or_a_drop() -> None:
    before = {"a": (0, 3), "b": (0, 0)}
    assert backlog(before, {"a": (BUFFER // 2, 3), "b": (1000, 0)}) == 0.5
    assert backlog(before, {"a": (0, 4), "b": (0, 0)}) == 1.0  # a dropped one
    assert backlog(before, {"b": (0, 0), "c": (0, 70)}) == 0.0  # c is new: its past is not ours
    assert backlog(before, {}) == 0.0
    assert backlog(before, {"a": (1000, 3)}, buffer=2000) == 0.5


def test_the_buffer_is_what_the_kernel_gives() -> None:
    assert 0 < buffer_size() <= BUFFER


def test_read_udp_sees_a_socket_nobody_reads() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        rx.bind(("127.0.0.1", 0))
        for _ in range(10):
            tx.sendto(b"x" * 1000, rx.getsockname())
        time.sleep(0.05)
        seen = read_udp()
        assert seen is not None
        waiting = max(w for w, _ in seen.values())
        assert waiting >= 10 * 1000, seen


async def test_the_watch_samples_the_sockets() -> None:
    """The real task on a fake reading: a socket that keeps dropping raises the level."""
    o = Overload()
    drops = iter(range(1000))
    watch = LoopWatch(o, every=0.02, read=lambda: {"s": (0, next(drops))})
    watch.start()
    try:
        await eventually(lambda: o.level == 1, timeout=2, what="level 1")
        assert o.backlog == 1.0
    finally:
        await watch.stop()
    quiet = LoopWatch(o, every=0.02, read=lambda: {"s": (quiet.buffer // 100, 0)})
    quiet.start()  # and a quiet one leaves it alone (it falls after CALM)
    await asyncio.sleep(0.2)
    await quiet.stop()
    assert o.level == 1 and o.backlog == (quiet.buffer // 100) / quiet.buffer
