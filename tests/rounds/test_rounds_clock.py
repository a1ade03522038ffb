"""Clocks: pause/resume/extend arithmetic, warnings at the right times, restore from JSON."""

from __future__ import annotations

import pytest
from rounds_support import SYSTEM, T0, F, member, step

from app.rounds import clock
from app.rounds.clock import WarningKind
from app.rounds.engine import (
    apply,
    new_round,
    next_deadline,
    overrun,
    remaining,
    speaker,
)
from app.rounds.errors import IllegalTransition
from app.rounds.events import Disconnect, Extend, Finish, Pause, Resume, Start, Tick
from app.rounds.states import Deadline, DeadlineKind, OutputKind, RoundState, TurnStatus

TICK = Tick(actor=SYSTEM)


def running(turn_length: int = 120, overtime_every: int = 60) -> RoundState:
    s = new_round(["a", "b"], turn_length=turn_length, overtime_every=overtime_every)
    return step(s, Start(actor=F), T0)


# ---------------------------------------------------------------- the Clock value


def test_clock_arithmetic() -> None:
    c = clock.start_clock(T0, 60)
    assert clock.remaining(c, T0 + 10) == 50 and clock.used(c, T0 + 10) == 10
    c = clock.pause(c, T0 + 10)
    assert clock.remaining(c, T0 + 500) == 50, "a paused clock does not run"
    with pytest.raises(IllegalTransition):
        clock.pause(c, T0 + 20)
    c = clock.resume(c, T0 + 100)
    assert c.deadline == T0 + 150 and clock.remaining(c, T0 + 100) == 50
    with pytest.raises(IllegalTransition):
        clock.resume(c, T0 + 100)
    c = clock.extend(c, 30, T0 + 110)
    assert clock.remaining(c, T0 + 110) == 70 and c.allotted == 90
    assert clock.remaining(c, T0 + 200) == 0 and clock.overrun(c, T0 + 200) == 20
    assert clock.used(c, T0 + 200) == 110


def test_extend_while_paused_keeps_it_paused() -> None:
    c = clock.pause(clock.start_clock(T0, 60), T0 + 30)
    c = clock.extend(c, 60, T0 + 40)
    assert not c.running and clock.remaining(c, T0 + 1000) == 90


# ---------------------------------------------------------------- the round's clock


def test_pause_resume_extend_through_the_engine() -> None:
    s = running(turn_length=60)
    assert remaining(s, T0 + 15) == 45 and overrun(s, T0 + 15) == 0
    s = step(s, Pause(actor=F), T0 + 15)
    assert remaining(s, T0 + 600) == 45
    assert next_deadline(s, T0 + 600) is None, "a paused turn has nothing to wake up for"
    s = step(s, Resume(actor=F), T0 + 600)
    s, out = apply(s, Extend(actor=F, seconds=30), T0 + 610)
    assert out[0].kind is OutputKind.turn_extended and out[0].seconds == 30
    assert remaining(s, T0 + 610) == 65
    s = step(s, Extend(actor=F, seconds=60), T0 + 610)
    assert remaining(s, T0 + 610) == 125


def test_warnings_come_at_one_minute_left_time_up_and_every_minute_over() -> None:
    s = running(turn_length=120)
    seen: list[tuple[float, WarningKind, float | None]] = []
    now = T0
    for _ in range(4):
        deadline = next_deadline(s, now)
        assert deadline is not None
        assert apply(s, TICK, deadline.at - 0.001) == (s, ()), "nothing is due before it"
        now = deadline.at
        s, out = apply(s, TICK, now)
        (notice,) = out
        assert notice.kind is OutputKind.warning and notice.warning is not None
        assert notice.warning.value == deadline.kind.value
        seen.append((now - T0, notice.warning, notice.seconds))
    assert seen == [
        (60, WarningKind.one_minute_left, 60),
        (120, WarningKind.time_up, 0),
        (180, WarningKind.over_time, 60),
        (240, WarningKind.over_time, 120),
    ]
    assert speaker(s) == "a", "time up never moves the round on"
    assert remaining(s, now) == 0 and overrun(s, now) == 120


def test_short_turns_have_no_one_minute_warning() -> None:
    s = running(turn_length=30)
    assert next_deadline(s, T0) == Deadline(at=T0 + 30, kind=DeadlineKind.time_up)


def test_a_late_tick_folds_missed_warnings_into_one() -> None:
    s = running(turn_length=120)
    s, out = apply(s, TICK, T0 + 400)
    assert [(o.warning, o.seconds) for o in out] == [(WarningKind.over_time, 280)]
    assert next_deadline(s, T0 + 400) == Deadline(at=T0 + 420, kind=DeadlineKind.over_time)


def test_overtime_interval_is_configurable() -> None:
    s = running(turn_length=60, overtime_every=30)
    s = step(s, TICK, T0 + 60)
    assert next_deadline(s, T0 + 60) == Deadline(at=T0 + 90, kind=DeadlineKind.over_time)


def test_pause_shifts_the_warnings() -> None:
    s = running(turn_length=120)
    s = step(s, Pause(actor=F), T0 + 30)
    s = step(s, Resume(actor=F), T0 + 130)
    assert next_deadline(s, T0 + 130) == Deadline(at=T0 + 160, kind=DeadlineKind.one_minute_left)


def test_extending_after_the_minute_warning_gives_it_again_later() -> None:
    s = running(turn_length=120)
    s = step(s, TICK, T0 + 60)  # one minute left
    s = step(s, Extend(actor=F, seconds=60), T0 + 90)
    assert next_deadline(s, T0 + 90) == Deadline(at=T0 + 120, kind=DeadlineKind.one_minute_left)
    s = step(s, TICK, T0 + 120)
    assert next_deadline(s, T0 + 120) == Deadline(at=T0 + 180, kind=DeadlineKind.time_up)


def test_extending_when_over_time_does_not_repeat_time_up() -> None:
    s = running(turn_length=60)
    s = step(s, TICK, T0 + 60)  # time up
    s = step(s, Extend(actor=F, seconds=30), T0 + 100)  # 40 s over, now 10 s over
    assert overrun(s, T0 + 100) == 10
    deadline = next_deadline(s, T0 + 100)
    assert deadline == Deadline(at=T0 + 150, kind=DeadlineKind.over_time)


def test_grace_deadline_is_the_next_deadline_while_away() -> None:
    s = running()
    s = step(s, Pause(actor=F), T0 + 1)
    s = step(s, Disconnect(actor=SYSTEM, participant_id="a"), T0 + 10)
    assert next_deadline(s, T0 + 10) == Deadline(at=T0 + 130, kind=DeadlineKind.grace_expired)


def test_no_deadline_between_turns() -> None:
    s = step(running(), Finish(actor=member("a")), T0 + 5)
    assert next_deadline(s, T0 + 5) is None and remaining(s, T0 + 5) is None


@pytest.mark.parametrize("paused", [False, True])
def test_restore_from_json_gives_the_same_remaining_time(paused: bool) -> None:
    s = running(turn_length=120)
    s = step(s, Extend(actor=F, seconds=30), T0 + 40)
    s = step(s, TICK, T0 + 95)  # one minute left warning issued at used 90
    if paused:
        s = step(s, Pause(actor=F), T0 + 100)
    restored = RoundState.model_validate_json(s.model_dump_json())
    for now in (T0 + 100, T0 + 130, T0 + 1000):
        assert remaining(restored, now) == remaining(s, now)
        assert overrun(restored, now) == overrun(s, now)
        assert next_deadline(restored, now) == next_deadline(s, now)
    assert [t.status for t in restored.turns][0] is (
        TurnStatus.paused if paused else TurnStatus.speaking
    )
