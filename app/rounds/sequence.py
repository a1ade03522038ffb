"""The session's phase sequence: its plan of phases, which phase is on, and its clock.

The plan (``template``) is a ``Template``: the phases that have started stay as they ran, and
the facilitator may change the rest at any time (``replan``: add a template's phases, drop one,
reorder, change a duration), also after the last phase, which puts the sequence back to pending
at the first new phase.

Same rules as the round engine: immutable values, a transition table (``SEQUENCE_TABLE``),
every action takes the actor and ``now`` and returns a new value or raises ``EngineError``
leaving the old one as it was. Only facilitators (and co-facilitators) drive the sequence; the
service feeds ``tick`` at ``next_deadline``. Phase time up only warns: the facilitator moves on
with ``advance``, and advancing past the last phase ends the sequence. When a round phase
begins, the service starts a round (app.rounds.engine) with the phase's turn length.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from app.rounds import clock
from app.rounds.clock import Clock, WarningKind
from app.rounds.errors import IllegalTransition, InvalidPlan, NotAllowed, RoundEnded
from app.rounds.events import SYSTEM, Actor, Role
from app.rounds.phases import Phase, Template

_CONTROL = frozenset({Role.facilitator, Role.co_facilitator})


class SequenceStatus(StrEnum):
    """Where the session's phase sequence is."""

    pending = "pending"
    running = "running"
    paused = "paused"
    ended = "ended"


class SequenceAction(StrEnum):
    """What a facilitator (or the scheduler, for tick) can do to the sequence."""

    start = "start"
    pause = "pause"
    resume = "resume"
    extend = "extend"
    advance = "advance"
    set_presenter = "set_presenter"
    replan = "replan"
    end = "end"
    tick = "tick"


_Q = SequenceStatus
_A = SequenceAction
SEQUENCE_TABLE: Mapping[tuple[SequenceStatus, SequenceAction], frozenset[SequenceStatus]] = {
    (_Q.pending, _A.start): frozenset({_Q.running}),
    (_Q.running, _A.pause): frozenset({_Q.paused}),
    (_Q.paused, _A.resume): frozenset({_Q.running}),
    (_Q.running, _A.extend): frozenset({_Q.running}),
    (_Q.paused, _A.extend): frozenset({_Q.paused}),
    (_Q.running, _A.advance): frozenset({_Q.running, _Q.ended}),
    (_Q.paused, _A.advance): frozenset({_Q.running, _Q.ended}),
    **{(s, _A.set_presenter): frozenset({s}) for s in (_Q.pending, _Q.running, _Q.paused)},
    **{(s, _A.replan): frozenset({s}) for s in (_Q.pending, _Q.running, _Q.paused)},
    (_Q.ended, _A.replan): frozenset({_Q.ended, _Q.pending}),
    **{(s, _A.end): frozenset({_Q.ended}) for s in (_Q.pending, _Q.running, _Q.paused)},
    **{(s, _A.tick): frozenset({s}) for s in SequenceStatus},
}


class PhaseSequence(BaseModel):
    """The phase sequence of one session; persist with ``model_dump_json``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    template: Template
    """The plan: the phases that have started, then the ones still to come."""
    status: SequenceStatus = SequenceStatus.pending
    index: int = 0
    """The current phase (the first one while pending)."""
    clock: Clock | None = None
    presenter: str | None = None
    """The Balint presenter / storyteller, muted in push-back."""
    version: int = 0


def new_sequence(template: Template) -> PhaseSequence:
    """A pending sequence at the template's first phase."""
    return PhaseSequence(template=template)


def current_phase(seq: PhaseSequence) -> Phase | None:
    """The phase that is on (or about to start), None once ended."""
    return None if seq.status is SequenceStatus.ended else seq.template.phases[seq.index]


def remaining(seq: PhaseSequence, now: float) -> float | None:
    """Seconds left in the current phase (never negative), None without a running phase."""
    return None if seq.clock is None else clock.remaining(seq.clock, now)


def overrun(seq: PhaseSequence, now: float) -> float | None:
    """Seconds the current phase is over its time, None without a running phase."""
    return None if seq.clock is None else clock.overrun(seq.clock, now)


def next_deadline(seq: PhaseSequence, now: float) -> tuple[float, WarningKind] | None:
    """When to call ``tick`` next and which warning it will give, or None."""
    return None if seq.clock is None else clock.next_warning_at(seq.clock)


def _check(seq: PhaseSequence, action: SequenceAction, actor: Actor) -> frozenset[SequenceStatus]:
    if action is not SequenceAction.tick and actor.role not in _CONTROL:
        raise NotAllowed("only a facilitator can move the session through its phases")
    allowed = SEQUENCE_TABLE.get((seq.status, action))
    if allowed is None:
        if seq.status is SequenceStatus.ended:
            raise RoundEnded("the session's phases have ended")
        raise IllegalTransition(f"cannot {action.value} while the phases are {seq.status}")
    return allowed


def _done(
    seq: PhaseSequence, allowed: frozenset[SequenceStatus], **update: object
) -> PhaseSequence:
    new = seq.model_copy(update={**update, "version": seq.version + 1})
    assert new.status in allowed
    return new


def started_phases(seq: PhaseSequence) -> int:
    """How many phases of the plan have started (they stay as they ran)."""
    return seq.index + (0 if seq.status is SequenceStatus.pending else 1)


def start(seq: PhaseSequence, actor: Actor, now: float) -> PhaseSequence:
    """Start the current phase's clock (the first, or the first one added after the end)."""
    allowed = _check(seq, SequenceAction.start, actor)
    started = clock.start_clock(now, seq.template.phases[seq.index].duration)
    return _done(seq, allowed, status=SequenceStatus.running, clock=started)


def pause(seq: PhaseSequence, actor: Actor, now: float) -> PhaseSequence:
    """Pause the phase clock."""
    allowed = _check(seq, SequenceAction.pause, actor)
    assert seq.clock is not None
    return _done(seq, allowed, status=SequenceStatus.paused, clock=clock.pause(seq.clock, now))


def resume(seq: PhaseSequence, actor: Actor, now: float) -> PhaseSequence:
    """Restart the phase clock."""
    allowed = _check(seq, SequenceAction.resume, actor)
    assert seq.clock is not None
    return _done(seq, allowed, status=SequenceStatus.running, clock=clock.resume(seq.clock, now))


def extend(
    seq: PhaseSequence, actor: Actor, seconds: Literal[60, 300], now: float
) -> PhaseSequence:
    """Give the current phase one or five more minutes."""
    allowed = _check(seq, SequenceAction.extend, actor)
    assert seq.clock is not None
    return _done(seq, allowed, clock=clock.extend(seq.clock, seconds, now))


def advance(seq: PhaseSequence, actor: Actor, now: float) -> PhaseSequence:
    """Move to the next phase (its clock starts running); after the last one, end."""
    allowed = _check(seq, SequenceAction.advance, actor)
    nxt = seq.index + 1
    if nxt >= len(seq.template.phases):
        return _done(seq, allowed, status=SequenceStatus.ended, clock=None)
    started = clock.start_clock(now, seq.template.phases[nxt].duration)
    return _done(seq, allowed, status=SequenceStatus.running, index=nxt, clock=started)


def set_presenter(seq: PhaseSequence, actor: Actor, participant_id: str | None) -> PhaseSequence:
    """Name (or clear) the presenter."""
    allowed = _check(seq, SequenceAction.set_presenter, actor)
    return _done(seq, allowed, presenter=participant_id)


def replan(seq: PhaseSequence, actor: Actor, upcoming: tuple[Phase, ...],
           name: str | None = None) -> PhaseSequence:
    """Replace the phases still to come with ``upcoming`` (the started ones stay). After the
    end, new phases put the sequence back to pending at the first of them."""
    allowed = _check(seq, SequenceAction.replan, actor)
    done = seq.template.phases[:started_phases(seq)]
    try:
        plan = Template(name=name or seq.template.name, description=seq.template.description,
                        phases=(*done, *upcoming))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidPlan(str(first["msg"]).removeprefix("Value error, ")) from None
    if seq.status is SequenceStatus.ended:
        if not upcoming:
            return _done(seq, allowed, template=plan)
        return _done(seq, allowed, template=plan, status=SequenceStatus.pending,
                     index=len(done), clock=None)
    return _done(seq, allowed, template=plan)


def end(seq: PhaseSequence, actor: Actor, now: float) -> PhaseSequence:
    """End the sequence early."""
    allowed = _check(seq, SequenceAction.end, actor)
    return _done(seq, allowed, status=SequenceStatus.ended, clock=None)


def tick(seq: PhaseSequence, now: float) -> tuple[PhaseSequence, WarningKind | None]:
    """Issue the due phase warning, if any (never advances)."""
    _check(seq, SequenceAction.tick, SYSTEM)
    if seq.clock is None:
        return seq, None
    warned, warning = clock.due_warning(seq.clock, now)
    if warning is None:
        return seq, None
    return seq.model_copy(update={"clock": warned, "version": seq.version + 1}), warning
