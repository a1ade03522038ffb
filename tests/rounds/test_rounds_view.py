"""The snapshot everyone is shown."""

from __future__ import annotations

from rounds_support import SYSTEM, T0, F, step

from app.rounds.engine import new_round
from app.rounds.events import Disconnect, End, Pause, Start
from app.rounds.states import RoundStatus, TurnStatus
from app.rounds.view import ClockView, RoundView, round_view


def test_round_view_follows_the_turn() -> None:
    s = new_round(["a", "b"], turn_length=60)
    v = round_view(s, T0)
    assert v.status is RoundStatus.pending and v.speaker is None and v.up_next == "a"
    assert v.clock is None
    s = step(s, Start(actor=F), T0)
    v = round_view(s, T0 + 10)
    assert v.speaker == "a" and v.up_next == "b"
    assert v.clock == ClockView(
        seconds=60, ends_at=T0 + 60, remaining=50, overrun=0, paused=None, grace_ends_at=None
    )
    s = step(s, Pause(actor=F), T0 + 10)
    v = round_view(s, T0 + 30)
    assert v.clock is not None and v.clock.paused == "facilitator" and v.clock.ends_at is None
    assert v.clock.remaining == 50
    s = step(s, Disconnect(actor=SYSTEM, participant_id="a"), T0 + 40)
    v = round_view(s, T0 + 50)
    assert v.clock is not None and v.clock.paused == "disconnected"
    assert v.clock.grace_ends_at == T0 + 160
    assert v.turns[0].status is TurnStatus.disconnected and not v.turns[0].connected
    assert RoundView.model_validate_json(v.model_dump_json()) == v
    s = step(s, End(actor=F), T0 + 60)
    v = round_view(s, T0 + 60)
    assert v.speaker is None and v.up_next is None and v.clock is None
