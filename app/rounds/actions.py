"""What participants send during a live session: the payloads of the signalling protocol's `app`
messages (`{"type": "app", "kind": K, "data": {...}}`), one pydantic model per kind.

Parsed by one TypeAdapter over ``{"kind": K, **data}``; unknown fields are refused. The
protocol document (docs/protocol.md, "Facilitation") shows each with an example.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from app.rounds.order import OrderRule
from app.rounds.phases import MAX_TURN_SECONDS, MIN_TURN_SECONDS

Id = Annotated[str, Field(min_length=1, max_length=128)]


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PhaseAction(_Action):
    """Move the session through its template's phases (the facilitator in control)."""

    kind: Literal["phase"]
    action: Literal["start", "pause", "resume", "extend", "advance", "end", "set_presenter"]
    seconds: Literal[60, 300] | None = None
    participant_id: Id | None = None
    """set_presenter: the Balint presenter or storyteller (None clears)."""


class RoundAction(_Action):
    """Run the round of turns of a round phase."""

    kind: Literal["round"]
    action: Literal["setup", "start", "pause", "resume", "extend", "next", "pass", "finish",
                    "skip", "reorder", "end"]
    seconds: Literal[30, 60] | None = None
    participant_id: Id | None = None
    order: tuple[Id, ...] | None = Field(default=None, max_length=12)
    rule: OrderRule | None = None
    """setup: join_order, alphabetical, random or manual (with order)."""
    turn_length: int | None = Field(default=None, ge=MIN_TURN_SECONDS, le=MAX_TURN_SECONDS)


class HandAction(_Action):
    """Raise or lower a hand; the facilitator gives the floor or takes it back."""

    kind: Literal["hand"]
    action: Literal["raise", "lower", "give", "take_back", "order_by_time"]
    participant_id: Id | None = None
    enabled: bool | None = None
    """order_by_time: order the queue by least speaking time this session."""


class ControlAction(_Action):
    """The facilitator's controls of the room."""

    kind: Literal["control"]
    action: Literal["admit", "admit_all", "lock", "unlock", "mute", "unmute", "mute_all",
                    "remove", "hand_over", "take_back"]
    participant_id: Id | None = None


class StateRequest(_Action):
    """Ask for the whole current state again (it is also sent on every change)."""

    kind: Literal["state"]


Action = Annotated[PhaseAction | RoundAction | HandAction | ControlAction | StateRequest,
                   Field(discriminator="kind")]
ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)
KINDS = frozenset({"phase", "round", "hand", "control", "state"})


def parse_action(kind: str, data: dict[str, Any]) -> Action:
    """Parse an app message's kind and data (raises pydantic.ValidationError)."""
    return ACTION_ADAPTER.validate_python({**data, "kind": kind})
