"""The round engine: a pure state machine for a round of turns.

Theory of operation
-------------------
A **round** is an ordered tuple of **turns**, one per participant id, and a status. The whole
thing is an immutable value (``RoundState``); ``apply(state, event, now)`` returns a new state and
a tuple of ``Output`` notices for the service to broadcast, or raises an ``EngineError`` and
changes nothing. There is no I/O, no asyncio and no wall clock: ``now`` (float unix seconds) is an
input, and the service persists the state (a pydantic model) and feeds the engine.

Two transition tables (in app.rounds.states) say what is legal, in the spirit of h11's
``_state.py``:

* ``ROUND_TABLE`` maps (round status, event type) to the round statuses the event may lead to.
  An event missing from it raises ``RoundEnded`` (on an ended round) or ``IllegalTransition``.
* ``TURN_TABLE`` maps (turn status, turn move) to the turn's next status. Events are translated
  into moves on one or more turns (``MOVE_CAUSES`` says which events cause which moves); a move
  missing from the table raises ``IllegalTransition``.

Who may send what is ``PERMISSIONS`` plus two identity rules: "I've finished" only by the current
speaker, "pass" by the current speaker or a facilitator. Checks run in that order: role
(``NotAllowed``), round table, identity (``NotSpeaker``), event arguments, turn table. Every
change bumps ``version``; a ``tick`` with nothing due returns the very same state and no outputs.

Round statuses: ``pending`` (not started) → ``running`` (one turn holds the floor: it is
speaking, paused or disconnected) ⇄ ``between`` (nobody holds the floor; the facilitator says
"thank you" and presses next) → ``ended`` (absorbing). ``next`` with nobody left ends the round.

Order and second chances: turns are offered in tuple order, queued turns first, then passed turns
(a pass moves the turn to the end, so passed turns come back in the order they passed). A turn
passed a second time is ``declined``: a passed turn is offered again exactly once. When a turn
is offered to a participant who is disconnected, it becomes ``absent`` and the next one is offered.

Disconnection: if the speaker drops, the turn becomes ``disconnected``, its clock pauses and a
grace deadline is set (``grace_seconds``, 2 minutes by default). Returning before the deadline
resumes the turn (paused again if the facilitator had paused it). When the grace deadline passes
(a ``tick`` at or after it) or the facilitator presses next, the turn becomes ``absent`` and the
round is ``between``; when the participant returns, the absent turn is re-queued at the end of
the round with a fresh clock. Late joiners are appended as queued turns.

Clocks: each offered turn has a ``Clock`` (app.rounds.clock): an absolute deadline plus the time
it was paused at, so a restored state gives the same remaining time. ``next_deadline`` tells the
scheduler when to feed back a ``tick``: the next warning (one minute left, time up, over time by
N seconds) or grace expiry. Time up only warns; nothing in the engine ever mutes anyone or ends a
turn because its time is up.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from app.rounds import clock
from app.rounds.clock import Clock, WarningKind
from app.rounds.errors import (
    AlreadyInRound,
    IllegalTransition,
    InvalidEvent,
    InvalidOrder,
    NotAllowed,
    NothingQueued,
    NotSpeaker,
    RoundEnded,
    UnknownParticipant,
)
from app.rounds.events import (
    Disconnect,
    Event,
    EventType,
    Extend,
    Finish,
    Join,
    Pass,
    Reconnect,
    Reorder,
    Skip,
    Tick,
)
from app.rounds.states import (
    CONTROL,
    PERMISSIONS,
    ROUND_TABLE,
    TERMINAL,
    TURN_TABLE,
    Deadline,
    DeadlineKind,
    Output,
    OutputKind,
    RoundConfig,
    RoundState,
    RoundStatus,
    Turn,
    TurnMove,
    TurnStatus,
)

# ---------------------------------------------------------------- construction


def new_round(
    participant_ids: Sequence[str],
    *,
    turn_length: int,
    grace_seconds: int = 120,
    overtime_every: int = 60,
    disconnected: Collection[str] = (),
) -> RoundState:
    """A pending round with one queued turn per participant, in the given order.

    Participants in ``disconnected`` start disconnected (their turn is passed over as absent
    until they reconnect); use ``app.rounds.order.order_participants`` to choose the order.
    """
    if len(set(participant_ids)) != len(participant_ids):
        raise InvalidOrder("a participant is listed twice")
    config = RoundConfig(
        turn_length=turn_length, grace_seconds=grace_seconds, overtime_every=overtime_every
    )
    turns = tuple(Turn(participant_id=p, connected=p not in disconnected) for p in participant_ids)
    return RoundState(config=config, turns=turns)


# ---------------------------------------------------------------- queries


def current_turn(state: RoundState) -> Turn | None:
    """The turn holding the floor, if any."""
    if state.current is None:
        return None
    return next(t for t in state.turns if t.participant_id == state.current)


def speaker(state: RoundState) -> str | None:
    """The participant whose turn it is (speaking or paused; not while disconnected)."""
    turn = current_turn(state)
    if turn is None or turn.status is TurnStatus.disconnected:
        return None
    return turn.participant_id


def up_next(state: RoundState) -> str | None:
    """Who ``next`` would offer the floor to, or None (then ``next`` ends the round)."""
    found = _next_offer(list(state.turns))
    return None if found is None else state.turns[found].participant_id


def remaining(state: RoundState, now: float) -> float | None:
    """Seconds left on the current turn (never negative), or None without a current turn."""
    turn = current_turn(state)
    return None if turn is None or turn.clock is None else clock.remaining(turn.clock, now)


def overrun(state: RoundState, now: float) -> float | None:
    """Seconds the current turn is over its time (0 if not), or None without a current turn."""
    turn = current_turn(state)
    return None if turn is None or turn.clock is None else clock.overrun(turn.clock, now)


def next_deadline(state: RoundState, now: float) -> Deadline | None:
    """When the scheduler should feed back a ``Tick`` (may be <= now: tick at once), or None."""
    turn = current_turn(state)
    if turn is None:
        return None
    if turn.status is TurnStatus.disconnected:
        assert turn.grace_deadline is not None
        return Deadline(at=turn.grace_deadline, kind=DeadlineKind.grace_expired)
    assert turn.clock is not None
    upcoming = clock.next_warning_at(turn.clock)
    if upcoming is None:
        return None
    at, kind = upcoming
    return Deadline(at=at, kind=DeadlineKind(kind.value))


# ---------------------------------------------------------------- apply


def _move(turn: Turn, move: TurnMove, **update: object) -> Turn:
    target = TURN_TABLE.get((turn.status, move))
    if target is None:
        raise IllegalTransition(f"a {turn.status} turn cannot {move.replace('_', ' ')}")
    return turn.model_copy(update={"status": target, **update})


def _frozen_clock(turn: Turn, now: float) -> Clock | None:
    if turn.clock is None or not turn.clock.running:
        return turn.clock
    return clock.pause(turn.clock, now)


def _next_offer(turns: list[Turn]) -> int | None:
    for wanted in (TurnStatus.queued, TurnStatus.passed):
        for i, t in enumerate(turns):
            if t.status is wanted:
                return i
    return None


class _Work:
    """The mutable scratch copy ``apply`` builds the new state in."""

    def __init__(self, state: RoundState, now: float) -> None:
        self.config = state.config
        self.now = now
        self.turns = list(state.turns)
        self.status = state.status
        self.current = state.current
        self.out: list[Output] = []

    def index(self, participant_id: str) -> int:
        for i, t in enumerate(self.turns):
            if t.participant_id == participant_id:
                return i
        raise UnknownParticipant(f"{participant_id!r} has no turn in this round")

    def end_turn(self, i: int, move: TurnMove) -> None:
        """End the holding turn ``i`` by ``move``; nobody holds the floor afterwards."""
        t = self.turns[i]
        t = _move(t, move, clock=_frozen_clock(t, self.now), grace_deadline=None)
        self.turns[i] = t
        self.current = None
        self.status = RoundStatus.between
        self.out.append(
            Output(kind=OutputKind.turn_ended, participant_id=t.participant_id, status=t.status)
        )

    def offer_next(self) -> bool:
        """Offer the next turn; absent participants are passed over. False if nobody is left."""
        while (i := _next_offer(self.turns)) is not None:
            t = self.turns[i]
            if not t.connected:
                self.turns[i] = _move(t, TurnMove.not_here)
                self.out.append(
                    Output(
                        kind=OutputKind.turn_ended,
                        participant_id=t.participant_id,
                        status=TurnStatus.absent,
                    )
                )
                continue
            length = self.config.turn_length
            started = clock.start_clock(self.now, length, overtime_every=self.config.overtime_every)
            self.turns[i] = _move(t, TurnMove.offer, clock=started)
            self.current = t.participant_id
            self.status = RoundStatus.running
            self.out.append(
                Output(
                    kind=OutputKind.turn_started, participant_id=t.participant_id, seconds=length
                )
            )
            return True
        return False

    def end_round(self) -> None:
        for i, t in enumerate(self.turns):
            if t.status not in TERMINAL:
                frozen = _frozen_clock(t, self.now)
                self.turns[i] = _move(t, TurnMove.end, clock=frozen, grace_deadline=None)
        self.current = None
        self.status = RoundStatus.ended
        self.out.append(Output(kind=OutputKind.round_ended))

    def holding(self) -> int:
        assert self.current is not None
        return self.index(self.current)


def _check_actor(event: Event) -> None:
    kind = EventType(event.type)
    role = event.actor.role
    if role not in PERMISSIONS[kind]:
        raise NotAllowed(f"a {role.replace('_', '-')} cannot {kind.value} here")


def _check_identity(state: RoundState, event: Event) -> None:
    actor = event.actor
    if isinstance(event, Finish) and actor.id != state.current:
        raise NotSpeaker("only the speaker can say they have finished")
    if isinstance(event, Pass) and actor.role not in CONTROL and actor.id != state.current:
        raise NotSpeaker("only the speaker or a facilitator can pass this turn")


def apply(state: RoundState, event: Event, now: float) -> tuple[RoundState, tuple[Output, ...]]:
    """Apply ``event`` at ``now``: the new state and its notices, or raise and change nothing."""
    _check_actor(event)
    kind = EventType(event.type)
    allowed = ROUND_TABLE.get((state.status, kind))
    if allowed is None:
        if state.status is RoundStatus.ended:
            raise RoundEnded("the round has ended")
        raise IllegalTransition(f"cannot {kind.value} while the round is {state.status}")
    _check_identity(state, event)

    w = _Work(state, now)
    _HANDLERS[kind](w, event)
    if w.out == [] and isinstance(event, Tick):
        return state, ()
    assert w.status in allowed, (state.status, kind, w.status)
    new = state.model_copy(
        update={
            "turns": tuple(w.turns),
            "status": w.status,
            "current": w.current,
            "version": state.version + 1,
        }
    )
    return new, tuple(w.out)


def _start(w: _Work, event: Event) -> None:
    if not w.offer_next():
        raise NothingQueued("nobody is waiting for a turn")


def _pause(w: _Work, event: Event) -> None:
    i = w.holding()
    t = w.turns[i]
    moved = _move(t, TurnMove.pause)
    assert t.clock is not None
    w.turns[i] = moved.model_copy(update={"clock": clock.pause(t.clock, w.now)})
    w.out.append(Output(kind=OutputKind.turn_paused, participant_id=t.participant_id))


def _resume(w: _Work, event: Event) -> None:
    i = w.holding()
    t = w.turns[i]
    moved = _move(t, TurnMove.resume)
    assert t.clock is not None
    w.turns[i] = moved.model_copy(update={"clock": clock.resume(t.clock, w.now)})
    w.out.append(Output(kind=OutputKind.turn_resumed, participant_id=t.participant_id))


def _extend(w: _Work, event: Event) -> None:
    assert isinstance(event, Extend)
    i = w.holding()
    t = w.turns[i]
    moved = _move(t, TurnMove.extend)
    assert t.clock is not None
    w.turns[i] = moved.model_copy(update={"clock": clock.extend(t.clock, event.seconds, w.now)})
    w.out.append(
        Output(
            kind=OutputKind.turn_extended, participant_id=t.participant_id, seconds=event.seconds
        )
    )


def _next(w: _Work, event: Event) -> None:
    if w.current is not None:
        i = w.holding()
        gone = w.turns[i].status is TurnStatus.disconnected
        w.end_turn(i, TurnMove.move_on if gone else TurnMove.finish)
    if not w.offer_next():
        w.end_round()


def _pass(w: _Work, event: Event) -> None:
    i = w.holding()
    t = w.turns[i]
    first = t.passes == 0
    w.turns[i] = t.model_copy(update={"passes": t.passes + 1})
    w.end_turn(i, TurnMove.pass_first if first else TurnMove.pass_again)
    if first:  # offered again at the end of the round
        w.turns.append(w.turns.pop(i))


def _finish(w: _Work, event: Event) -> None:
    w.end_turn(w.holding(), TurnMove.finish)


def _skip(w: _Work, event: Event) -> None:
    assert isinstance(event, Skip)
    target = event.participant_id if event.participant_id is not None else w.current
    if target is None:
        raise InvalidEvent("nobody holds the floor: say whose turn to skip")
    i = w.index(target)
    if target == w.current:
        w.end_turn(i, TurnMove.skip)
        return
    t = _move(w.turns[i], TurnMove.skip)
    w.turns[i] = t
    w.out.append(
        Output(kind=OutputKind.turn_ended, participant_id=t.participant_id, status=t.status)
    )


def _reorder(w: _Work, event: Event) -> None:
    assert isinstance(event, Reorder)
    slots = [i for i, t in enumerate(w.turns) if t.status is TurnStatus.queued]
    queued = [w.turns[i] for i in slots]
    by_id = {t.participant_id: t for t in queued}
    if len(event.order) != len(queued) or set(event.order) != set(by_id):
        raise InvalidOrder("the new order must list exactly the queued participants, once each")
    for slot, pid in zip(slots, event.order, strict=True):
        w.turns[slot] = by_id[pid]
    w.out.append(Output(kind=OutputKind.order_changed))


def _end(w: _Work, event: Event) -> None:
    w.end_round()


def _join(w: _Work, event: Event) -> None:
    assert isinstance(event, Join)
    if any(t.participant_id == event.participant_id for t in w.turns):
        raise AlreadyInRound(f"{event.participant_id!r} already has a turn in this round")
    w.turns.append(Turn(participant_id=event.participant_id))
    w.out.append(Output(kind=OutputKind.participant_joined, participant_id=event.participant_id))


def _disconnect(w: _Work, event: Event) -> None:
    assert isinstance(event, Disconnect)
    i = w.index(event.participant_id)
    t = w.turns[i]
    if not t.connected:
        raise IllegalTransition(f"{t.participant_id!r} is already disconnected")
    if t.participant_id != w.current:
        w.turns[i] = t.model_copy(update={"connected": False})
        return
    grace = w.config.grace_seconds
    w.turns[i] = _move(
        t,
        TurnMove.drop,
        connected=False,
        clock=_frozen_clock(t, w.now),
        grace_deadline=w.now + grace,
        resume_paused=t.status is TurnStatus.paused,
    )
    w.out.append(
        Output(kind=OutputKind.speaker_disconnected, participant_id=t.participant_id, seconds=grace)
    )


def _reconnect(w: _Work, event: Event) -> None:
    assert isinstance(event, Reconnect)
    i = w.index(event.participant_id)
    t = w.turns[i]
    if t.connected:
        raise IllegalTransition(f"{t.participant_id!r} is already connected")
    if t.status is TurnStatus.disconnected:
        assert t.clock is not None
        if t.resume_paused:
            moved = _move(t, TurnMove.come_back_paused)
            back = t.clock
        else:
            moved = _move(t, TurnMove.come_back)
            back = clock.resume(t.clock, w.now)
        w.turns[i] = moved.model_copy(
            update={
                "connected": True,
                "clock": back,
                "grace_deadline": None,
                "resume_paused": False,
            }
        )
        w.out.append(Output(kind=OutputKind.speaker_returned, participant_id=t.participant_id))
    elif t.status is TurnStatus.absent:
        w.turns.pop(i)
        w.turns.append(_move(t, TurnMove.requeue, connected=True, clock=None))
        w.out.append(Output(kind=OutputKind.turn_requeued, participant_id=t.participant_id))
    else:
        w.turns[i] = t.model_copy(update={"connected": True})


def _tick(w: _Work, event: Event) -> None:
    if w.current is None:
        return
    i = w.holding()
    t = w.turns[i]
    if t.status is TurnStatus.disconnected:
        assert t.grace_deadline is not None
        if w.now >= t.grace_deadline:
            w.end_turn(i, TurnMove.move_on)
        return
    assert t.clock is not None
    warned, kind = clock.due_warning(t.clock, w.now)
    if kind is None:
        return
    w.turns[i] = t.model_copy(update={"clock": warned})
    left = clock.remaining(warned, w.now)
    over = clock.overrun(warned, w.now)
    w.out.append(
        Output(
            kind=OutputKind.warning,
            participant_id=t.participant_id,
            warning=kind,
            seconds=left if kind is WarningKind.one_minute_left else over,
        )
    )


_HANDLERS = {
    EventType.start: _start,
    EventType.pause: _pause,
    EventType.resume: _resume,
    EventType.extend: _extend,
    EventType.next: _next,
    EventType.pass_: _pass,
    EventType.finish: _finish,
    EventType.skip: _skip,
    EventType.reorder: _reorder,
    EventType.end: _end,
    EventType.join_: _join,
    EventType.disconnect: _disconnect,
    EventType.reconnect: _reconnect,
    EventType.tick: _tick,
}
