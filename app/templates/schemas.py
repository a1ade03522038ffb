"""What the template routes take and give."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.rounds.phases import MAX_PHASES, MAX_PROMPT_CHARS, MAX_TITLE_CHARS, Phase


class TemplateIn(BaseModel):
    """A new template: phases given, or a copy of another template (then edit it)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE_CHARS)
    description: str | None = Field(default=None, max_length=MAX_PROMPT_CHARS)
    phases: list[Phase] | None = Field(default=None, min_length=1, max_length=MAX_PHASES)
    copy_of: str | None = Field(default=None, max_length=64)
    """A template id, e.g. `default:balint-case`, to start from."""


class TemplateUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE_CHARS)
    description: str | None = Field(default=None, max_length=MAX_PROMPT_CHARS)
    phases: list[Phase] | None = Field(default=None, min_length=1, max_length=MAX_PHASES)


class TemplateOut(BaseModel):
    id: str
    name: str
    description: str
    phases: list[Phase]
    duration: int
    """Total default seconds."""
    builtin: bool
    default: bool = False
    """The group's default plan (listed first)."""


class DefaultTemplate(BaseModel):
    """A group's default template: a `default:...` id, one of its own, or null for none."""

    model_config = ConfigDict(extra="forbid")
    template_id: str | None = Field(max_length=64)


class SuggestedPlan(BaseModel):
    """The templates to propose for a session, in the order they would run."""

    template_ids: list[str]
