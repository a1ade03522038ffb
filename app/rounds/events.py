"""Actors and events of the round engine: what the service feeds ``app.rounds.engine.apply``.

Each event carries its ``actor`` (id and role). Events are frozen pydantic models with a ``type``
field; ``EVENT_ADAPTER.validate_json(raw)`` parses one from the websocket or the REST API.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class EventType(StrEnum):
    """The ``type`` of every event."""

    start = "start"
    pause = "pause"
    resume = "resume"
    extend = "extend"
    next = "next"
    pass_ = "pass"
    finish = "finish"
    skip = "skip"
    reorder = "reorder"
    end = "end"
    join_ = "join"
    disconnect = "disconnect"
    reconnect = "reconnect"
    tick = "tick"


class Role(StrEnum):
    """Who sends an event: people by role, and the service itself."""

    facilitator = "facilitator"
    co_facilitator = "co-facilitator"
    member = "member"
    system = "system"
    """The service: presence from the room, ticks from the scheduler."""


class Actor(BaseModel):
    """The sender of an event."""

    model_config = _FROZEN

    id: str
    role: Role


SYSTEM = Actor(id="system", role=Role.system)


# ---------------------------------------------------------------- events


class _Event(BaseModel):
    model_config = _FROZEN

    actor: Actor


class Start(_Event):
    """Offer the first turn."""

    type: Literal["start"] = "start"


class Pause(_Event):
    """Pause the current turn's clock."""

    type: Literal["pause"] = "pause"


class Resume(_Event):
    """Restart the current turn's clock."""

    type: Literal["resume"] = "resume"


class Extend(_Event):
    """Give the current turn more time."""

    type: Literal["extend"] = "extend"
    seconds: Literal[30, 60]


class Next(_Event):
    """Finish the current turn (if any) and offer the next one; end the round if nobody is left."""

    type: Literal["next"] = "next"


class Pass(_Event):
    """The speaker passes (first time: offered again at the end; second time: declined)."""

    type: Literal["pass"] = "pass"


class Finish(_Event):
    """ "I've finished", by the speaker."""

    type: Literal["finish"] = "finish"


class Skip(_Event):
    """Skip a turn: the current one if ``participant_id`` is None, else that waiting turn."""

    type: Literal["skip"] = "skip"
    participant_id: str | None = None


class Reorder(_Event):
    """A new order for the queued turns; ``order`` must list exactly the queued participants."""

    type: Literal["reorder"] = "reorder"
    order: tuple[str, ...]


class End(_Event):
    """End the round; every turn becomes terminal."""

    type: Literal["end"] = "end"


class Join(_Event):
    """A participant joins late: a queued turn is appended."""

    type: Literal["join"] = "join"
    participant_id: str


class Disconnect(_Event):
    """A participant's connection dropped."""

    type: Literal["disconnect"] = "disconnect"
    participant_id: str


class Reconnect(_Event):
    """A participant's connection came back."""

    type: Literal["reconnect"] = "reconnect"
    participant_id: str


class Tick(_Event):
    """The scheduler's wake-up at a ``next_deadline``: issues due warnings and grace expiry."""

    type: Literal["tick"] = "tick"


Event = Annotated[
    Start
    | Pause
    | Resume
    | Extend
    | Next
    | Pass
    | Finish
    | Skip
    | Reorder
    | End
    | Join
    | Disconnect
    | Reconnect
    | Tick,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
"""Parses an event from JSON: ``EVENT_ADAPTER.validate_json(raw)``."""
