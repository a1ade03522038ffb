"""rtc/overload.py: the overload level from the loop's lag, and what each level sheds (issue 10)."""

from __future__ import annotations

import asyncio
import time

from rtc.overload import (
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
    shed,
)

STEP = SAMPLE_EVERY


def feed(o: Overload, lag: float, start: float, seconds: float) -> float:
    """Samples of ``lag`` every ``STEP`` from ``start`` for ``seconds``; the time after."""
    now = start
    while now < start + seconds - 1e-9:
        now += STEP
        o.sample(lag, now)
    return now


def test_a_loop_that_keeps_up_stays_at_zero() -> None:
    o = Overload()
    feed(o, 0.004, 0.0, 60.0)
    assert o.level == 0


def test_one_late_sample_is_a_pause_not_overload() -> None:
    o = Overload()
    for n in range(40):  # a slow request or a garbage collection now and then
        o.sample(0.5 if n % 4 == 0 else 0.0, n * STEP)
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


def test_it_climbs_to_the_top_and_no_further() -> None:
    o = Overload()
    feed(o, 1.0, 0.0, 30.0)
    assert o.level == LEVELS
    assert o.rises == LEVELS


def test_lag_between_quiet_and_late_holds_the_level() -> None:
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
    """A server at the edge: lag comes back whenever the video does. Without backing off the
    videos would go off and on every few seconds."""
    o = Overload()
    now = feed(o, 1.0, 0.0, 0.5)
    assert o.level == 1
    now = feed(o, 0.0, now, CALM + STEP)
    assert o.level == 0
    now = feed(o, 1.0, now, 0.5)  # the video came back, and so did the lag
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


async def test_the_watch_measures_a_blocked_loop() -> None:
    """The real task: a loop blocked for longer than ``LATE``, twice in a row, raises the level
    (everything the forwarder does runs on this loop, so a backlog blocks it the same way)."""
    o = Overload()
    watch = LoopWatch(o, every=0.05)
    watch.start()
    try:
        await asyncio.sleep(0.2)
        assert o.level == 0 and o.worst < LATE
        for _ in range(3):
            time.sleep(LATE * 2)  # noqa: ASYNC251 (the point: block the loop)
            await asyncio.sleep(0.01)  # the watch samples (late), and no more
        assert o.level == 1, (o.level, o.lag)
        assert o.worst >= LATE
    finally:
        await watch.stop()
    watch.start()  # and again after a stop
    await watch.stop()
