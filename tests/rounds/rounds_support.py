"""Shared helpers for the rounds tests: actors, scenario builders and a random walk."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from app.rounds import clock as clk
from app.rounds.engine import apply, new_round
from app.rounds.errors import EngineError
from app.rounds.events import (
    SYSTEM,
    Actor,
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
    Role,
    Skip,
    Start,
    Tick,
)
from app.rounds.states import (
    HOLDING,
    TERMINAL,
    Output,
    OutputKind,
    RoundState,
    RoundStatus,
    TurnStatus,
)

T0 = 1_700_000_000.0
F = Actor(id="f", role=Role.facilitator)
CO = Actor(id="co", role=Role.co_facilitator)


def member(pid: str) -> Actor:
    """A member actor."""
    return Actor(id=pid, role=Role.member)


def step(state: RoundState, event: Event, now: float = T0) -> RoundState:
    """Apply and keep only the state."""
    return apply(state, event, now)[0]


def statuses(state: RoundState) -> dict[str, TurnStatus]:
    """Participant id -> turn status."""
    return {t.participant_id: t.status for t in state.turns}


def order(state: RoundState) -> list[str]:
    """Participant ids in turn order."""
    return [t.participant_id for t in state.turns]


def turn_of(state: RoundState, pid: str):  # noqa: ANN201 - test helper
    """The turn of ``pid``."""
    return next(t for t in state.turns if t.participant_id == pid)


def random_event(rng: random.Random, state: RoundState) -> Event:
    """A random event worth trying in ``state``: mostly well-formed, sometimes not allowed."""
    ids = [t.participant_id for t in state.turns]
    pid = rng.choice(ids + ["x"]) if rng.random() < 0.9 or not ids else "y"
    holder = state.current or rng.choice(ids + ["x"])
    boss = rng.choice((F, CO, F, CO, member(holder), member(pid)))
    kind = rng.choice(list(EventType))
    if kind is EventType.end and rng.random() < 0.9:
        kind = EventType.tick
    queued = [t.participant_id for t in state.turns if t.status is TurnStatus.queued]
    rng.shuffle(queued)
    if queued and rng.random() < 0.1:
        queued.pop()
    makers: dict[EventType, Callable[[], Event]] = {
        EventType.start: lambda: Start(actor=boss),
        EventType.pause: lambda: Pause(actor=boss),
        EventType.resume: lambda: Resume(actor=boss),
        EventType.extend: lambda: Extend(actor=boss, seconds=rng.choice((30, 60))),
        EventType.next: lambda: Next(actor=boss),
        EventType.pass_: lambda: Pass(actor=rng.choice((F, member(holder), member(pid)))),
        EventType.finish: lambda: Finish(actor=rng.choice((member(holder), member(pid)))),
        EventType.skip: lambda: Skip(actor=boss, participant_id=rng.choice((None, pid))),
        EventType.reorder: lambda: Reorder(actor=boss, order=tuple(queued)),
        EventType.end: lambda: End(actor=boss),
        EventType.join_: lambda: Join(actor=rng.choice((SYSTEM, F)), participant_id=pid),
        EventType.disconnect: lambda: Disconnect(actor=SYSTEM, participant_id=pid),
        EventType.reconnect: lambda: Reconnect(actor=SYSTEM, participant_id=pid),
        EventType.tick: lambda: Tick(actor=SYSTEM),
    }
    return makers[kind]()


DTS = (0.0, 0.5, 1.0, 10.0, 29.0, 30.0, 59.0, 60.0, 61.0, 90.0, 119.0, 120.0, 121.0, 400.0)


def check_invariants(state: RoundState, now: float) -> None:
    """The invariants every reachable state satisfies."""
    holding = [t for t in state.turns if t.status in HOLDING]
    assert len(holding) <= 1, "at most one turn holds the floor"
    if state.status is RoundStatus.running:
        assert len(holding) == 1 and holding[0].participant_id == state.current
    else:
        assert not holding and state.current is None
    if state.status is RoundStatus.ended:
        assert all(t.status in TERMINAL for t in state.turns)
    ids = [t.participant_id for t in state.turns]
    assert len(ids) == len(set(ids)), "one turn per participant"
    for t in state.turns:
        assert 0 <= t.passes <= 2
        if t.status is TurnStatus.passed:
            assert t.passes == 1
        if t.status is TurnStatus.disconnected:
            assert t.grace_deadline is not None and not t.connected
        else:
            assert t.grace_deadline is None
        if t.clock is not None:
            left, over = clk.remaining(t.clock, now), clk.overrun(t.clock, now)
            assert left >= 0 and over >= 0 and not (left > 0 and over > 0)
            if t.status is not TurnStatus.speaking:
                assert not t.clock.running, "only a speaking turn's clock runs"
        if t.status is TurnStatus.speaking:
            assert t.clock is not None and t.clock.running
    assert RoundState.model_validate_json(state.model_dump_json()) == state


def walk(rng: random.Random, steps: int) -> Iterator[tuple[RoundState, Event, float, object]]:
    """A random walk from a fresh round; yields (before, event, now, result or error)."""
    state = new_round(["a", "b", "c", "d"], turn_length=60, disconnected={"d"})
    now = T0
    for _ in range(steps):
        now += rng.choice(DTS)
        event = random_event(rng, state)
        try:
            result: object = apply(state, event, now)
        except EngineError as exc:
            result = exc
        yield state, event, now, result
        if isinstance(result, tuple):
            state = result[0]
        if state.status is RoundStatus.ended and rng.random() < 0.2:
            return


def outputs_of(result: object) -> tuple[Output, ...]:
    """The outputs of a successful apply, () for an error."""
    return result[1] if isinstance(result, tuple) else ()


__all__ = [
    "CO",
    "DTS",
    "F",
    "SYSTEM",
    "T0",
    "OutputKind",
    "random_event",
    "check_invariants",
    "member",
    "order",
    "outputs_of",
    "statuses",
    "step",
    "turn_of",
    "walk",
]
