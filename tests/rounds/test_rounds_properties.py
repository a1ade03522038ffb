"""Property tests: random action sequences keep the round's invariants.

At most one speaker; no negative remaining time (overrun is reported separately); a passed turn
is offered again exactly once; an ended round stays ended with every turn terminal; time up
never advances the round; an illegal event raises and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from rounds_support import CO, DTS, SYSTEM, T0, F, check_invariants, member

from app.rounds.engine import apply, new_round
from app.rounds.errors import EngineError, NotAllowed, RoundEnded
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
from app.rounds.states import HOLDING, OutputKind, RoundState, RoundStatus, TurnStatus

KINDS = [k for k in EventType if k is not EventType.end]


class RoundMachine(RuleBasedStateMachine):
    """Drives one round with arbitrary events at arbitrary times."""

    def __init__(self) -> None:
        super().__init__()
        self.state: RoundState = new_round(["a", "b", "c", "d"], turn_length=60, disconnected={"d"})
        self.now = T0
        self.passes: Counter[str] = Counter()
        self.offers_after_pass: Counter[str] = Counter()

    def _event(self, data: st.DataObject, kind: EventType) -> Event:
        ids = [t.participant_id for t in self.state.turns] + ["x"]
        pid = data.draw(st.sampled_from(ids), label="participant")
        holder = self.state.current or pid
        boss = data.draw(st.sampled_from([F, CO, member(holder)]), label="actor")
        queued = [t.participant_id for t in self.state.turns if t.status is TurnStatus.queued]
        makers: dict[EventType, Callable[[], Event]] = {
            EventType.start: lambda: Start(actor=boss),
            EventType.pause: lambda: Pause(actor=boss),
            EventType.resume: lambda: Resume(actor=boss),
            EventType.extend: lambda: Extend(
                actor=boss, seconds=data.draw(st.sampled_from([30, 60]))
            ),
            EventType.next: lambda: Next(actor=boss),
            EventType.pass_: lambda: Pass(actor=data.draw(st.sampled_from([F, member(holder)]))),
            EventType.finish: lambda: Finish(
                actor=data.draw(st.sampled_from([member(holder), member(pid)]))
            ),
            EventType.skip: lambda: Skip(
                actor=boss, participant_id=data.draw(st.sampled_from([None, pid]))
            ),
            EventType.reorder: lambda: Reorder(
                actor=boss, order=tuple(data.draw(st.permutations(queued)))
            ),
            EventType.join_: lambda: Join(actor=SYSTEM, participant_id=pid),
            EventType.disconnect: lambda: Disconnect(actor=SYSTEM, participant_id=pid),
            EventType.reconnect: lambda: Reconnect(actor=SYSTEM, participant_id=pid),
            EventType.tick: lambda: Tick(actor=SYSTEM),
            EventType.end: lambda: End(actor=boss),
        }
        return makers[kind]()

    def _apply(self, event: Event) -> None:
        before = self.state
        frozen = before.model_dump_json()
        try:
            new, out = apply(before, event, self.now)
        except EngineError as exc:
            assert before.model_dump_json() == frozen, "an illegal event changes nothing"
            if before.status is RoundStatus.ended:
                assert isinstance(exc, RoundEnded | NotAllowed), "permissions are checked first"
            return
        assert before.model_dump_json() == frozen, "apply never mutates its input"
        if before.status is RoundStatus.ended:
            assert isinstance(event, Tick) and new == before and out == (), "ended stays ended"
        if isinstance(event, Tick):
            was = next((t for t in before.turns if t.participant_id == before.current), None)
            if was is not None and was.status is not TurnStatus.disconnected:
                assert new.current == before.current, "time up never advances the round"
                assert all(o.kind is OutputKind.warning for o in out)
            if out == ():
                assert new is before
        if out or not isinstance(event, Tick):
            assert new.version == before.version + 1
        for o in out:
            pid = o.participant_id
            if o.kind is OutputKind.turn_ended and o.status is TurnStatus.passed:
                assert pid is not None
                self.passes[pid] += 1
                assert self.passes[pid] == 1, "a turn is passed (and offered again) once"
            if o.kind is OutputKind.turn_started and pid is not None and self.passes[pid]:
                self.offers_after_pass[pid] += 1
            if o.kind is OutputKind.turn_requeued and pid is not None:
                self.offers_after_pass[pid] = 0  # back from absence: the absent rule applies
            if o.kind is OutputKind.round_ended and isinstance(event, Next):
                for p in self.passes:
                    status = next(t.status for t in new.turns if t.participant_id == p)
                    if self.offers_after_pass[p] == 0:
                        assert status in (TurnStatus.skipped, TurnStatus.missed), (p, status)
        assert all(n <= 1 for n in self.offers_after_pass.values())
        self.state = new

    @rule(data=st.data(), kind=st.sampled_from(KINDS), dt=st.sampled_from(DTS))
    def act(self, data: st.DataObject, kind: EventType, dt: float) -> None:
        self.now += dt
        self._apply(self._event(data, kind))

    @rule(dt=st.sampled_from(DTS))
    def tick(self, dt: float) -> None:
        self.now += dt
        self._apply(Tick(actor=SYSTEM))

    @rule()
    def end(self) -> None:
        self._apply(End(actor=F))

    @invariant()
    def holds(self) -> None:
        check_invariants(self.state, self.now)
        assert sum(t.status in HOLDING for t in self.state.turns) <= 1


RoundMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRoundMachine = RoundMachine.TestCase
