"""What the room hears and sees of a live session: the SFU's floor and the `state` event.

``audible`` is the set of participants whose audio the SFU forwards, from the current phase's
floor rule (hold the floor, push-back), minus those a facilitator muted. ``view`` is the `state`
event (``app.facilitation.messages.State``); clocks are absolute deadlines in server time, so
with the clock offset every client computes the same remaining time. Pure, like ``actions``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from app.facilitation.messages import (
    ClockView,
    HandsView,
    PairsView,
    PhaseView,
    PlannedPhase,
    RoundView,
    State,
    TurnView,
    Waiting,
)
from app.facilitation.state import Live, Presence, current_phase
from app.rounds import clock, engine, floor, pairs, sequence
from app.rounds.clock import Clock
from app.rounds.phases import PhaseKind
from app.rounds.sequence import SequenceStatus


def audible(live: Live, presence: Presence) -> frozenset[str]:
    """Whose audio the SFU forwards now."""
    everyone = frozenset(presence.ids)
    phase = current_phase(live)
    seq = live.sequence
    if phase is None or seq is None or seq.status not in (SequenceStatus.running,
                                                          SequenceStatus.paused):
        heard = everyone
    else:
        speaker = None
        if phase.kind is PhaseKind.round and live.round is not None:
            speaker = engine.speaker(live.round)
        elif phase.kind is PhaseKind.presentation:
            speaker = seq.presenter
        heard = floor.audible(phase, participants=everyone, facilitators=presence.facilitators,
                              speaker=speaker, presenter=seq.presenter,
                              floor_holder=live.hands.floor)
    return heard - frozenset(live.muted)


def floor_holder(live: Live) -> str | None:
    """Whose video matters most now (on a weak link it is the last paused): the speaker of a
    round, the presenter of a presentation, or whoever was given the floor."""
    phase, seq = current_phase(live), live.sequence
    if phase is not None and seq is not None and seq.status is not SequenceStatus.pending:
        if phase.kind is PhaseKind.round and live.round is not None:
            return engine.speaker(live.round)
        if phase.kind is PhaseKind.presentation:
            return seq.presenter
    return live.hands.floor


def _clock(c: Clock | None, now: float) -> ClockView:
    if c is None:
        return ClockView(deadline=None, paused=False, remaining=None, overrun=0.0, allotted=None)
    return ClockView(deadline=c.deadline, paused=c.paused_at is not None,
                     remaining=round(clock.remaining(c, now), 3),
                     overrun=round(clock.overrun(c, now), 3), allotted=c.allotted)


def pairs_view(p: pairs.Pairs | None, now: float, *, viewer: str | None,
               facilitator: bool) -> PairsView | None:
    """The pairs as a viewer sees them: a facilitator every group, a member only their own."""
    if p is None:
        return None
    mine = pairs.group_of(p, viewer) if viewer is not None else None
    groups = [list(g) for g in p.groups]
    visitors = {who: i for who, i in p.visitors}
    if not facilitator:
        groups = [groups[mine]] if mine is not None else []
        visitors = {who: 0 for who, i in p.visitors if i == mine}
        mine = 0 if mine is not None else None
    return PairsView(status=p.status.value, groups=groups, visitors=visitors, mine=mine,
                     **_clock(p.clock, now).model_dump())


def view(live: Live, now: float, presence: Presence, *, facilitator: bool,
         talk: Mapping[str, float] | None = None, names: Mapping[str, str] | None = None,
         weak: Collection[str] = (), viewer: str | None = None,
         moments: Collection[str] = ()) -> State:
    """The state a client renders (as ``viewer`` sees it); the lobby (with names), who needs a
    moment and a queue of raised hands ordered by least speaking time are for facilitators only.
    ``names`` are those of everyone who has been in the room (a dropped speaker keeps their
    name)."""
    seq = live.sequence
    phase = current_phase(live)
    by_time = facilitator and live.order_hands_by_time
    raised = floor.ordered(live.hands, speaking_time=talk) if by_time else live.hands.raised
    phase_view = round_view = None
    if seq is not None and phase is not None:
        phase_view = PhaseView(
            index=seq.index, status=seq.status.value, kind=phase.kind.value, title=phase.title,
            prompt=phase.prompt, floor=phase.floor.value, hold_floor=phase.hold_floor,
            layout=phase.layout.value, presenter=seq.presenter,
            **_clock(seq.clock, now).model_dump())
    if live.round is not None:
        r = live.round
        turn = engine.current_turn(r)
        round_view = RoundView(
            status=r.status.value, current=r.current, speaker=engine.speaker(r),
            up_next=engine.up_next(r), turn_length=r.config.turn_length,
            turns=[TurnView(participant_id=t.participant_id, status=t.status, passes=t.passes,
                            connected=t.connected) for t in r.turns],
            grace_deadline=turn.grace_deadline if turn else None,
            **_clock(turn.clock if turn else None, now).model_dump())
    return State(
        version=live.version, server_time=now, controller=live.controller, lead=live.lead,
        locked=live.locked, muted=list(live.muted), audible=sorted(audible(live, presence)),
        phases=[PlannedPhase(title=p.title, kind=p.kind.value, duration=p.duration,
                             started=i < sequence.started_phases(seq))
                for i, p in enumerate(seq.template.phases)] if seq else [],
        template=seq.template.name if seq else None,
        phases_status=seq.status.value if seq else None,
        phase=phase_view, round=round_view, facilitators_take_turns=live.facilitators_take_turns,
        hands=HandsView(raised=list(raised), floor=live.hands.floor, by_time=by_time),
        names=dict(names if names is not None else presence.names),
        lobby=[Waiting(participant_id=p, name=presence.names.get(p)) for p in live.lobby]
        if facilitator else None,
        weak_links=sorted(p for p in weak if p in presence.roles) if facilitator else None,
        pairs=pairs_view(live.pairs, now, viewer=viewer, facilitator=facilitator),
        chat=not live.chat_off, moment=viewer in moments,
        moments=sorted(p for p in moments if p in presence.roles) if facilitator else None)
