"""What the live-session routes take and give."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Begin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template_id: str = Field(min_length=1, max_length=64)


class LiveView(BaseModel):
    """A live session's state as its clients see it (docs/protocol.md, Facilitation, `state`)."""

    live: bool
    state: dict[str, Any] | None = None
