"""What each participant action does to a live session: one handler per message kind.

``HANDLERS`` is the dispatch table from a client message's kind to its handler; a new kind of
message (chat, say) gets its model in ``app.facilitation.messages`` and its handler here or in a
module of its own, registered in the table. Handlers are pure: they take the state, the action,
who sent it (``Sender``) and ``now``, and return a ``Result`` or raise and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from app.facilitation import pairing
from app.facilitation.errors import LiveError, Refused
from app.facilitation.messages import (
    Action,
    ControlAction,
    ControlsNotice,
    HandAction,
    Notice,
    PairsRequest,
    PhaseAction,
    PhaseNotice,
    PhaseRef,
    RoomNotice,
    RoundAction,
    RoundNotice,
    TurnNotice,
)
from app.facilitation.state import (
    Effect,
    Live,
    Presence,
    Result,
    actor,
    bump,
    current_phase,
    including,
    need_control,
    without,
)
from app.members.models import FACILITATING
from app.rounds import engine, floor, sequence
from app.rounds.errors import InvalidPlan
from app.rounds.events import (
    Actor,
    End,
    Extend,
    Finish,
    Next,
    Pass,
    Pause,
    Reorder,
    Resume,
    Role,
    Skip,
    Start,
)
from app.rounds.floor import Hands
from app.rounds.order import OrderRule, order_participants
from app.rounds.phases import MAX_TITLE_CHARS, Phase, PhaseKind, Template
from app.rounds.states import Output, RoundState, RoundStatus


@dataclass(frozen=True)
class Sender:
    """Who sent an action, and who else is in the room."""

    participant: str
    role: str
    presence: Presence


Handler = Callable[[Live, Any, Sender, float], Result]


def act(live: Live, action: Action, sender: Sender, now: float) -> Result:
    """Apply one participant's action through the dispatch table."""
    return HANDLERS[action.kind](live, action, sender, now)


def compose(templates: list[Template]) -> Template:
    """One plan from several templates in order (check-in, a Balint case, check-out)."""
    name = ", ".join(t.name for t in templates)
    if len(name) > MAX_TITLE_CHARS:
        name = name[:MAX_TITLE_CHARS - 1] + "…"
    try:
        return Template(name=name, description="",
                        phases=tuple(p for t in templates for p in t.phases))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidPlan(str(first["msg"]).removeprefix("Value error, ")) from None


def begin(live: Live, plan: Template, presence: Presence) -> Result:
    """Give the session its plan: before the first phase starts it replaces the plan; once
    phases have run, its phases are added after the ones still to come (also after the end)."""
    seq = live.sequence
    if seq is None or seq.status is sequence.SequenceStatus.pending and seq.index == 0:
        new = bump(live, sequence=sequence.new_sequence(plan), hands=Hands())
        return new.model_copy(update={"round": fresh_round(new, presence)}), [], []
    upcoming = seq.template.phases[sequence.started_phases(seq):]
    who = Actor(id="", role=Role.facilitator)
    return _replanned(live, sequence.replan(seq, who, (*upcoming, *plan.phases)), presence)


def _replanned(live: Live, seq: sequence.PhaseSequence, presence: Presence) -> Result:
    assert live.sequence is not None
    new = bump(live, sequence=seq)
    if seq.index != live.sequence.index or seq.status is not live.sequence.status:
        new = new.model_copy(update={"round": fresh_round(new, presence), "hands": Hands()})
    elif live.sequence.status is sequence.SequenceStatus.pending:  # the first phase changed
        new = new.model_copy(update={"round": fresh_round(new, presence)})
    return new, [PhaseNotice(action="replan", index=seq.index)], []


def turn_notices(outputs: tuple[Output, ...]) -> list[Notice]:
    """The round engine's outputs as notices."""
    return [TurnNotice(event=o.kind, participant_id=o.participant_id, status=o.status,
                       warning=o.warning, seconds=o.seconds) for o in outputs]


def fresh_round(live: Live, presence: Presence) -> RoundState | None:
    """The pending round a round phase starts with: the members in the room (and the
    facilitators, if they take turns), in join order."""
    phase = current_phase(live)
    if phase is None or phase.kind is not PhaseKind.round or phase.turn is None:
        return None
    return engine.new_round(presence.taking_turns(live), turn_length=phase.turn.length)


# ---------------------------------------------------------------- phase


_PHASE_MOVES = {"start": sequence.start, "pause": sequence.pause, "resume": sequence.resume,
                "advance": sequence.advance, "end": sequence.end}


def on_phase(live: Live, a: PhaseAction, sender: Sender, now: float) -> Result:
    need_control(live, sender.participant)
    who = actor(live, sender.participant, sender.role)
    if a.action == "replan" and live.sequence is None:
        return begin(live, compose([_plan(a)]), sender.presence)
    if live.sequence is None:
        raise LiveError("no_template", "choose a plan for this session first")
    seq = live.sequence
    if a.action == "replan":
        upcoming = _resolve(seq.template.phases, a.phases or ())
        return _replanned(live, sequence.replan(seq, who, upcoming), sender.presence)
    if a.action == "extend":
        seq = sequence.extend(seq, who, a.seconds or 60, now)
    elif a.action == "set_presenter":
        if a.participant_id is not None and a.participant_id not in sender.presence.roles:
            raise LiveError("not_present", "the presenter must be in the room")
        seq = sequence.set_presenter(seq, who, a.participant_id)
    else:
        seq = _PHASE_MOVES[a.action](seq, who, now)
    new = bump(live, sequence=seq)
    moved = seq.index != live.sequence.index or a.action == "start"
    if moved or seq.status is sequence.SequenceStatus.ended:
        # a new phase gets its own round (or none); when the phases end, so does the round
        new = new.model_copy(update={"round": fresh_round(new, sender.presence),
                                     "hands": Hands()})
        new = pairing.phase_moved(new, sender.presence)
    if moved and new.held:  # late arrivals waiting for a phase boundary come in now
        waiting = tuple(p for p in new.held if p in new.lobby)
        new = new.model_copy(update={
            "lobby": tuple(p for p in new.lobby if p not in waiting),
            "admitted": new.admitted + tuple(p for p in waiting if p not in new.admitted),
            "held": ()})
    phase = sequence.current_phase(seq)
    notice = PhaseNotice(action=a.action, index=seq.index, title=phase.title if phase else None)
    return new, [notice], []


def _plan(a: PhaseAction) -> Template:
    upcoming = _resolve((), a.phases or ())
    if not upcoming:
        raise InvalidPlan("a plan needs at least one phase")
    return Template(name="This session's plan", phases=upcoming)


def _resolve(plan: tuple[Phase, ...], items: tuple[PhaseRef | Phase, ...]) -> tuple[Phase, ...]:
    """The phases a `replan` names: new ones as given, the plan's own by index."""
    phases = []
    for item in items:
        if isinstance(item, Phase):
            phases.append(item)
            continue
        if item.at >= len(plan):
            raise InvalidPlan(f"the plan has no phase {item.at + 1}")
        phase = plan[item.at]
        if item.duration is not None:
            phase = Phase.model_validate({**phase.model_dump(), "duration": item.duration})
        phases.append(phase)
    return tuple(phases)


# ---------------------------------------------------------------- round


_ROUND_EVENTS = {"start": Start, "pause": Pause, "resume": Resume, "next": Next, "pass": Pass,
                 "finish": Finish, "end": End}


def on_round(live: Live, a: RoundAction, sender: Sender, now: float) -> Result:
    me = sender.participant
    speaking = live.round is not None and engine.speaker(live.round) == me
    own_turn = a.action == "finish" or (a.action == "pass" and (live.round is None or speaking))
    if not own_turn:  # the engine itself checks who may finish or pass their own turn
        need_control(live, me)
    if a.action == "setup":
        return _setup(live, a, sender.presence)
    if live.round is None:
        raise LiveError("no_round", "the current phase has no round of turns")
    who = actor(live, me, sender.role)
    event: Any
    if a.action == "extend":
        event = Extend(actor=who, seconds=a.seconds or 30)
    elif a.action == "skip":
        event = Skip(actor=who, participant_id=a.participant_id)
    elif a.action == "reorder":
        event = Reorder(actor=who, order=a.order or ())
    else:
        event = _ROUND_EVENTS[a.action](actor=who)
    state, outputs = engine.apply(live.round, event, now)
    return bump(live, round=state), turn_notices(outputs), []


def _setup(live: Live, a: RoundAction, presence: Presence) -> Result:
    phase = current_phase(live)
    if phase is None or phase.kind is not PhaseKind.round or phase.turn is None:
        raise LiveError("no_round", "the current phase is not a round")
    if live.round is not None and live.round.status is not RoundStatus.pending:
        raise LiveError("round_started", "the round has started: reorder or skip instead")
    length = a.turn_length or phase.turn.length
    if not phase.turn.min <= length <= phase.turn.max:
        raise LiveError("bad_turn_length",
                        f"turns in this phase last {phase.turn.min}–{phase.turn.max} seconds")
    rule = a.rule or OrderRule.join_order
    if a.facilitators is not None:
        live = live.model_copy(update={"facilitators_take_turns": a.facilitators})
    ids = presence.taking_turns(live)
    if rule is OrderRule.manual:
        # A manual order may leave people out (the facilitators, usually); it names only
        # participants who are in the room, each once.
        if not a.order:
            raise LiveError("order_required", "a manual order lists the participants in turn")
        missing = [p for p in a.order if p not in presence.roles]
        if missing:
            raise LiveError("not_present", f"not in the room: {', '.join(missing)}")
        ids = list(a.order)
    elif a.order is not None:
        raise LiveError("invalid_action", "an order is given only with the manual rule")
    order = order_participants(ids, rule, seed=live.version, names=presence.names,
                               manual=a.order)
    state = engine.new_round(order, turn_length=length)
    return bump(live, round=state), [RoundNotice(action="setup")], []


# ---------------------------------------------------------------- hands


def on_hand(live: Live, a: HandAction, sender: Sender, now: float) -> Result:
    me = sender.participant
    who = actor(live, me, sender.role)
    hands = live.hands
    if a.action == "raise":
        hands = floor.raise_hand(hands, who)
    elif a.action == "lower":
        hands = floor.lower_hand(hands, who, a.participant_id)
    elif a.action == "take_back" and me == hands.floor:
        hands = floor.take_floor_back(hands, who)
    else:
        need_control(live, me)
        if a.action == "give":
            if a.participant_id is None:
                raise LiveError("participant_required", "say whom to give the floor to")
            hands = floor.give_floor(hands, who, a.participant_id)
        elif a.action == "take_back":
            hands = floor.take_floor_back(hands, who)
        else:
            return bump(live, order_hands_by_time=bool(a.enabled)), [], []
    return bump(live, hands=hands), [], []


# ---------------------------------------------------------------- room controls


def on_control(live: Live, a: ControlAction, sender: Sender, now: float) -> Result:
    me, presence = sender.participant, sender.presence
    if a.action == "take_back":
        if me != live.lead:
            raise Refused("not_lead", "only the lead facilitator can take the controls back")
        return bump(live, controller=me), [ControlsNotice(holder=me)], []
    need_control(live, me)
    if a.action == "admit_all":
        admitted = live.admitted + tuple(p for p in live.lobby if p not in live.admitted)
        return bump(live, lobby=(), held=(), admitted=admitted), [], []
    if a.action in ("lock", "unlock"):
        return bump(live, locked=a.action == "lock"), [RoomNotice(action=a.action)], []
    if a.action == "mute_all":
        members = [p for p, r in presence.roles.items() if r not in FACILITATING]
        muted = live.muted + tuple(p for p in members if p not in live.muted)
        return bump(live, muted=muted), [], []
    target = a.participant_id
    if target is None:
        raise LiveError("participant_required", f"say whom to {a.action}")
    if a.action == "admit":
        return admit(live, target)
    if a.action == "mute":
        return bump(live, muted=including(live.muted, target)), [], []
    if a.action == "unmute":
        return bump(live, muted=without(live.muted, target)), [], []
    if a.action == "remove":
        return _remove(live, target, presence)
    if presence.roles.get(target) not in FACILITATING:  # hand_over
        raise Refused("not_facilitator", "the controls go to a facilitator who is in the room")
    return bump(live, controller=target), [ControlsNotice(holder=target)], []


def admit(live: Live, participant: str) -> Result:
    """Let a member in from the lobby."""
    if participant not in live.lobby:
        raise LiveError("not_waiting", "that person is not waiting in the lobby")
    return bump(live, lobby=without(live.lobby, participant), held=without(live.held, participant),
                admitted=including(live.admitted, participant)), [], []


def _remove(live: Live, target: str, presence: Presence) -> Result:
    if target not in presence.roles and target not in live.lobby + live.admitted:
        raise LiveError("not_present", "that person is not in this session")
    if presence.roles.get(target) in FACILITATING or target == live.lead:
        raise Refused("cannot_remove", "a facilitator cannot be removed from the room")
    new = bump(live, removed=including(live.removed, target), held=without(live.held, target),
               admitted=without(live.admitted, target), lobby=without(live.lobby, target))
    return new, [], [Effect("remove", target)]


# ---------------------------------------------------------------- pairs


def on_pairs(live: Live, a: PairsRequest, sender: Sender, now: float) -> Result:
    return pairing.on_pairs(live, a, sender.participant, sender.presence, now)


HANDLERS: dict[str, Handler] = {
    "phase": on_phase,
    "round": on_round,
    "hand": on_hand,
    "control": on_control,
    "pairs": on_pairs,
}
"""Each client message kind that changes the state, and its handler (``state`` only asks;
``word`` and ``chat`` are in memory only: ``app.facilitation.words``)."""
