"""The live state of one session, and what every action and presence change does to it.

Theory of operation
-------------------
``Live`` is an immutable value: the phase sequence of the chosen template, the round of the
current round phase, the hand queue, who holds the controls, the lobby and the room's locks and
server-side mutes. Functions here take a ``Live``, what happened and ``now`` and return a new
``Live`` plus *notices* (dicts to broadcast: warnings and milestones) and *effects* (things only
the runtime can do: remove a participant from the room, disable their invite). They raise a
``LiveError`` (or an engine error) and change nothing when an action is not allowed. No I/O.

Controls: one participant holds them at a time (``controller``): the lead facilitator, or the
co-facilitator they were handed to. When the controller's connection drops, they pass at once
to another facilitator who is present; the lead can take them back on return.

Floor: ``audible`` is the set of participants whose audio the SFU forwards, from the current
phase's floor rule (hold the floor, push-back), minus those a facilitator muted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.rounds import clock as clk
from app.rounds import engine
from app.rounds import floor as fl
from app.rounds import sequence as sq
from app.rounds.actions import Action, ControlAction, HandAction, PhaseAction, RoundAction
from app.rounds.clock import Clock
from app.rounds.errors import EngineError
from app.rounds.events import (
    SYSTEM,
    Actor,
    Disconnect,
    End,
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
from app.rounds.order import OrderRule, order_participants
from app.rounds.phases import Phase, PhaseKind, Template
from app.rounds.states import Output, RoundState, RoundStatus

FACILITATING = frozenset({"facilitator", "co-facilitator"})
Notice = dict[str, Any]
Effect = tuple[str, str]
"""("remove", participant id): disconnect them and disable the invite they used."""


class LiveError(EngineError):
    """A live action that is not allowed now; ``code`` is stable."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True)
class Presence:
    """Who is in the room now, in the order they joined, with their roles and names."""

    roles: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return list(self.roles)

    @property
    def facilitators(self) -> list[str]:
        return [p for p, r in self.roles.items() if r in FACILITATING]


class Live(BaseModel):
    """Everything the server holds about a live session; persisted as JSON after each change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sequence: sq.PhaseSequence | None = None
    round: RoundState | None = None
    hands: fl.Hands = fl.Hands()
    order_hands_by_time: bool = False
    controller: str | None = None
    lead: str | None = None
    locked: bool = False
    admitted: tuple[str, ...] = ()
    lobby: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    muted: tuple[str, ...] = ()
    version: int = 0


Result = tuple[Live, list[Notice], list[Effect]]


def _bump(live: Live, **update: Any) -> Live:
    return live.model_copy(update={**update, "version": live.version + 1})


def _without(items: tuple[str, ...], *gone: str) -> tuple[str, ...]:
    return tuple(i for i in items if i not in gone)


def _with(items: tuple[str, ...], item: str) -> tuple[str, ...]:
    return items if item in items else (*items, item)


def current_phase(live: Live) -> Phase | None:
    """The phase that is on (or about to start), None without a template or once ended."""
    return None if live.sequence is None else sq.current_phase(live.sequence)


def actor(live: Live, participant: str, role: str) -> Actor:
    """The engine's view of a participant: the controller acts as facilitator."""
    if participant == live.controller:
        return Actor(id=participant, role=Role.facilitator)
    if role in FACILITATING:
        return Actor(id=participant, role=Role.co_facilitator)
    return Actor(id=participant, role=Role.member)


def _need_control(live: Live, participant: str) -> None:
    if participant != live.controller:
        raise LiveError("not_in_control", "only the facilitator holding the controls can do this")


# ---------------------------------------------------------------- starting


def begin(live: Live, template: Template) -> Live:
    """Choose the template for the session (allowed until its first phase has started)."""
    if live.sequence is not None and live.sequence.status is not sq.SequenceStatus.pending:
        raise LiveError("already_started", "the session's phases have already started")
    return _bump(live, sequence=sq.new_sequence(template), round=None, hands=fl.Hands())


def wait_in_lobby(live: Live, participant: str) -> Result:
    """A member asks to come in; they wait until the facilitator admits them."""
    if participant in live.lobby:
        return live, [], []
    return _bump(live, lobby=(*live.lobby, participant)), [], []


def admit(live: Live, participant: str) -> Result:
    """Let a member in from the lobby."""
    if participant not in live.lobby:
        raise LiveError("not_waiting", "that person is not waiting in the lobby")
    return _bump(live, lobby=_without(live.lobby, participant),
                 admitted=_with(live.admitted, participant)), [], []


def _fresh_round(live: Live, presence: Presence) -> RoundState | None:
    phase = current_phase(live)
    if phase is None or phase.kind is not PhaseKind.round or phase.turn is None:
        return None
    return engine.new_round(presence.ids, turn_length=phase.turn.length)


# ---------------------------------------------------------------- actions


def act(live: Live, action: Action, participant: str, role: str, presence: Presence,
        now: float) -> Result:
    """Apply one participant's action."""
    if isinstance(action, PhaseAction):
        return _phase(live, action, participant, role, presence, now)
    if isinstance(action, RoundAction):
        return _round(live, action, participant, role, presence, now)
    if isinstance(action, HandAction):
        return _hand(live, action, participant, role)
    if isinstance(action, ControlAction):
        return _control(live, action, participant, role, presence)
    return live, [], []


def _phase(live: Live, a: PhaseAction, participant: str, role: str, presence: Presence,
           now: float) -> Result:
    _need_control(live, participant)
    if live.sequence is None:
        raise LiveError("no_template", "choose a template for this session first")
    who = actor(live, participant, role)
    seq = live.sequence
    if a.action == "start":
        seq = sq.start(seq, who, now)
    elif a.action == "pause":
        seq = sq.pause(seq, who, now)
    elif a.action == "resume":
        seq = sq.resume(seq, who, now)
    elif a.action == "extend":
        seq = sq.extend(seq, who, a.seconds or 60, now)
    elif a.action == "advance":
        seq = sq.advance(seq, who, now)
    elif a.action == "end":
        seq = sq.end(seq, who, now)
    else:
        if a.participant_id is not None and a.participant_id not in presence.roles:
            raise LiveError("not_present", "the presenter must be in the room")
        seq = sq.set_presenter(seq, who, a.participant_id)
    new = _bump(live, sequence=seq)
    moved = seq.index != live.sequence.index or a.action == "start"
    ended = seq.status is sq.SequenceStatus.ended
    if moved or ended:
        # a new phase gets its own round (or none); when the phases end, so does the round
        new = new.model_copy(update={"round": _fresh_round(new, presence), "hands": fl.Hands()})
    phase = sq.current_phase(seq)
    notices: list[Notice] = [{"kind": "phase", "action": a.action, "index": seq.index,
                              "title": phase.title if phase else None}]
    return new, notices, []


_ROUND_EVENTS = {"start": Start, "pause": Pause, "resume": Resume, "next": Next, "pass": Pass,
                 "finish": Finish, "end": End}


def _round(live: Live, a: RoundAction, participant: str, role: str, presence: Presence,
           now: float) -> Result:
    if a.action in ("pass", "finish"):
        speaker = engine.speaker(live.round) if live.round is not None else None
        if a.action == "pass" and live.round is not None and speaker != participant:
            _need_control(live, participant)
    else:
        _need_control(live, participant)
    if a.action == "setup":
        return _setup(live, a, presence)
    if live.round is None:
        raise LiveError("no_round", "the current phase has no round of turns")
    who = actor(live, participant, role)
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
    return _bump(live, round=state), _notices(outputs), []


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
    ids = presence.ids
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
    return _bump(live, round=state), [{"kind": "round", "action": "setup"}], []


def _hand(live: Live, a: HandAction, participant: str, role: str) -> Result:
    who = actor(live, participant, role)
    hands = live.hands
    if a.action == "raise":
        hands = fl.raise_hand(hands, who)
    elif a.action == "lower":
        hands = fl.lower_hand(hands, who, a.participant_id)
    elif a.action == "take_back" and participant == hands.floor:
        hands = fl.take_floor_back(hands, who)
    else:
        _need_control(live, participant)
        if a.action == "give":
            if a.participant_id is None:
                raise LiveError("participant_required", "say whom to give the floor to")
            hands = fl.give_floor(hands, who, a.participant_id)
        elif a.action == "take_back":
            hands = fl.take_floor_back(hands, who)
        else:
            return _bump(live, order_hands_by_time=bool(a.enabled)), [], []
    return _bump(live, hands=hands), [], []


def _control(live: Live, a: ControlAction, participant: str, role: str,
             presence: Presence) -> Result:
    if a.action == "take_back":
        if participant != live.lead:
            raise LiveError("not_lead", "only the lead facilitator can take the controls back")
        notice = {"kind": "controls", "holder": participant}
        return _bump(live, controller=participant), [notice], []
    _need_control(live, participant)
    target = a.participant_id
    needs_target = a.action in ("admit", "mute", "unmute", "remove", "hand_over")
    if needs_target and target is None:
        raise LiveError("participant_required", f"say whom to {a.action}")
    assert target is not None or not needs_target
    if a.action == "admit":
        assert target is not None
        return admit(live, target)
    if a.action == "admit_all":
        admitted = live.admitted + tuple(p for p in live.lobby if p not in live.admitted)
        return _bump(live, lobby=(), admitted=admitted), [], []
    if a.action in ("lock", "unlock"):
        return _bump(live, locked=a.action == "lock"), [{"kind": "room", "action": a.action}], []
    if a.action == "mute":
        assert target is not None
        return _bump(live, muted=_with(live.muted, target)), [], []
    if a.action == "unmute":
        assert target is not None
        return _bump(live, muted=_without(live.muted, target)), [], []
    if a.action == "mute_all":
        members = [p for p, r in presence.roles.items() if r not in FACILITATING]
        muted = live.muted + tuple(p for p in members if p not in live.muted)
        return _bump(live, muted=muted), [], []
    if a.action == "remove":
        assert target is not None
        if target not in presence.roles and target not in live.lobby + live.admitted:
            raise LiveError("not_present", "that person is not in this session")
        if presence.roles.get(target) in FACILITATING or target == live.lead:
            raise LiveError("cannot_remove", "a facilitator cannot be removed from the room")
        new = _bump(live, removed=_with(live.removed, target),
                    admitted=_without(live.admitted, target), lobby=_without(live.lobby, target))
        return new, [], [("remove", target)]
    assert target is not None  # hand_over
    if presence.roles.get(target) not in FACILITATING:
        raise LiveError("not_facilitator", "the controls go to a facilitator who is in the room")
    return _bump(live, controller=target), [{"kind": "controls", "holder": target}], []


def _notices(outputs: tuple[Output, ...]) -> list[Notice]:
    return [{**o.model_dump(mode="json", exclude_none=True), "kind": "turn",
             "event": o.kind.value} for o in outputs]


# ---------------------------------------------------------------- presence


def _presence_event(live: Live, event: Any, now: float) -> tuple[Live, list[Notice]]:
    """Feed the round a presence change; one it cannot take (it has ended) changes nothing."""
    assert live.round is not None
    try:
        state, outputs = engine.apply(live.round, event, now)
    except EngineError:
        return live, []
    return _bump(live, round=state), _notices(outputs)


def joined(live: Live, participant: str, role: str, presence: Presence, now: float) -> Result:
    """Someone entered the room (for the first time or again)."""
    new, notices = live, []
    if role in FACILITATING:
        update: dict[str, Any] = {}
        if role == "facilitator" and live.lead is None:
            update["lead"] = participant
        controller_gone = live.controller is None or live.controller not in presence.roles
        if controller_gone:
            update["controller"] = participant
            notices.append({"kind": "controls", "holder": participant})
        if update:
            new = _bump(new, **update)
    if new.round is not None and new.round.status is not RoundStatus.ended:
        turn = next((t for t in new.round.turns if t.participant_id == participant), None)
        event: Any = None
        if turn is None:
            if role not in FACILITATING:  # late members are appended; facilitators are not
                event = Join(actor=SYSTEM, participant_id=participant)
        elif not turn.connected:
            event = Reconnect(actor=SYSTEM, participant_id=participant)
        if event is not None:
            new, more = _presence_event(new, event, now)
            notices += more
    return new, notices, []


def lost(live: Live, participant: str, presence: Presence, now: float) -> Result:
    """Someone's connection dropped or they left; ``presence`` no longer includes them."""
    new, notices = live, list[Notice]()
    if new.round is not None and new.round.status is not RoundStatus.ended:
        turn = next((t for t in new.round.turns if t.participant_id == participant), None)
        if turn is not None and turn.connected:
            new, notices = _presence_event(
                new, Disconnect(actor=SYSTEM, participant_id=participant), now)
    if participant in new.hands.raised:
        new = _bump(new, hands=new.hands.model_copy(
            update={"raised": _without(new.hands.raised, participant)}))
    if participant == new.controller:
        others = [p for p in presence.facilitators if p != participant]
        successor = next((p for p in others if presence.roles[p] == "co-facilitator"),
                         others[0] if others else None)
        if successor is not None:
            new = _bump(new, controller=successor)
            notices.append({"kind": "controls", "holder": successor})
    return new, notices, []


# ---------------------------------------------------------------- clocks


def next_deadline(live: Live, now: float) -> float | None:
    """When ``tick`` should run next, or None."""
    times = []
    if live.round is not None and live.round.status is not RoundStatus.ended:
        d = engine.next_deadline(live.round, now)
        if d is not None:
            times.append(d.at)
    if live.sequence is not None:
        s = sq.next_deadline(live.sequence, now)
        if s is not None:
            times.append(s[0])
    return min(times) if times else None


def tick(live: Live, now: float) -> Result:
    """Issue due warnings and grace expiries (never mutes, never moves on at time up)."""
    new, notices = live, []
    if new.round is not None and new.round.status is not RoundStatus.ended:
        due = engine.next_deadline(new.round, now)
        if due is not None and due.at <= now:
            state, outputs = engine.apply(new.round, Tick(actor=SYSTEM), now)
            new = _bump(new, round=state)
            notices += _notices(outputs)
    if new.sequence is not None:
        seq, warning = sq.tick(new.sequence, now)
        if warning is not None:
            new = _bump(new, sequence=seq)
            assert seq.clock is not None
            left = warning is clk.WarningKind.one_minute_left
            seconds = clk.remaining(seq.clock, now) if left else clk.overrun(seq.clock, now)
            notices.append({"kind": "phase_warning", "warning": warning.value,
                            "seconds": round(seconds, 3)})
    return new, notices, []


# ---------------------------------------------------------------- views


def audible(live: Live, presence: Presence) -> frozenset[str]:
    """Whose audio the SFU forwards now."""
    everyone = frozenset(presence.ids)
    phase = current_phase(live)
    running = live.sequence is not None and live.sequence.status in (
        sq.SequenceStatus.running, sq.SequenceStatus.paused)
    if phase is None or not running:
        heard = everyone
    else:
        assert live.sequence is not None
        speaker = None
        if phase.kind is PhaseKind.round and live.round is not None:
            speaker = engine.speaker(live.round)
        elif phase.kind is PhaseKind.presentation:
            speaker = live.sequence.presenter
        heard = fl.audible(phase, participants=everyone, facilitators=presence.facilitators,
                           speaker=speaker, presenter=live.sequence.presenter,
                           floor_holder=live.hands.floor)
    return heard - frozenset(live.muted)


def _clock_view(clock: Clock | None, now: float) -> dict[str, Any]:
    if clock is None:
        return {"deadline": None, "paused": False, "remaining": None, "overrun": 0.0,
                "allotted": None}
    return {"deadline": clock.deadline, "paused": clock.paused_at is not None,
            "remaining": round(clk.remaining(clock, now), 3),
            "overrun": round(clk.overrun(clock, now), 3), "allotted": clock.allotted}


def view(live: Live, now: float, presence: Presence, *, facilitator: bool,
         talk: Mapping[str, float] | None = None) -> dict[str, Any]:
    """The state a client renders. ``deadline`` is server Unix time; with the clock offset every
    client computes the same remaining time. Lobby names are for facilitators only."""
    seq = live.sequence
    phase = current_phase(live)
    out: dict[str, Any] = {
        "version": live.version, "server_time": now, "controller": live.controller,
        "lead": live.lead, "locked": live.locked, "muted": list(live.muted),
        "audible": sorted(audible(live, presence)),
        "phases": [p.title for p in seq.template.phases] if seq else [],
        "template": seq.template.name if seq else None,
        "phases_status": seq.status.value if seq else None,
        "phase": None, "round": None,
        "hands": {"raised": list(fl.ordered(live.hands, speaking_time=talk)
                             if facilitator and live.order_hands_by_time else live.hands.raised),
                  "floor": live.hands.floor},
    }
    if seq is not None and phase is not None:
        out["phase"] = {"index": seq.index, "status": seq.status.value, "kind": phase.kind.value,
                        "title": phase.title, "prompt": phase.prompt, "floor": phase.floor.value,
                        "hold_floor": phase.hold_floor, "layout": phase.layout.value,
                        "presenter": seq.presenter, **_clock_view(seq.clock, now)}
    if live.round is not None:
        r = live.round
        turn = engine.current_turn(r)
        out["round"] = {
            "status": r.status.value, "current": r.current, "speaker": engine.speaker(r),
            "up_next": engine.up_next(r), "turn_length": r.config.turn_length,
            "turns": [{"participant_id": t.participant_id, "status": t.status.value,
                       "passes": t.passes, "connected": t.connected} for t in r.turns],
            **_clock_view(turn.clock if turn else None, now),
            "grace_deadline": turn.grace_deadline if turn else None,
        }
    if facilitator:
        out["lobby"] = [{"participant_id": p, "name": presence.names.get(p)} for p in live.lobby]
    return out
