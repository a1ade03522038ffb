"""The signposting card and the pulse over HTTP."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.core.config import Signpost

MAX_SIGNPOSTS = 8


class CardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[Signpost] = Field(min_length=1, max_length=MAX_SIGNPOSTS)


class CardOut(BaseModel):
    entries: list[Signpost]
    is_default: bool
    """True: the deployment's card (the group has none of its own)."""


class PulseIn(BaseModel):
    """One anonymous check-out answer; either question may be skipped."""

    model_config = ConfigDict(extra="forbid")

    heard: int | None = Field(default=None, ge=1, le=5)
    """'Today I felt heard', 1 (not at all) to 5 (completely)."""
    again: bool | None = None
    """'I'd like to come again'."""


class QuestionFigures(BaseModel):
    """One question's counts, or nothing when fewer than five answered (``shown`` false)."""

    shown: bool
    answers: int | None
    counts: dict[str, int] | None


class PulseOut(BaseModel):
    heard: QuestionFigures
    again: QuestionFigures
