"""The live state of one session as a value, who is in the room, and who may act.

``Live`` is immutable: every change (``app.facilitation.actions``, ``.presence``, ``.clocks``)
takes a ``Live``, what happened and ``now`` and returns a ``Result``: the new ``Live``, the
notices to broadcast and the effects only the runtime can carry out. A change that is not allowed
raises (``app.facilitation.errors``, or the engine's errors) and changes nothing. No I/O here.

Controls: one participant holds them at a time (``controller``): the lead facilitator, or the
co-facilitator they were handed to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from app.facilitation.errors import Refused
from app.facilitation.messages import Notice
from app.members.models import FACILITATING
from app.rounds import sequence
from app.rounds.events import Actor, Role
from app.rounds.floor import Hands
from app.rounds.pairs import Groups, Pairs
from app.rounds.phases import Phase
from app.rounds.sequence import PhaseSequence
from app.rounds.states import RoundState


@dataclass(frozen=True)
class Effect:
    """Something only the runtime can do: remove a participant from the room (and disable the
    personal invite they joined with)."""

    kind: Literal["remove"]
    participant: str


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

    def taking_turns(self, live: Live) -> list[str]:
        """Who has a turn in a round: the members, and the facilitators if they take turns."""
        return [p for p, r in self.roles.items()
                if live.facilitators_take_turns or r not in FACILITATING]


class Live(BaseModel):
    """Everything the server holds about a live session; persisted as JSON after each change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sequence: PhaseSequence | None = None
    round: RoundState | None = None
    hands: Hands = Hands()
    order_hands_by_time: bool = False
    facilitators_take_turns: bool = False
    controller: str | None = None
    lead: str | None = None
    locked: bool = False
    locked_for_late: bool = False
    """The group's late-join rule has locked the room once (``presence.lock_for_late_arrivals``)."""
    admitted: tuple[str, ...] = ()
    lobby: tuple[str, ...] = ()
    held: tuple[str, ...] = ()
    """Late arrivals in the lobby who are let in when the next phase begins."""
    removed: tuple[str, ...] = ()
    muted: tuple[str, ...] = ()
    pairs: Pairs | None = None
    """The small rooms of the current pairs phase."""
    last_pairs: Groups = ()
    """The groups of this session's last pairs phase (to keep them)."""
    chat_off: bool = False
    """The facilitator turned the group's chat off for this session."""
    version: int = 0


Result = tuple[Live, list[Notice], list[Effect]]


def bump(live: Live, **update: Any) -> Live:
    """A new state with ``update`` applied and the version moved on."""
    return live.model_copy(update={**update, "version": live.version + 1})


def without(items: tuple[str, ...], *gone: str) -> tuple[str, ...]:
    return tuple(i for i in items if i not in gone)


def including(items: tuple[str, ...], item: str) -> tuple[str, ...]:
    return items if item in items else (*items, item)


def current_phase(live: Live) -> Phase | None:
    """The phase that is on (or about to start), None without a template or once ended."""
    return None if live.sequence is None else sequence.current_phase(live.sequence)


def actor(live: Live, participant: str, role: str) -> Actor:
    """The engine's view of a participant: the controller acts as facilitator."""
    if participant == live.controller:
        return Actor(id=participant, role=Role.facilitator)
    if role in FACILITATING:
        return Actor(id=participant, role=Role.co_facilitator)
    return Actor(id=participant, role=Role.member)


def need_control(live: Live, participant: str) -> None:
    """Refuse unless ``participant`` holds the controls."""
    if participant != live.controller:
        raise Refused("not_in_control", "only the facilitator holding the controls can do this")
