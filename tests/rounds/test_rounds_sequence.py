"""The session's phase sequence: every (status, action) pair, clocks and warnings."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rounds_support import CO, SYSTEM, T0, F, member

from app.rounds import sequence as seq
from app.rounds.clock import WarningKind
from app.rounds.errors import IllegalTransition, InvalidPlan, NotAllowed, RoundEnded
from app.rounds.sequence import (
    SEQUENCE_TABLE,
    PhaseSequence,
    SequenceAction,
    SequenceStatus,
)
from app.templates.defaults import BALINT_CASE, CHECK_IN_ROUND, CHECK_OUT_ROUND

P = seq.new_sequence(BALINT_CASE)
ACTIONS: dict[SequenceAction, Callable[[PhaseSequence], PhaseSequence]] = {
    SequenceAction.start: lambda s: seq.start(s, F, T0 + 10),
    SequenceAction.pause: lambda s: seq.pause(s, F, T0 + 10),
    SequenceAction.resume: lambda s: seq.resume(s, CO, T0 + 10),
    SequenceAction.extend: lambda s: seq.extend(s, F, 60, T0 + 10),
    SequenceAction.advance: lambda s: seq.advance(s, F, T0 + 10),
    SequenceAction.set_presenter: lambda s: seq.set_presenter(s, F, "a"),
    SequenceAction.end: lambda s: seq.end(s, F, T0 + 10),
    SequenceAction.tick: lambda s: seq.tick(s, T0 + 10)[0],
    SequenceAction.replan: lambda s: seq.replan(s, F, CHECK_OUT_ROUND.phases),
}
STATES = {
    SequenceStatus.pending: P,
    SequenceStatus.running: seq.start(P, F, T0),
    SequenceStatus.paused: seq.pause(seq.start(P, F, T0), F, T0 + 5),
    SequenceStatus.ended: seq.end(P, F, T0),
}


@pytest.mark.parametrize("status", list(SequenceStatus))
@pytest.mark.parametrize("action", list(SequenceAction))
def test_every_status_action_pair(status: SequenceStatus, action: SequenceAction) -> None:
    state = STATES[status]
    before = state.model_dump_json()
    allowed = SEQUENCE_TABLE.get((status, action))
    if allowed is None:
        error = RoundEnded if status is SequenceStatus.ended else IllegalTransition
        with pytest.raises(error):
            ACTIONS[action](state)
        assert state.model_dump_json() == before
    else:
        assert ACTIONS[action](state).status in allowed


def test_members_cannot_move_the_phases() -> None:
    with pytest.raises(NotAllowed):
        seq.start(P, member("a"), T0)
    with pytest.raises(NotAllowed):
        seq.advance(seq.start(P, F, T0), SYSTEM, T0)


def test_advance_through_the_template_and_end() -> None:
    s = seq.start(P, F, T0)
    assert seq.current_phase(s) == BALINT_CASE.phases[0]
    assert seq.remaining(s, T0 + 30) == BALINT_CASE.phases[0].duration - 30
    now = T0
    for i in range(1, len(BALINT_CASE.phases)):
        now += 100
        s = seq.advance(s, F, now)
        assert s.index == i and seq.remaining(s, now) == BALINT_CASE.phases[i].duration
    s = seq.advance(s, F, now + 1)
    assert s.status is SequenceStatus.ended and seq.current_phase(s) is None
    assert seq.remaining(s, now) is None and seq.next_deadline(s, now) is None


def test_phase_warnings_never_advance() -> None:
    s = seq.start(seq.new_sequence(CHECK_IN_ROUND), F, T0)
    duration = CHECK_IN_ROUND.phases[0].duration
    assert seq.next_deadline(s, T0) == (T0 + duration - 60, WarningKind.one_minute_left)
    s, w = seq.tick(s, T0 + duration - 61)
    assert w is None
    s, w = seq.tick(s, T0 + duration - 60)
    assert w is WarningKind.one_minute_left
    s, w = seq.tick(s, T0 + duration + 1)
    assert w is WarningKind.time_up and s.index == 0 and s.status is SequenceStatus.running
    assert seq.overrun(s, T0 + duration + 30) == 30


def test_pause_extend_and_restore() -> None:
    s = seq.start(P, F, T0)
    s = seq.pause(s, F, T0 + 20)
    s = seq.extend(s, CO, 300, T0 + 50)
    s = seq.resume(s, F, T0 + 80)
    left = BALINT_CASE.phases[0].duration - 20 + 300
    assert seq.remaining(s, T0 + 80) == left
    restored = PhaseSequence.model_validate_json(s.model_dump_json())
    assert restored == s and seq.remaining(restored, T0 + 90) == left - 10


def test_presenter() -> None:
    s = seq.set_presenter(P, F, "a")
    assert s.presenter == "a"
    assert seq.set_presenter(s, CO, None).presenter is None


def test_replan_keeps_what_started_and_changes_the_rest() -> None:
    running = seq.advance(seq.start(P, F, T0), F, T0 + 60)  # phase 2 of the Balint case is on
    kept = BALINT_CASE.phases[:2]
    s = seq.replan(running, F, CHECK_OUT_ROUND.phases)
    assert s.template.phases == (*kept, *CHECK_OUT_ROUND.phases) and s.index == 1
    assert s.clock == running.clock and s.status is SequenceStatus.running
    with pytest.raises(NotAllowed):
        seq.replan(running, member("a"), ())


def test_replan_after_the_end_waits_at_the_first_new_phase() -> None:
    s = seq.start(seq.new_sequence(CHECK_IN_ROUND), F, T0)
    ended = seq.advance(s, F, T0 + 900)
    assert ended.status is SequenceStatus.ended
    assert seq.replan(ended, F, ()).status is SequenceStatus.ended
    again = seq.replan(ended, F, BALINT_CASE.phases)
    assert again.status is SequenceStatus.pending and again.index == 1
    assert seq.current_phase(again) == BALINT_CASE.phases[0]
    running = seq.start(again, F, T0 + 1000)
    assert seq.remaining(running, T0 + 1000) == BALINT_CASE.phases[0].duration


def test_replan_refuses_an_invalid_plan_and_changes_nothing() -> None:
    s = seq.start(seq.new_sequence(CHECK_IN_ROUND), F, T0)
    push_back = BALINT_CASE.phases[3]  # a discussion that mutes the presenter
    with pytest.raises(InvalidPlan, match="needs a presenter"):
        seq.replan(s, F, (push_back,))
    with pytest.raises(InvalidPlan, match="at most"):
        seq.replan(s, F, BALINT_CASE.phases * 6)
