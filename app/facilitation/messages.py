"""Every facilitation message, both ways, as a type (docs/protocol.md, "Facilitation").

Client to server: the payloads of the signalling protocol's `app` messages (`{"type": "app",
"kind": K, "data": {...}}`), one pydantic model per kind in one discriminated union, parsed by
one TypeAdapter over ``{"kind": K, **data}``; unknown fields are refused. Server to client: the
`event` messages `state`, `notice` and `talk_time`. A test checks docs/protocol.md and the
frontend's JSDoc typedefs (frontend/static/events.js) against these models.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from app.rounds.clock import WarningKind
from app.rounds.order import OrderRule
from app.rounds.pairs import Arrangement, PairsBell
from app.rounds.phases import (
    MAX_PHASE_SECONDS,
    MAX_PHASES,
    MAX_TURN_SECONDS,
    MIN_PHASE_SECONDS,
    MIN_TURN_SECONDS,
    Phase,
)
from app.rounds.states import OutputKind, TurnStatus

Id = Annotated[str, Field(min_length=1, max_length=128)]
MAX_WORD_CHARS = 500
MAX_CHAT_CHARS = 500


class _Action(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PhaseRef(_Action):
    """A phase already in the plan, by its index (to keep or move it in a `replan`); with
    ``duration``, its planned seconds changed."""

    at: int = Field(ge=0, lt=MAX_PHASES)
    duration: int | None = Field(default=None, ge=MIN_PHASE_SECONDS, le=MAX_PHASE_SECONDS)


class PhaseAction(_Action):
    """Move the session through its plan of phases, or change the phases still to come (the
    facilitator in control)."""

    kind: Literal["phase"]
    action: Literal["start", "pause", "resume", "extend", "advance", "end", "set_presenter",
                    "replan"]
    seconds: Literal[60, 300] | None = None
    participant_id: Id | None = None
    """set_presenter: the Balint presenter or storyteller (None clears)."""
    phases: tuple[PhaseRef | Phase, ...] | None = Field(default=None, max_length=MAX_PHASES)
    """replan: the phases still to come, in order (the started ones stay as they ran): a
    phase of the plan by its index, or a new phase (from a template)."""


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
    facilitators: bool | None = None
    """setup: whether the facilitators take turns too (by default only the members do)."""


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


class PairsRequest(_Action):
    """Run the small rooms of a pairs phase (the facilitator in control)."""

    kind: Literal["pairs"]
    action: Literal["arrange", "start", "extend", "visit", "bring_back"]
    arrangement: Arrangement | None = None
    """arrange: random (the default), kept (as last time) or manual (with groups)."""
    groups: tuple[Annotated[tuple[Id, ...], Field(max_length=3)], ...] | None = Field(
        default=None, max_length=12)
    facilitators: bool | None = None
    """arrange: whether the facilitators are in pairs too (by default only the members)."""
    group: int | None = Field(default=None, ge=0, lt=12)
    """visit: the group the facilitator joins (None: back to the whole group)."""


class WordRequest(_Action):
    """A private word: "I need a moment" (on or off) or a short message to the facilitators;
    a facilitator's private answer to one person. Never stored, never logged."""

    kind: Literal["word"]
    action: Literal["moment", "message", "reply"]
    on: bool | None = None
    """moment: the signal on (True) or off."""
    text: str | None = Field(default=None, min_length=1, max_length=MAX_WORD_CHARS)
    participant_id: Id | None = None
    """reply: whom the facilitator answers."""


class ChatRequest(_Action):
    """The group's chat: a message to everyone present (never stored, never logged), or the
    facilitator turning the chat off or on for the session."""

    kind: Literal["chat"]
    action: Literal["say", "off", "on"]
    text: str | None = Field(default=None, min_length=1, max_length=MAX_CHAT_CHARS)


class StateRequest(_Action):
    """Ask for the whole current state again (it is also sent on every change)."""

    kind: Literal["state"]


Action = Annotated[PhaseAction | RoundAction | HandAction | ControlAction | PairsRequest
                   | WordRequest | ChatRequest | StateRequest, Field(discriminator="kind")]
ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)
KINDS = frozenset(typing.get_args(m.model_fields["kind"].annotation)[0]
                  for m in (PhaseAction, RoundAction, HandAction, ControlAction, PairsRequest,
                            WordRequest, ChatRequest, StateRequest))


def parse_action(kind: str, data: dict[str, Any]) -> Action:
    """Parse an app message's kind and data (raises pydantic.ValidationError)."""
    return ACTION_ADAPTER.validate_python({**data, "kind": kind})


# ---------------------------------------------------------------- server to client


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClockView(_View):
    """A clock as every client renders it: from ``deadline`` and the clock offset."""

    deadline: float | None
    paused: bool
    remaining: float | None
    overrun: float
    allotted: float | None


class PhaseView(ClockView):
    index: int
    status: str
    kind: str
    title: str
    prompt: str
    floor: str
    hold_floor: bool
    layout: str
    presenter: str | None


class TurnView(_View):
    participant_id: str
    status: TurnStatus
    passes: int
    connected: bool


class RoundView(ClockView):
    status: str
    current: str | None
    speaker: str | None
    up_next: str | None
    turn_length: int
    turns: list[TurnView]
    grace_deadline: float | None


class PlannedPhase(_View):
    """A phase of the session's plan."""

    title: str
    kind: str
    duration: int
    """Planned seconds (before any extension)."""
    started: bool
    """It has started (it stays in the plan as it ran); the others can still be changed."""


class PairsView(ClockView):
    """The small rooms of a pairs phase: a member sees only their own group."""

    status: str
    groups: list[list[str]]
    visitors: dict[str, int]
    """Facilitators visiting a group (by its index in ``groups``; for members, 0 is theirs)."""
    mine: int | None
    """The index of the viewer's own group (None: in the whole group)."""


class HandsView(_View):
    raised: list[str]
    floor: str | None
    by_time: bool
    """Facilitators see ``raised`` least spoken first (members always in raise order)."""


class Waiting(_View):
    """Someone in the lobby (facilitators only)."""

    participant_id: str
    name: str | None


class State(_View):
    """`event` `state`: the whole facilitation state (``lobby`` for facilitators only)."""

    kind: Literal["state"] = "state"
    version: int
    server_time: float
    controller: str | None
    lead: str | None
    locked: bool
    muted: list[str]
    audible: list[str]
    phases: list[PlannedPhase]
    template: str | None
    """The plan's name."""
    phases_status: str | None
    phase: PhaseView | None
    round: RoundView | None
    facilitators_take_turns: bool
    hands: HandsView
    names: dict[str, str]
    """The name of everyone who has been in the room this session, present or not."""
    pairs: PairsView | None = None
    chat: bool = True
    """Whether the group's chat is on."""
    moment: bool = False
    """The viewer's own "I need a moment" signal is on (members)."""
    lobby: list[Waiting] | None = None
    weak_links: list[str] | None = None
    """Facilitators only: who is on a link that cannot take every video now."""
    moments: list[str] | None = None
    """Facilitators only: who has said "I need a moment"."""

    def data(self) -> dict[str, Any]:
        """The event's data (without ``kind``; without ``lobby``, ``weak_links`` and
        ``moments`` for members)."""
        hidden = () if self.lobby is not None else ("lobby", "weak_links", "moments")
        return self.model_dump(mode="json", exclude={"kind", *hidden})


class TurnNotice(_View):
    """The round engine's outputs."""

    about: Literal["turn"] = "turn"
    event: OutputKind
    participant_id: str | None = None
    status: TurnStatus | None = None
    warning: WarningKind | None = None
    seconds: float | None = None


class PhaseNotice(_View):
    about: Literal["phase"] = "phase"
    action: str
    index: int
    title: str | None = None


class PhaseWarning(_View):
    about: Literal["phase_warning"] = "phase_warning"
    warning: WarningKind
    seconds: float


class RoundNotice(_View):
    about: Literal["round"] = "round"
    action: Literal["setup"]


class ControlsNotice(_View):
    about: Literal["controls"] = "controls"
    holder: str


class RoomNotice(_View):
    about: Literal["room"] = "room"
    action: Literal["lock", "unlock"]


class PairsNotice(_View):
    """What happens to the small rooms: the bells (a group's swap, the minute warning, the
    return), a visit (to that group), a partner who dropped (to the rest of their group)."""

    about: Literal["pairs"] = "pairs"
    event: PairsBell | Literal["start", "visit", "visit_end", "partner_left"]
    group: int | None = None
    participant_id: str | None = None
    to: tuple[str, ...] | None = Field(default=None, exclude=True)
    """Who hears it (None: everyone); not part of the message."""


Notice = (TurnNotice | PhaseNotice | PhaseWarning | RoundNotice | ControlsNotice | RoomNotice
          | PairsNotice)
"""`event` `notice`: what just happened, broadcast after the `state` it explains (a pairs
notice only to those it concerns)."""


class Word(_View):
    """`event` `word`: a private word: to the facilitators (a message, a moment on or off), or
    a facilitator's answer to one person. In memory only while it is delivered."""

    kind: Literal["word"] = "word"
    action: Literal["moment", "message", "reply"]
    sender: str
    text: str | None = None
    on: bool | None = None


class Chat(_View):
    """`event` `chat`: a message of the group's chat, to everyone present."""

    kind: Literal["chat"] = "chat"
    sender: str
    text: str
    at: float


class TalkTime(_View):
    """`event` `talk_time`: seconds each participant has been heard (facilitators only)."""

    kind: Literal["talk_time"] = "talk_time"
    seconds: dict[str, float]


def notice_event(notice: Notice) -> dict[str, Any]:
    """The `notice` event for ``notice`` (fields without a value are left out)."""
    return {"kind": "notice", **notice.model_dump(mode="json", exclude_none=True)}
