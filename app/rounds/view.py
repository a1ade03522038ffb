"""What everyone in the room is shown of a round: a snapshot the service sends over the websocket.

The snapshot is the same for everybody (speaking-time figures are not in it: they are for the
facilitators only and computed by the service from ``engine.spoken``). Clocks are sent as an
absolute ``ends_at`` while running and as ``remaining`` while paused, so clients count down
locally without drift.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from app.rounds import clock as clk
from app.rounds.engine import current_turn, up_next
from app.rounds.states import RoundState, RoundStatus, TurnStatus

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class TurnView(BaseModel):
    """One line of the order as shown to everyone."""

    model_config = _FROZEN

    participant_id: str
    status: TurnStatus
    connected: bool


class ClockView(BaseModel):
    """The current turn's clock."""

    model_config = _FROZEN

    seconds: float
    """Allotted seconds (length plus extensions)."""
    ends_at: float | None
    """Unix time the allotted time runs out while running; None while paused."""
    remaining: float
    overrun: float
    paused: Literal["facilitator", "disconnected"] | None
    grace_ends_at: float | None
    """While the speaker is disconnected: when the group stops waiting."""


class RoundView(BaseModel):
    """A round as shown to everyone."""

    model_config = _FROZEN

    status: RoundStatus
    speaker: str | None
    up_next: str | None
    turns: tuple[TurnView, ...]
    clock: ClockView | None
    version: int


def round_view(state: RoundState, now: float) -> RoundView:
    """The snapshot of ``state`` at ``now``."""
    turn = current_turn(state)
    view_clock: ClockView | None = None
    if turn is not None and turn.clock is not None:
        c = turn.clock
        paused: Literal["facilitator", "disconnected"] | None = None
        if turn.status is TurnStatus.paused:
            paused = "facilitator"
        elif turn.status is TurnStatus.disconnected:
            paused = "disconnected"
        view_clock = ClockView(
            seconds=c.allotted,
            ends_at=c.deadline if c.running else None,
            remaining=clk.remaining(c, now),
            overrun=clk.overrun(c, now),
            paused=paused,
            grace_ends_at=turn.grace_deadline,
        )
    return RoundView(
        status=state.status,
        speaker=None if turn is None else turn.participant_id,
        up_next=None if state.status is RoundStatus.ended else up_next(state),
        turns=tuple(
            TurnView(participant_id=t.participant_id, status=t.status, connected=t.connected)
            for t in state.turns
        ),
        clock=view_clock,
        version=state.version,
    )
