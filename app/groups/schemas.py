from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.groups.models import DEFAULT_GROUND_RULES, MAX_GROUP_SIZE, LateJoin

_TIMEZONES = available_timezones()


def _check_timezone(value: str | None) -> str | None:
    if value is not None and value not in _TIMEZONES:
        raise ValueError("unknown timezone (use an IANA name such as Europe/London)")
    return value


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)
    cohort: str = Field(default="", max_length=120)
    size_limit: int = Field(default=MAX_GROUP_SIZE, ge=2, le=MAX_GROUP_SIZE)
    ground_rules: str = Field(default=DEFAULT_GROUND_RULES, min_length=1, max_length=4000)
    timezone: str = "Europe/London"
    facilitator_id: uuid.UUID | None = None
    """An account to make this group's facilitator."""

    _tz = field_validator("timezone")(_check_timezone)


class GroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    cohort: str | None = Field(default=None, max_length=120)
    size_limit: int | None = Field(default=None, ge=2, le=MAX_GROUP_SIZE)
    ground_rules: str | None = Field(default=None, min_length=1, max_length=4000)
    """Changing the text bumps the version: everyone acknowledges the new rules at next join."""
    timezone: str | None = None
    join_window_minutes: int | None = Field(default=None, ge=0, le=120)
    """The lobby opens by itself this long before a scheduled session starts (0: at the start)."""
    late_after_minutes: int | None = Field(default=None, ge=0, le=240)
    """From this long after the start, an arrival is late."""
    late_join: LateJoin | None = None
    """A late arrival waits for the next phase (`next_phase`) or the room locks (`lock`)."""

    _tz = field_validator("timezone")(_check_timezone)


class GroupOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    description: str
    cohort: str
    size_limit: int
    ground_rules: str
    ground_rules_version: int
    timezone: str
    archived_at: datetime | None
    created_at: datetime
    join_window_minutes: int = 10
    late_after_minutes: int = 10
    late_join: LateJoin = LateJoin.next_phase
