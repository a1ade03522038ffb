from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Weekday = Literal["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


class SeriesRule(BaseModel):
    """When a series meets, in plain parts ("every other Tuesday at 12:30 for 60 minutes, from
    6 October until 31 March, skipping 29 December") or as RRULE text (``rule``)."""

    model_config = ConfigDict(extra="forbid")
    frequency: Literal["weekly", "fortnightly", "monthly"] | None = None
    weekday: Weekday | None = None
    """Default: the weekday of ``start_date``."""
    week_of_month: Literal[1, 2, 3, 4, -1] | None = None
    """For a monthly series: the first to fourth, or (-1) the last such weekday of the month."""
    rule: str | None = Field(default=None, max_length=200)
    """RRULE parts instead of ``frequency`` (weekly or monthly; no DTSTART, BYHOUR, BYMINUTE)."""
    start_date: date
    """The first day the series may meet, in the group's time zone."""
    start_time: time
    """The wall-clock start in the group's time zone: the same across the clock changes."""
    duration_minutes: int = Field(default=90, ge=5, le=480)
    until: date | None = None
    """The last day it may meet (inclusive)."""
    count: int | None = Field(default=None, ge=1, le=520)
    """How many sessions, instead of ``until``."""
    skip: list[date] = Field(default_factory=list, max_length=200)
    """Local dates with no session (bank holidays, rotation change-over weeks)."""
    title: str = Field(default="", max_length=120)

    @model_validator(mode="after")
    def _one_rule(self) -> SeriesRule:
        if (self.frequency is None) == (self.rule is None):
            raise ValueError("give either frequency (weekly, fortnightly, monthly) or rule")
        return self


class SeriesOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    group_id: uuid.UUID
    title: str
    rule: str
    """The RRULE, as in the calendar feed."""
    first_start: datetime
    timezone: str
    duration_minutes: int
    skipped: list[date]
    sequence: int
    ended_at: datetime | None
    description: str
    """The rule in plain words."""

