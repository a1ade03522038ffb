"""What people coming and going does to a live session: the lobby, joins and drops.

When the controller's connection drops, the controls pass at once to another facilitator who is
present (a co-facilitator first); the lead can take them back on return. A dropped speaker's turn
pauses (the engine's grace); a late member is appended to the round. Pure, like ``actions``.
"""

from __future__ import annotations

from typing import Any

from app.facilitation import pairing
from app.facilitation.actions import turn_notices
from app.facilitation.messages import ControlsNotice, Notice, RoomNotice
from app.facilitation.state import Live, Presence, Result, bump, including, without
from app.members.models import FACILITATING
from app.rounds import engine
from app.rounds.errors import EngineError
from app.rounds.events import SYSTEM, Disconnect, Join, Reconnect
from app.rounds.states import RoundStatus


def wait_in_lobby(live: Live, participant: str, *, until_next_phase: bool = False) -> Result:
    """A member asks to come in; they wait until the facilitator admits them (or, arriving
    late to a group that lets late arrivals in between phases, until the next phase begins)."""
    held = including(live.held, participant) if until_next_phase else live.held
    if participant in live.lobby and held == live.held:
        return live, [], []
    return bump(live, lobby=including(live.lobby, participant), held=held), [], []


def lock_for_late_arrivals(live: Live) -> Result:
    """The group locks its room to late arrivals: lock it, once (an unlock by the facilitator
    stays unlocked)."""
    if live.locked_for_late:
        return live, [], []
    return bump(live, locked=True, locked_for_late=True), [RoomNotice(action="lock")], []


def _round_event(live: Live, event: Any, now: float) -> tuple[Live, list[Notice]]:
    """Feed the round a presence change; one it cannot take (it has ended) changes nothing."""
    assert live.round is not None
    try:
        state, outputs = engine.apply(live.round, event, now)
    except EngineError:
        return live, []
    return bump(live, round=state), turn_notices(outputs)


def _open_round(live: Live) -> bool:
    return live.round is not None and live.round.status is not RoundStatus.ended


def joined(live: Live, participant: str, role: str, presence: Presence, now: float) -> Result:
    """Someone entered the room (for the first time or again)."""
    new, notices = live, list[Notice]()
    if role in FACILITATING:
        update: dict[str, Any] = {}
        if role == "facilitator" and live.lead is None:
            update["lead"] = participant
        if live.controller is None or live.controller not in presence.roles:
            update["controller"] = participant
            notices.append(ControlsNotice(holder=participant))
        if update:
            new = bump(new, **update)
    if _open_round(new):
        assert new.round is not None
        turn = next((t for t in new.round.turns if t.participant_id == participant), None)
        event: Any = None
        if turn is None:
            if role not in FACILITATING or new.facilitators_take_turns:  # late arrivals
                event = Join(actor=SYSTEM, participant_id=participant)
        elif not turn.connected:
            event = Reconnect(actor=SYSTEM, participant_id=participant)
        if event is not None:
            new, more = _round_event(new, event, now)
            notices += more
    return new, notices, []


def lost(live: Live, participant: str, presence: Presence, now: float) -> Result:
    """Someone's connection dropped or they left; ``presence`` no longer includes them."""
    new, notices = live, list[Notice]()
    if _open_round(new):
        assert new.round is not None
        turn = next((t for t in new.round.turns if t.participant_id == participant), None)
        if turn is not None and turn.connected:
            new, notices = _round_event(
                new, Disconnect(actor=SYSTEM, participant_id=participant), now)
    new, told = pairing.dropped(new, participant)
    notices += told
    if participant in new.hands.raised:
        new = bump(new, hands=new.hands.model_copy(
            update={"raised": without(new.hands.raised, participant)}))
    if participant == new.controller:
        others = [p for p in presence.facilitators if p != participant]
        successor = next((p for p in others if presence.roles[p] == "co-facilitator"),
                         others[0] if others else None)
        if successor is not None:
            new = bump(new, controller=successor)
            notices.append(ControlsNotice(holder=successor))
    return new, notices, []
