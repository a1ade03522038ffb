"""A pausable countdown stored as an absolute deadline, plus the overrun warnings it produces.

A clock never reads the wall clock: every function takes ``now`` (float unix seconds). It stores
``deadline`` (when the allotted time runs out if it keeps running) and ``paused_at`` (when it was
paused, or None), so a clock persisted as JSON and restored later gives the same remaining time
for the same ``now``. ``used`` (speaking seconds) grows one-for-one with time while running.

Warnings are marks on the ``used`` axis: ``one_minute_left`` at ``allotted - 60`` (only when
``allotted > 60``), ``time_up`` at ``allotted``, then ``over_time`` every ``overtime_every``
seconds.
``warned_through`` is the last mark already announced; extending moves it to ``used`` so marks
already passed are not announced twice while later marks (the new minute-left) still are.
A clock only ever warns: nothing here mutes or advances anyone.
"""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from app.rounds.errors import IllegalTransition

ONE_MINUTE = 60.0


class WarningKind(StrEnum):
    """The gentle overrun warnings; never followed by an automatic mute or advance."""

    one_minute_left = "one_minute_left"
    time_up = "time_up"
    over_time = "over_time"


class Clock(BaseModel):
    """A pausable countdown; see the module docstring for the arithmetic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allotted: float
    """Seconds granted so far: the initial length plus every extension."""
    deadline: float
    """Unix time at which the allotted time runs out if the clock keeps running."""
    paused_at: float | None = None
    """Unix time the clock was paused at, or None while it runs."""
    warned_through: float = 0.0
    """The last warning mark (in used seconds) already announced."""
    overtime_every: float = ONE_MINUTE
    """Seconds between successive over-time warnings."""

    @property
    def running(self) -> bool:
        """True unless paused."""
        return self.paused_at is None


def start_clock(now: float, length: float, *, overtime_every: float = ONE_MINUTE) -> Clock:
    """A running clock of ``length`` seconds started at ``now``."""
    return Clock(allotted=length, deadline=now + length, overtime_every=overtime_every)


def _raw_remaining(clock: Clock, now: float) -> float:
    return clock.deadline - (clock.paused_at if clock.paused_at is not None else now)


def remaining(clock: Clock, now: float) -> float:
    """Seconds left, never negative (see ``overrun`` for the time beyond)."""
    return max(0.0, _raw_remaining(clock, now))


def overrun(clock: Clock, now: float) -> float:
    """Seconds beyond the allotted time, 0 while time is left."""
    return max(0.0, -_raw_remaining(clock, now))


def used(clock: Clock, now: float) -> float:
    """Seconds spent on the clock (running time only)."""
    return clock.allotted - _raw_remaining(clock, now)


def pause(clock: Clock, now: float) -> Clock:
    """Stop the clock at ``now``."""
    if clock.paused_at is not None:
        raise IllegalTransition("the clock is already paused")
    return clock.model_copy(update={"paused_at": now})


def resume(clock: Clock, now: float) -> Clock:
    """Restart a paused clock; the paused time is added to the deadline."""
    if clock.paused_at is None:
        raise IllegalTransition("the clock is not paused")
    return clock.model_copy(
        update={"paused_at": None, "deadline": clock.deadline + max(0.0, now - clock.paused_at)}
    )


def extend(clock: Clock, seconds: float, now: float) -> Clock:
    """Grant ``seconds`` more; marks already passed are not announced again."""
    return clock.model_copy(
        update={
            "allotted": clock.allotted + seconds,
            "deadline": clock.deadline + seconds,
            "warned_through": max(clock.warned_through, used(clock, now)),
        }
    )


def _next_mark(clock: Clock) -> tuple[float, WarningKind]:
    """The first warning mark after ``warned_through``."""
    a, w = clock.allotted, clock.warned_through
    if a > ONE_MINUTE and w < a - ONE_MINUTE:
        return a - ONE_MINUTE, WarningKind.one_minute_left
    if w < a:
        return a, WarningKind.time_up
    k = math.floor((w - a) / clock.overtime_every) + 1
    return a + k * clock.overtime_every, WarningKind.over_time


def next_warning_at(clock: Clock) -> tuple[float, WarningKind] | None:
    """Unix time and kind of the next warning, or None while paused."""
    if clock.paused_at is not None:
        return None
    mark, kind = _next_mark(clock)
    return clock.deadline - clock.allotted + mark, kind


def due_warning(clock: Clock, now: float) -> tuple[Clock, WarningKind | None]:
    """Announce the latest due warning mark (earlier due marks are folded into it)."""
    u = used(clock, now)
    latest: WarningKind | None = None
    while True:
        mark, kind = _next_mark(clock)
        if mark > u:
            return clock, latest
        clock = clock.model_copy(update={"warned_through": mark})
        latest = kind
