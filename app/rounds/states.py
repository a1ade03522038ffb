"""The values of the round engine (app.rounds.engine) and its transition tables, as plain data.

``RoundState`` (a tuple of ``Turn``s, each with its ``Clock``) is what the service persists;
``Output`` is what ``apply`` returns for broadcasting; ``Deadline`` is when to tick.

``ROUND_TABLE``: (round status, event type) -> the round statuses the event may lead to.
``TURN_TABLE``: (turn status, turn move) -> the turn's next status.
``MOVE_CAUSES``: which events cause which turn moves. ``PERMISSIONS``: which roles may send which
event (plus two identity rules applied by the engine: "finish" only by the current speaker, "pass"
by the current speaker or a facilitator). A pair missing from a table is illegal. app.rounds.diagram
draws docs/rounds.md from these tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.rounds.clock import Clock, WarningKind
from app.rounds.events import EventType, Role
from app.rounds.phases import MAX_TURN_SECONDS, MIN_TURN_SECONDS

_FROZEN = ConfigDict(frozen=True, extra="forbid")

# ---------------------------------------------------------------- states


class RoundStatus(StrEnum):
    """Where the round as a whole is."""

    pending = "pending"
    running = "running"
    between = "between"
    ended = "ended"


class TurnStatus(StrEnum):
    """Where one participant's turn is."""

    queued = "queued"
    speaking = "speaking"
    paused = "paused"
    disconnected = "disconnected"
    passed = "passed"
    absent = "absent"
    finished = "finished"
    declined = "declined"
    skipped = "skipped"
    missed = "missed"


HOLDING = frozenset({TurnStatus.speaking, TurnStatus.paused, TurnStatus.disconnected})
"""Statuses of the one turn that holds the floor while the round is running."""
WAITING = frozenset({TurnStatus.queued, TurnStatus.passed, TurnStatus.absent})
"""Statuses of turns that may still be offered."""
TERMINAL = frozenset(
    {TurnStatus.finished, TurnStatus.declined, TurnStatus.skipped, TurnStatus.missed}
)
"""Statuses a turn never leaves; every turn has one once the round has ended."""


class TurnMove(StrEnum):
    """A transition of one turn; events are translated into moves."""

    offer = "offer"
    not_here = "not_here"
    pause = "pause"
    resume = "resume"
    extend = "extend"
    finish = "finish"
    pass_first = "pass_first"
    pass_again = "pass_again"
    skip = "skip"
    drop = "drop"
    come_back = "come_back"
    come_back_paused = "come_back_paused"
    move_on = "move_on"
    requeue = "requeue"
    end = "end"


_S = TurnStatus
_M = TurnMove
TURN_TABLE: Mapping[tuple[TurnStatus, TurnMove], TurnStatus] = {
    (_S.queued, _M.offer): _S.speaking,
    (_S.passed, _M.offer): _S.speaking,
    (_S.queued, _M.not_here): _S.absent,
    (_S.passed, _M.not_here): _S.absent,
    (_S.speaking, _M.pause): _S.paused,
    (_S.paused, _M.resume): _S.speaking,
    (_S.speaking, _M.extend): _S.speaking,
    (_S.paused, _M.extend): _S.paused,
    (_S.speaking, _M.finish): _S.finished,
    (_S.paused, _M.finish): _S.finished,
    (_S.speaking, _M.pass_first): _S.passed,
    (_S.paused, _M.pass_first): _S.passed,
    (_S.speaking, _M.pass_again): _S.declined,
    (_S.paused, _M.pass_again): _S.declined,
    (_S.speaking, _M.drop): _S.disconnected,
    (_S.paused, _M.drop): _S.disconnected,
    (_S.disconnected, _M.come_back): _S.speaking,
    (_S.disconnected, _M.come_back_paused): _S.paused,
    (_S.disconnected, _M.move_on): _S.absent,
    (_S.absent, _M.requeue): _S.queued,
    (_S.queued, _M.skip): _S.skipped,
    (_S.passed, _M.skip): _S.skipped,
    (_S.absent, _M.skip): _S.skipped,
    (_S.speaking, _M.skip): _S.skipped,
    (_S.paused, _M.skip): _S.skipped,
    (_S.disconnected, _M.skip): _S.skipped,
    (_S.queued, _M.end): _S.missed,
    (_S.passed, _M.end): _S.declined,
    (_S.absent, _M.end): _S.missed,
    (_S.speaking, _M.end): _S.finished,
    (_S.paused, _M.end): _S.finished,
    (_S.disconnected, _M.end): _S.missed,
}


_R = RoundStatus
_E = EventType
_LIVE = (_R.pending, _R.running, _R.between)
ROUND_TABLE: Mapping[tuple[RoundStatus, EventType], frozenset[RoundStatus]] = {
    (_R.pending, _E.start): frozenset({_R.running}),
    (_R.running, _E.pause): frozenset({_R.running}),
    (_R.running, _E.resume): frozenset({_R.running}),
    (_R.running, _E.extend): frozenset({_R.running}),
    (_R.running, _E.next): frozenset({_R.running, _R.ended}),
    (_R.between, _E.next): frozenset({_R.running, _R.ended}),
    (_R.running, _E.pass_): frozenset({_R.between}),
    (_R.running, _E.finish): frozenset({_R.between}),
    (_R.pending, _E.skip): frozenset({_R.pending}),
    (_R.running, _E.skip): frozenset({_R.running, _R.between}),
    (_R.between, _E.skip): frozenset({_R.between}),
    **{(s, _E.reorder): frozenset({s}) for s in _LIVE},
    **{(s, _E.end): frozenset({_R.ended}) for s in _LIVE},
    **{(s, _E.join_): frozenset({s}) for s in _LIVE},
    **{(s, _E.disconnect): frozenset({s}) for s in _LIVE},
    **{(s, _E.reconnect): frozenset({s}) for s in _LIVE},
    (_R.pending, _E.tick): frozenset({_R.pending}),
    (_R.running, _E.tick): frozenset({_R.running, _R.between}),
    (_R.between, _E.tick): frozenset({_R.between}),
    (_R.ended, _E.tick): frozenset({_R.ended}),
}

MOVE_CAUSES: Mapping[TurnMove, tuple[EventType, ...]] = {
    _M.offer: (_E.start, _E.next),
    _M.not_here: (_E.start, _E.next),
    _M.pause: (_E.pause,),
    _M.resume: (_E.resume,),
    _M.extend: (_E.extend,),
    _M.finish: (_E.finish, _E.next),
    _M.pass_first: (_E.pass_,),
    _M.pass_again: (_E.pass_,),
    _M.skip: (_E.skip,),
    _M.drop: (_E.disconnect,),
    _M.come_back: (_E.reconnect,),
    _M.come_back_paused: (_E.reconnect,),
    _M.move_on: (_E.tick, _E.next),
    _M.requeue: (_E.reconnect,),
    _M.end: (_E.end, _E.next),
}
"""Which events cause which turn moves (documentation, and the labels of the diagram)."""


# ---------------------------------------------------------------- permissions


CONTROL = frozenset({Role.facilitator, Role.co_facilitator})
_PEOPLE = frozenset({Role.facilitator, Role.co_facilitator, Role.member})

PERMISSIONS: Mapping[EventType, frozenset[Role]] = {
    _E.start: CONTROL,
    _E.pause: CONTROL,
    _E.resume: CONTROL,
    _E.extend: CONTROL,
    _E.next: CONTROL,
    _E.pass_: _PEOPLE,  # and a member only for their own turn
    _E.finish: _PEOPLE,  # and only the current speaker
    _E.skip: CONTROL,
    _E.reorder: CONTROL,
    _E.end: CONTROL,
    _E.join_: CONTROL | {Role.system},
    _E.disconnect: frozenset({Role.system}),
    _E.reconnect: frozenset({Role.system}),
    _E.tick: frozenset({Role.system}),
}


# ---------------------------------------------------------------- outputs


class OutputKind(StrEnum):
    """What happened, for the service to broadcast."""

    turn_started = "turn_started"
    turn_paused = "turn_paused"
    turn_resumed = "turn_resumed"
    turn_extended = "turn_extended"
    turn_ended = "turn_ended"
    turn_requeued = "turn_requeued"
    warning = "warning"
    speaker_disconnected = "speaker_disconnected"
    speaker_returned = "speaker_returned"
    participant_joined = "participant_joined"
    order_changed = "order_changed"
    round_ended = "round_ended"


class Output(BaseModel):
    """A notice produced by ``apply``."""

    model_config = _FROZEN

    kind: OutputKind
    participant_id: str | None = None
    status: TurnStatus | None = None
    """turn_ended: the status the turn ended in."""
    warning: WarningKind | None = None
    seconds: float | None = None
    """turn_started/extended: length or extension; warning: seconds left (one_minute_left) or
    over time (time_up, over_time); speaker_disconnected: grace seconds."""


# ---------------------------------------------------------------- state


class RoundConfig(BaseModel):
    """Per-round settings."""

    model_config = _FROZEN

    turn_length: int = Field(ge=MIN_TURN_SECONDS, le=MAX_TURN_SECONDS)
    grace_seconds: int = Field(default=120, ge=10, le=900)
    """How long the group waits for a disconnected speaker."""
    overtime_every: int = Field(default=60, ge=10, le=600)
    """Seconds between "over time by N" warnings."""


class Turn(BaseModel):
    """One participant's turn."""

    model_config = _FROZEN

    participant_id: str
    status: TurnStatus = TurnStatus.queued
    connected: bool = True
    passes: int = 0
    """How many times this turn was passed (0, 1 or 2)."""
    clock: Clock | None = None
    """Set when the turn is offered; frozen (paused) when it ends."""
    grace_deadline: float | None = None
    """While disconnected: when the group stops waiting."""
    resume_paused: bool = False
    """While disconnected: the facilitator had paused the turn before the drop."""


class RoundState(BaseModel):
    """The whole round (persisted with ``model_dump`` and restored with ``model_validate``)."""

    model_config = _FROZEN

    config: RoundConfig
    status: RoundStatus = RoundStatus.pending
    turns: tuple[Turn, ...] = ()
    current: str | None = None
    """Participant id of the turn holding the floor (status running only)."""
    version: int = 0
    """Incremented by every change; lets clients and the database detect stale copies."""


class DeadlineKind(StrEnum):
    """Why the scheduler should wake up."""

    one_minute_left = "one_minute_left"
    time_up = "time_up"
    over_time = "over_time"
    grace_expired = "grace_expired"


class Deadline(BaseModel):
    """When to feed back a ``Tick`` and why."""

    model_config = _FROZEN

    at: float
    kind: DeadlineKind
