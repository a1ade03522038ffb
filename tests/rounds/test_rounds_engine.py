"""Round engine behaviour: permissions, passes, skips, reorder, late joiners, disconnection."""

from __future__ import annotations

import pytest
from rounds_support import CO, SYSTEM, T0, F, member, order, statuses, step, turn_of

from app.rounds import clock
from app.rounds.engine import (
    apply,
    current_turn,
    new_round,
    remaining,
    speaker,
    up_next,
)
from app.rounds.errors import (
    AlreadyInRound,
    EngineError,
    IllegalTransition,
    InvalidOrder,
    NotAllowed,
    NothingQueued,
    NotSpeaker,
    RoundEnded,
    UnknownParticipant,
)
from app.rounds.events import (
    EVENT_ADAPTER,
    Actor,
    Disconnect,
    End,
    Event,
    Extend,
    Finish,
    Join,
    Next,
    Pass,
    Pause,
    Reconnect,
    Reorder,
    Resume,
    Role,
    Skip,
    Start,
    Tick,
)
from app.rounds.states import OutputKind, RoundState, RoundStatus, TurnStatus

S = TurnStatus


def started(*ids: str, **kw: int) -> RoundState:
    return step(new_round(list(ids), turn_length=kw.get("turn_length", 60)), Start(actor=F))


# ---------------------------------------------------------------- permissions

CONTROL_EVENTS: list[Event] = [
    Start(actor=member("a")),
    Pause(actor=member("a")),
    Resume(actor=member("a")),
    Extend(actor=member("a"), seconds=30),
    Next(actor=member("a")),
    Skip(actor=member("a")),
    Reorder(actor=member("a"), order=()),
    End(actor=member("a")),
    Join(actor=member("a"), participant_id="z"),
]


@pytest.mark.parametrize("event", CONTROL_EVENTS, ids=lambda e: e.type)
def test_members_cannot_use_facilitator_controls(event: Event) -> None:
    s = started("a", "b")
    with pytest.raises(NotAllowed) as err:
        apply(s, event, T0)
    assert err.value.code == "not_allowed" and err.value.status == 403


@pytest.mark.parametrize(
    "event",
    [
        Disconnect(actor=F, participant_id="a"),
        Reconnect(actor=F, participant_id="a"),
        Tick(actor=F),
        Tick(actor=member("a")),
    ],
    ids=lambda e: f"{e.type}-{e.actor.role}",
)
def test_presence_and_ticks_come_from_the_service_only(event: Event) -> None:
    with pytest.raises(NotAllowed):
        apply(started("a", "b"), event, T0)


@pytest.mark.parametrize("event_type", [Start, Pause, Next, End])
def test_system_cannot_drive_the_round(event_type: type[Event]) -> None:
    with pytest.raises(NotAllowed):
        apply(started("a", "b"), event_type(actor=SYSTEM), T0)  # type: ignore[call-arg]


def test_co_facilitator_has_the_controls() -> None:
    s = step(new_round(["a", "b"], turn_length=60), Start(actor=CO))
    s = step(s, Pause(actor=CO))
    s = step(s, Resume(actor=CO))
    s = step(s, Extend(actor=CO, seconds=60))
    s = step(s, Next(actor=CO))
    assert s.current == "b"
    assert step(s, End(actor=CO)).status is RoundStatus.ended


def test_only_the_speaker_says_they_have_finished() -> None:
    s = started("a", "b")
    for actor in (member("b"), F, CO, Actor(id="a2", role=Role.member)):
        with pytest.raises(NotSpeaker) as err:
            apply(s, Finish(actor=actor), T0)
        assert err.value.code == "not_speaker"
    s2, out = apply(s, Finish(actor=member("a")), T0 + 20)
    assert statuses(s2)["a"] is S.finished and s2.status is RoundStatus.between
    assert out[0].kind is OutputKind.turn_ended and out[0].status is S.finished


def test_a_facilitator_who_speaks_can_finish_their_own_turn() -> None:
    s = step(new_round(["f", "a"], turn_length=60), Start(actor=F))
    assert step(s, Finish(actor=F)).status is RoundStatus.between


def test_pass_by_the_speaker_or_a_facilitator_only() -> None:
    s = started("a", "b")
    with pytest.raises(NotSpeaker):
        apply(s, Pass(actor=member("b")), T0)
    assert statuses(step(s, Pass(actor=member("a"))))["a"] is S.passed
    assert statuses(step(s, Pass(actor=F)))["a"] is S.passed
    assert statuses(step(s, Pass(actor=CO)))["a"] is S.passed


# ---------------------------------------------------------------- order and passes


def test_next_goes_in_order_and_ends_the_round_when_nobody_is_left() -> None:
    s = started("a", "b", "c")
    seen = [s.current]
    while s.status is not RoundStatus.ended:
        s, out = apply(s, Next(actor=F), T0)
        seen.append(s.current)
    assert seen == ["a", "b", "c", None]
    assert out[-1].kind is OutputKind.round_ended
    assert statuses(s) == {"a": S.finished, "b": S.finished, "c": S.finished}


def test_passed_turns_come_back_once_at_the_end_in_the_order_they_passed() -> None:
    s = started("a", "b", "c", "d")
    s = step(s, Pass(actor=member("a")))
    s = step(s, Next(actor=F))
    s = step(s, Pass(actor=member("b")))
    assert order(s) == ["c", "d", "a", "b"]
    assert up_next(s) == "c"
    s = step(s, Next(actor=F))  # c
    s = step(s, Next(actor=F))  # d
    s, out = apply(s, Next(actor=F), T0)  # a again
    assert s.current == "a" and turn_of(s, "a").passes == 1
    assert out[-1].kind is OutputKind.turn_started
    s, out = apply(s, Pass(actor=member("a")), T0)
    assert statuses(s)["a"] is S.declined and out[0].status is S.declined
    s = step(s, Next(actor=F))  # b again
    assert s.current == "b"
    s = step(s, Finish(actor=member("b")))
    assert up_next(s) is None
    s = step(s, Next(actor=F))
    assert s.status is RoundStatus.ended
    assert statuses(s) == {"a": S.declined, "b": S.finished, "c": S.finished, "d": S.finished}


def test_ending_early_makes_every_turn_terminal() -> None:
    s = started("a", "b", "c", "d", "e")
    s = step(s, Pass(actor=member("a")))  # a passed
    s = step(s, Next(actor=F))  # b speaking
    s = step(s, Disconnect(actor=SYSTEM, participant_id="e"))
    s = step(s, Reorder(actor=F, order=("e", "c", "d")))
    s, out = apply(s, End(actor=F), T0 + 30)
    assert statuses(s) == {
        "a": S.declined,
        "b": S.finished,
        "c": S.missed,
        "d": S.missed,
        "e": S.missed,
    }
    assert s.current is None and out == (out[0],) and out[0].kind is OutputKind.round_ended
    b_clock = turn_of(s, "b").clock
    assert b_clock is not None and clock.used(b_clock, T0 + 999) == 30  # froze at the round end
    for event in (Next(actor=F), Start(actor=F), Join(actor=F, participant_id="z")):
        with pytest.raises(RoundEnded) as err:
            apply(s, event, T0)
        assert err.value.code == "round_ended"
    assert apply(s, Tick(actor=SYSTEM), T0 + 5000) == (s, ())


def test_start_with_nobody_raises_nothing_queued() -> None:
    with pytest.raises(NothingQueued) as err:
        apply(new_round([], turn_length=60), Start(actor=F), T0)
    assert err.value.code == "nothing_queued"
    away = new_round(["a"], turn_length=60, disconnected={"a"})
    with pytest.raises(NothingQueued):
        apply(away, Start(actor=F), T0)


def test_reorder_moves_only_queued_turns() -> None:
    s = started("a", "b", "c", "d", "e")
    s = step(s, Pass(actor=member("a")))  # a at the end, passed
    s = step(s, Next(actor=F))  # b speaking
    assert order(s) == ["b", "c", "d", "e", "a"]
    s, out = apply(s, Reorder(actor=F, order=("e", "c", "d")), T0)
    assert order(s) == ["b", "e", "c", "d", "a"]
    assert out[0].kind is OutputKind.order_changed
    for bad in (("e", "c"), ("e", "c", "d", "a"), ("e", "c", "c"), ("e", "c", "x")):
        with pytest.raises(InvalidOrder) as err:
            apply(s, Reorder(actor=F, order=bad), T0)
        assert err.value.code == "invalid_order" and err.value.status == 422


def test_late_joiner_is_appended_before_second_chances() -> None:
    s = started("a", "b")
    s = step(s, Pass(actor=member("a")))
    s, out = apply(s, Join(actor=SYSTEM, participant_id="z"), T0)
    assert order(s) == ["b", "a", "z"] and out[0].kind is OutputKind.participant_joined
    s = step(s, Next(actor=F))
    s = step(s, Next(actor=F))
    assert s.current == "z", "queued turns come before passed ones"
    with pytest.raises(AlreadyInRound) as err:
        apply(s, Join(actor=F, participant_id="a"), T0)
    assert err.value.code == "already_in_round"


def test_skip_the_current_turn() -> None:
    s = started("a", "b")
    s, out = apply(s, Skip(actor=F), T0 + 3)
    assert statuses(s)["a"] is S.skipped and s.status is RoundStatus.between
    assert out[0].status is S.skipped


def test_unknown_participants() -> None:
    s = started("a", "b")
    for event in (
        Disconnect(actor=SYSTEM, participant_id="zz"),
        Reconnect(actor=SYSTEM, participant_id="zz"),
        Skip(actor=F, participant_id="zz"),
    ):
        with pytest.raises(UnknownParticipant):
            apply(s, event, T0)


# ---------------------------------------------------------------- disconnection


def test_speaker_drops_and_returns_within_grace() -> None:
    s = started("a", "b")  # 60 s turn from T0
    s, out = apply(s, Disconnect(actor=SYSTEM, participant_id="a"), T0 + 20)
    assert statuses(s)["a"] is S.disconnected and speaker(s) is None
    assert out[0].kind is OutputKind.speaker_disconnected and out[0].seconds == 120
    turn = current_turn(s)
    assert turn is not None and turn.grace_deadline == T0 + 140
    s, out = apply(s, Reconnect(actor=SYSTEM, participant_id="a"), T0 + 100)
    assert statuses(s)["a"] is S.speaking and out[0].kind is OutputKind.speaker_returned
    assert remaining(s, T0 + 100) == 40, "the clock was paused while they were away"


def test_a_paused_turn_stays_paused_when_the_speaker_returns() -> None:
    s = step(started("a", "b"), Pause(actor=F), T0 + 10)
    s = step(s, Disconnect(actor=SYSTEM, participant_id="a"), T0 + 20)
    s = step(s, Reconnect(actor=SYSTEM, participant_id="a"), T0 + 30)
    assert statuses(s)["a"] is S.paused
    s = step(s, Resume(actor=F), T0 + 40)
    assert remaining(s, T0 + 40) == 50


def test_grace_expiry_moves_on_and_the_turn_comes_back_when_they_return() -> None:
    s = started("a", "b", "c")
    s = step(s, Disconnect(actor=SYSTEM, participant_id="a"), T0 + 10)
    early = apply(s, Tick(actor=SYSTEM), T0 + 129.9)
    assert early == (s, ()), "nothing happens before the grace deadline"
    s, out = apply(s, Tick(actor=SYSTEM), T0 + 130)
    assert statuses(s)["a"] is S.absent and s.status is RoundStatus.between
    assert out[0].kind is OutputKind.turn_ended and out[0].status is S.absent
    assert up_next(s) == "b"
    s = step(s, Next(actor=F), T0 + 131)  # b
    s, out = apply(s, Reconnect(actor=SYSTEM, participant_id="a"), T0 + 140)
    assert order(s) == ["b", "c", "a"] and statuses(s)["a"] is S.queued
    assert out[0].kind is OutputKind.turn_requeued
    s = step(s, Next(actor=F), T0 + 150)  # c
    s, out = apply(s, Next(actor=F), T0 + 160)  # a again, with a fresh clock
    assert s.current == "a" and out[-1].seconds == 60
    assert remaining(s, T0 + 160) == 60


def test_next_while_the_speaker_is_away_marks_them_absent() -> None:
    s = step(started("a", "b"), Disconnect(actor=SYSTEM, participant_id="a"), T0 + 5)
    s = step(s, Next(actor=F), T0 + 6)
    assert statuses(s) == {"a": S.absent, "b": S.speaking}


def test_away_participants_are_passed_over_and_requeued_on_return() -> None:
    s = new_round(["a", "b", "c"], turn_length=60)
    s = step(s, Disconnect(actor=SYSTEM, participant_id="b"))
    s = step(s, Start(actor=F))
    s, out = apply(s, Next(actor=F), T0)
    assert statuses(s) == {"a": S.finished, "b": S.absent, "c": S.speaking}
    assert [o.kind for o in out] == [
        OutputKind.turn_ended,
        OutputKind.turn_ended,
        OutputKind.turn_started,
    ]
    s = step(s, Reconnect(actor=SYSTEM, participant_id="b"))
    s = step(s, Next(actor=F))
    assert s.current == "b"


def test_waiting_participants_can_drop_and_return_without_losing_their_place() -> None:
    s = started("a", "b", "c")
    s = step(s, Disconnect(actor=SYSTEM, participant_id="b"))
    assert statuses(s)["b"] is S.queued and not turn_of(s, "b").connected
    with pytest.raises(IllegalTransition):
        apply(s, Disconnect(actor=SYSTEM, participant_id="b"), T0)
    s = step(s, Reconnect(actor=SYSTEM, participant_id="b"))
    with pytest.raises(IllegalTransition):
        apply(s, Reconnect(actor=SYSTEM, participant_id="b"), T0)
    assert order(s) == ["a", "b", "c"]
    assert step(s, Next(actor=F)).current == "b"


# ---------------------------------------------------------------- wire format


def test_events_parse_from_json() -> None:
    raw = '{"type": "extend", "seconds": 60, "actor": {"id": "f", "role": "facilitator"}}'
    event = EVENT_ADAPTER.validate_json(raw)
    assert event == Extend(actor=F, seconds=60)
    assert EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(Pass(actor=F))) == Pass(actor=F)
    with pytest.raises(ValueError):
        EVENT_ADAPTER.validate_json(
            '{"type": "extend", "seconds": 45, "actor": {"id": "f", "role": "facilitator"}}'
        )
    with pytest.raises(ValueError):
        EVENT_ADAPTER.validate_json('{"type": "explode", "actor": {"id": "f", "role": "member"}}')


def test_state_json_round_trip_and_version() -> None:
    s = started("a", "b")
    s = step(s, Pass(actor=member("a")))
    assert RoundState.model_validate_json(s.model_dump_json()) == s
    assert s.version == 2
    assert apply(s, Tick(actor=SYSTEM), T0)[0].version == 2, "a tick with nothing due is no change"


def test_errors_share_one_hierarchy_with_stable_codes() -> None:
    codes = {
        cls.code
        for cls in (
            EngineError,
            IllegalTransition,
            RoundEnded,
            NothingQueued,
            NotAllowed,
            NotSpeaker,
            InvalidOrder,
            UnknownParticipant,
            AlreadyInRound,
        )
    }
    assert len(codes) == 9
    assert issubclass(RoundEnded, IllegalTransition) and issubclass(NotSpeaker, NotAllowed)


def test_new_round_refuses_duplicates_and_bad_lengths() -> None:
    with pytest.raises(InvalidOrder):
        new_round(["a", "a"], turn_length=60)
    with pytest.raises(ValueError):
        new_round(["a"], turn_length=5)
