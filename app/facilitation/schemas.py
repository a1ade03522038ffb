"""What the live-session routes take and give."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.rounds.phases import MAX_PROMPT_CHARS, MAX_TITLE_CHARS


class Begin(BaseModel):
    """The session's plan: one template, or several in order (check-in, a case, check-out).
    Before the first phase starts it replaces the plan; afterwards it is added to the end."""

    model_config = ConfigDict(extra="forbid")
    template_id: str | None = Field(default=None, min_length=1, max_length=64)
    template_ids: list[str] | None = Field(default=None, min_length=1, max_length=10)

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.template_id is None) == (self.template_ids is None):
            raise ValueError("give template_id or template_ids")
        if self.template_ids is not None and any(not 1 <= len(i) <= 64
                                                  for i in self.template_ids):
            raise ValueError("a template id has 1 to 64 characters")
        return self

    @property
    def ids(self) -> list[str]:
        return self.template_ids if self.template_ids is not None else [str(self.template_id)]


class SavePlan(BaseModel):
    """A name for the session's plan, kept as a group template."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    description: str = Field(default="", max_length=MAX_PROMPT_CHARS)


class LiveView(BaseModel):
    """A live session's state as its clients see it (docs/protocol.md, Facilitation, `state`)."""

    live: bool
    state: dict[str, Any] | None = None
