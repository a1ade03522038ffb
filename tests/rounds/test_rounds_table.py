"""Every (round status, event) pair: legal ones do what the table says, illegal ones raise and
change nothing; and a long random walk shows the engine moves exactly along the tables."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from rounds_support import CO, SYSTEM, T0, F, member, step, walk

from app.rounds.engine import apply, new_round
from app.rounds.errors import EngineError, IllegalTransition, InvalidEvent, RoundEnded
from app.rounds.events import (
    Disconnect,
    End,
    Event,
    EventType,
    Extend,
    Finish,
    Join,
    Next,
    Pass,
    Pause,
    Reconnect,
    Reorder,
    Resume,
    Skip,
    Start,
    Tick,
)
from app.rounds.states import ROUND_TABLE, TURN_TABLE, RoundState, RoundStatus, TurnStatus

# ---------------------------------------------------------------- scenarios

# a, b, c are connected; d starts disconnected (so "reconnect d" is always meaningful).


def _pending() -> RoundState:
    return new_round(["a", "b", "c", "d"], turn_length=60, disconnected={"d"})


def _speaking() -> RoundState:
    return step(_pending(), Start(actor=F))


def _paused() -> RoundState:
    return step(_speaking(), Pause(actor=F), T0 + 5)


def _disconnected() -> RoundState:
    return step(_speaking(), Disconnect(actor=SYSTEM, participant_id="a"), T0 + 5)


def _between() -> RoundState:
    return step(_speaking(), Finish(actor=member("a")), T0 + 5)


def _ended() -> RoundState:
    return step(_speaking(), End(actor=F), T0 + 5)


SCENARIOS: dict[str, Callable[[], RoundState]] = {
    "pending": _pending,
    "speaking": _speaking,
    "paused": _paused,
    "disconnected": _disconnected,
    "between": _between,
    "ended": _ended,
}


def _event(kind: EventType, state: RoundState) -> Event:
    """A well-formed event of ``kind`` from the right actor for ``state``."""
    queued = tuple(t.participant_id for t in state.turns if t.status is TurnStatus.queued)
    events: dict[EventType, Event] = {
        EventType.start: Start(actor=F),
        EventType.pause: Pause(actor=F),
        EventType.resume: Resume(actor=CO),
        EventType.extend: Extend(actor=F, seconds=30),
        EventType.next: Next(actor=F),
        EventType.pass_: Pass(actor=F),
        EventType.finish: Finish(actor=member(state.current or "a")),
        EventType.skip: Skip(actor=F, participant_id="c"),
        EventType.reorder: Reorder(actor=F, order=tuple(reversed(queued))),
        EventType.end: End(actor=F),
        EventType.join_: Join(actor=F, participant_id="z"),
        EventType.disconnect: Disconnect(actor=SYSTEM, participant_id="c"),
        EventType.reconnect: Reconnect(actor=SYSTEM, participant_id="d"),
        EventType.tick: Tick(actor=SYSTEM),
    }
    return events[kind]


# What each event does in each scenario: the round status it leads to, or the error it raises
# (ILL: IllegalTransition, END: RoundEnded). Skip targets queued "c", disconnect "c", reconnect "d".
GRID = """
event       pending  speaking  paused   disconnected  between  ended
start       running  ILL       ILL      ILL           ILL      END
pause       ILL      running   ILL      ILL           ILL      END
resume      ILL      ILL       running  ILL           ILL      END
extend      ILL      running   running  ILL           ILL      END
next        ILL      running   running  running       running  END
pass        ILL      between   between  ILL           ILL      END
finish      ILL      between   between  ILL           ILL      END
skip        pending  running   running  running       between  END
reorder     pending  running   running  running       between  END
end         ended    ended     ended    ended         ended    END
join        pending  running   running  running       between  END
disconnect  pending  running   running  running       between  END
reconnect   pending  running   running  running       between  END
tick        pending  running   running  running       between  ended
"""
_CELL: dict[str, object] = {
    "ILL": IllegalTransition,
    "END": RoundEnded,
    **{s.value: s for s in RoundStatus},
}


def _parse(grid: str) -> dict[str, dict[EventType, object]]:
    header, *rows = grid.strip().splitlines()
    scenarios = header.split()[1:]
    out: dict[str, dict[EventType, object]] = {name: {} for name in scenarios}
    for row in rows:
        kind, *cells = row.split()
        for name, cell in zip(scenarios, cells, strict=True):
            out[name][EventType(kind)] = _CELL[cell]
    return out


EXPECTED = _parse(GRID)
_e = RoundStatus.ended


def test_expectations_cover_every_pair() -> None:
    for row in EXPECTED.values():
        assert set(row) == set(EventType)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("kind", list(EventType))
def test_every_status_event_pair(scenario: str, kind: EventType) -> None:
    state = SCENARIOS[scenario]()
    before = state.model_dump_json()
    event = _event(kind, state)
    expected = EXPECTED[scenario][kind]
    in_table = (state.status, kind) in ROUND_TABLE
    if isinstance(expected, type):
        with pytest.raises(expected):
            apply(state, event, T0 + 10)
        assert state.model_dump_json() == before, "an illegal event changes nothing"
        if in_table:  # legal for the round, illegal for the current turn (e.g. pause twice)
            assert expected is IllegalTransition and state.current is not None
        return
    assert in_table, "a legal event is in the round table"
    new, _ = apply(state, event, T0 + 10)
    assert new.status is expected
    assert new.status in ROUND_TABLE[(state.status, kind)]
    assert state.model_dump_json() == before, "apply never mutates its input"


def test_round_table_illegal_pairs_raise_from_the_table() -> None:
    """Every pair missing from ROUND_TABLE raises IllegalTransition (RoundEnded once ended)."""
    for scenario, build in SCENARIOS.items():
        state = build()
        for kind in EventType:
            if (state.status, kind) in ROUND_TABLE:
                continue
            with pytest.raises(RoundEnded if state.status is _e else IllegalTransition):
                apply(state, _event(kind, state), T0 + 10)
            assert EXPECTED[scenario][kind] in (IllegalTransition, RoundEnded)


# ---------------------------------------------------------------- waiting turns as targets


def test_zoo_reaches_every_status() -> None:
    s = new_round(["a", "b", "c", "d", "e", "g", "h"], turn_length=60)
    s = step(s, Start(actor=F))  # a
    s = step(s, Finish(actor=member("a")))
    s = step(s, Next(actor=F))  # b
    s = step(s, Pass(actor=member("b")))
    s = step(s, Skip(actor=F, participant_id="c"))
    s = step(s, Disconnect(actor=SYSTEM, participant_id="d"))
    s = step(s, Next(actor=F))  # d away -> absent, e speaks
    assert s.current == "e"
    s = step(s, Finish(actor=member("e")))
    s = step(s, Skip(actor=F, participant_id="g"))
    s = step(s, Reconnect(actor=SYSTEM, participant_id="d"))  # d back at the end, queued
    s = step(s, Next(actor=F))  # h
    s = step(s, Finish(actor=member("h")))
    assert [t.participant_id for t in s.turns] == ["a", "c", "e", "g", "h", "b", "d"]
    got = {t.participant_id: t.status for t in s.turns}
    assert got == {
        "a": TurnStatus.finished,
        "b": TurnStatus.passed,
        "c": TurnStatus.skipped,
        "d": TurnStatus.queued,
        "e": TurnStatus.finished,
        "g": TurnStatus.skipped,
        "h": TurnStatus.finished,
    }


WAITING_TARGET_RESULTS = {
    # status of the target -> (skip, disconnect, reconnect-after-disconnect)
    TurnStatus.queued: TurnStatus.skipped,
    TurnStatus.passed: TurnStatus.skipped,
    TurnStatus.absent: TurnStatus.skipped,
    TurnStatus.finished: IllegalTransition,
    TurnStatus.skipped: IllegalTransition,
    TurnStatus.declined: IllegalTransition,
}


def _targets() -> tuple[RoundState, dict[TurnStatus, str]]:
    s = new_round(["a", "b", "c", "d", "e", "g", "h", "k"], turn_length=60)
    s = step(s, Start(actor=F))  # a
    s = step(s, Finish(actor=member("a")))  # a finished
    s = step(s, Skip(actor=F, participant_id="c"))  # c skipped
    s = step(s, Disconnect(actor=SYSTEM, participant_id="d"))
    s = step(s, Reorder(actor=F, order=("d", "b", "e", "g", "h", "k")))
    s = step(s, Next(actor=F))  # d absent; b speaks
    s = step(s, Pass(actor=member("b")))  # b passed
    s = step(s, Next(actor=F))  # e
    s = step(s, Finish(actor=member("e")))
    s = step(s, Next(actor=F))  # g
    s = step(s, Pass(actor=member("g")))
    for _ in range(2):
        s = step(s, Next(actor=F))  # h, then k
    s = step(s, Finish(actor=member("k")))
    s = step(s, Next(actor=F))  # b again
    s = step(s, Finish(actor=member("b")))
    s = step(s, Next(actor=F))  # g again
    s = step(s, Pass(actor=member("g")))  # g declined
    s = step(s, Join(actor=SYSTEM, participant_id="q"))  # q queued; between
    want = {
        TurnStatus.queued: "q",
        TurnStatus.absent: "d",
        TurnStatus.finished: "a",
        TurnStatus.skipped: "c",
        TurnStatus.declined: "g",
    }
    got = {t.participant_id: t.status for t in s.turns}
    assert all(got[pid] is status for status, pid in want.items()), got
    assert s.status is RoundStatus.between
    return s, want


@pytest.mark.parametrize(
    "status",
    [
        TurnStatus.queued,
        TurnStatus.absent,
        TurnStatus.finished,
        TurnStatus.skipped,
        TurnStatus.declined,
    ],
)
def test_skip_a_waiting_or_finished_turn(status: TurnStatus) -> None:
    s, who = _targets()
    before = s.model_dump_json()
    expected = WAITING_TARGET_RESULTS[status]
    if isinstance(expected, type):
        with pytest.raises(expected):
            apply(s, Skip(actor=F, participant_id=who[status]), T0)
        assert s.model_dump_json() == before
    else:
        new = step(s, Skip(actor=F, participant_id=who[status]))
        assert {t.participant_id: t.status for t in new.turns}[who[status]] is expected
        assert new.status is RoundStatus.between


def test_skip_a_passed_turn() -> None:
    s = new_round(["a", "b"], turn_length=60)
    s = step(s, Start(actor=F))
    s = step(s, Pass(actor=member("a")))
    s = step(s, Skip(actor=F, participant_id="a"))
    assert {t.participant_id: t.status for t in s.turns}["a"] is TurnStatus.skipped


def test_skip_unknown_and_nobody() -> None:
    s = new_round(["a"], turn_length=60)
    with pytest.raises(InvalidEvent) as err:
        apply(s, Skip(actor=F, participant_id="zz"), T0)
    assert err.value.code == "unknown_participant"
    with pytest.raises(InvalidEvent):
        apply(s, Skip(actor=F), T0)  # nobody holds the floor


# ---------------------------------------------------------------- conformance walk


def test_random_walk_moves_exactly_along_the_tables() -> None:
    """Observed round and turn transitions are the tables' entries, and cover all of them."""
    turn_pairs = {(src, dst) for (src, _), dst in TURN_TABLE.items() if src is not dst}
    # one event may move a turn twice: an away participant is passed over (-> absent) and then,
    # with nobody left, the round ends (absent -> missed)
    two_moves = {(a, c) for a, b in turn_pairs for b2, c in turn_pairs if b is b2}
    seen_turn: set[tuple[TurnStatus, TurnStatus]] = set()
    seen_round: set[tuple[RoundStatus, EventType]] = set()
    rng = random.Random(20261125)
    for _ in range(300):
        for before, event, _now, result in walk(rng, 150):
            if isinstance(result, EngineError):
                continue
            assert isinstance(result, tuple)
            after = result[0]
            kind = EventType(event.type)
            assert after.status in ROUND_TABLE[(before.status, kind)]
            seen_round.add((before.status, kind))
            old = {t.participant_id: t.status for t in before.turns}
            for t in after.turns:
                src = old.get(t.participant_id)
                if src is not None and src is not t.status:
                    assert (src, t.status) in turn_pairs | two_moves, (src, t.status, event)
                    seen_turn.add((src, t.status))
    assert turn_pairs <= seen_turn
    assert seen_round == set(ROUND_TABLE)
