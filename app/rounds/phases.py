"""Phases and templates: what a session is made of, as immutable, JSON-serialisable values.

A **template** is an ordered list of **phases**. Each phase has a kind, a default duration, a
prompt shown to everyone, a floor rule (whose voice the group is listening to), an optional
hold-the-floor flag (off by default: when on, the server forwards only the audio the floor rule
names), a layout hint and, for round phases, the turn length and its allowed range.

Validation raises pydantic's ``ValidationError`` with one readable message per problem; app/
stores templates as JSON (``model_dump_json`` / ``Template.model_validate_json``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

MIN_PHASE_SECONDS = 30
MAX_PHASE_SECONDS = 2 * 60 * 60
MAX_TEMPLATE_SECONDS = 4 * 60 * 60
MIN_TURN_SECONDS = 15
MAX_TURN_SECONDS = 15 * 60
MAX_PROMPT_CHARS = 500
MAX_TITLE_CHARS = 80
MAX_PHASES = 20


class PhaseKind(StrEnum):
    """What happens in a phase."""

    open = "open"
    round = "round"
    presentation = "presentation"
    questions = "questions"
    discussion = "discussion"
    push_back_return = "push_back_return"
    pairs = "pairs"
    close = "close"


class FloorRule(StrEnum):
    """Who has the floor in a phase (see app.rounds.floor for the audio it implies)."""

    facilitator = "facilitator"
    """The facilitators speak (opening, closing)."""
    speaker = "speaker"
    """The current speaker: the turn holder in a round, the presenter in a presentation."""
    open_hands = "open_hands"
    """Open discussion; members raise hands and the facilitator gives the floor."""
    presenter_muted = "presenter_muted"
    """Push-back: everyone but the presenter, who listens silently."""


class Layout(StrEnum):
    """A hint for the client's video layout."""

    circle = "circle"
    spotlight = "spotlight"
    presenter_aside = "presenter_aside"


class TurnSpec(BaseModel):
    """Turn length of a round phase and the range the facilitator may choose from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    length: int = Field(description="default seconds per turn")
    min: int = Field(description="shortest turn the facilitator may set")
    max: int = Field(description="longest turn the facilitator may set")

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if not MIN_TURN_SECONDS <= self.min <= self.length <= self.max <= MAX_TURN_SECONDS:
            raise ValueError(
                f"turn lengths must satisfy {MIN_TURN_SECONDS} <= min <= length <= max <= "
                f"{MAX_TURN_SECONDS} seconds (got min={self.min}, length={self.length}, "
                f"max={self.max})"
            )
        return self


class Phase(BaseModel):
    """One phase of a session: its kind, clock, prompt, floor rule and layout."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: PhaseKind
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    duration: int = Field(
        ge=MIN_PHASE_SECONDS, le=MAX_PHASE_SECONDS, description="default seconds for the phase"
    )
    prompt: str = Field(default="", max_length=MAX_PROMPT_CHARS, description="shown to all")
    floor: FloorRule
    hold_floor: bool = Field(
        default=False, description="forward only the audio the floor rule names"
    )
    layout: Layout = Layout.circle
    turn: TurnSpec | None = Field(default=None, description="round phases only")
    group_size: Literal[2, 3] | None = Field(default=None, description="pairs phases only")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.kind is PhaseKind.round) != (self.turn is not None):
            raise ValueError("a round phase needs a turn spec, and only a round phase has one")
        if (self.kind is PhaseKind.pairs) != (self.group_size is not None):
            raise ValueError("a pairs phase needs a group size (2 or 3), and only it has one")
        if self.kind is PhaseKind.round and self.floor is not FloorRule.speaker:
            raise ValueError("a round phase gives the floor to the speaker")
        if self.floor is FloorRule.presenter_muted and self.kind is not PhaseKind.discussion:
            raise ValueError("only a discussion phase can mute the presenter (push-back)")
        return self


class Template(BaseModel):
    """A saved, ordered sequence of phases."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    description: str = Field(default="", max_length=MAX_PROMPT_CHARS)
    phases: tuple[Phase, ...] = Field(min_length=1, max_length=MAX_PHASES)

    @property
    def duration(self) -> int:
        """Total default seconds of all phases."""
        return sum(p.duration for p in self.phases)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.duration > MAX_TEMPLATE_SECONDS:
            raise ValueError(
                f"a template lasts at most {MAX_TEMPLATE_SECONDS // 60} minutes "
                f"(got {self.duration // 60})"
            )
        seen_presentation = False
        for i, phase in enumerate(self.phases):
            if phase.kind is PhaseKind.presentation:
                seen_presentation = True
            needs_presenter = phase.floor is FloorRule.presenter_muted or (
                phase.kind is PhaseKind.push_back_return
            )
            if needs_presenter and not seen_presentation:
                raise ValueError(
                    f"phase {i + 1} ({phase.title!r}) needs a presenter: "
                    "put a presentation phase before it"
                )
        return self
