"""The drop-in API's bodies and answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.dropin.models import NetworkScope


class NetworkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    scope: NetworkScope = NetworkScope.trust
    region: str = Field(default="", max_length=120)
    ground_rules: str | None = Field(default=None, min_length=1, max_length=4000)


class RoomIn(BaseModel):
    """When a drop-in room opens, in plain parts, as a series: "every Tuesday at 13:00 for 60
    minutes, from 5 January 2027"."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    frequency: Literal["weekly", "fortnightly", "monthly"] = "weekly"
    start_date: date
    start_time: time
    duration_minutes: int = Field(default=60, ge=15, le=480)
    timezone: str = Field(default="Europe/London", max_length=64)


class HostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_id: uuid.UUID


class Opening(BaseModel):
    starts_at: datetime
    ends_at: datetime


class RoomOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    """When it opens, in plain words."""
    timezone: str
    open_now: bool
    current: Opening | None
    next: Opening | None
    hosted: bool
    """A host is in the room now."""


class HostOut(BaseModel):
    account_id: uuid.UUID
    display_name: str


class NetworkOut(BaseModel):
    id: uuid.UUID
    name: str
    scope: NetworkScope
    region: str
    link: str
    """The path of the network's link (`/drop-in#KEY`): for its admins and hosts only."""
    ground_rules: str
    ground_rules_version: int
    rooms: list[RoomOut]
    hosts: list[HostOut]
    hosting: bool
    """The viewer is one of its hosts."""


class NetworkPublic(BaseModel):
    """What the network's link shows anyone who has it."""

    name: str
    ground_rules: str
    ground_rules_version: int
    rooms: list[RoomOut]


class KnockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=8, max_length=64)
    """The network link's key."""
    name: str = Field(min_length=1, max_length=40)
    """The name the room shows; any name will do."""
    ground_rules_version: int = Field(ge=1)


class Knocked(BaseModel):
    ticket: str
    """Held by this tab only: it asks for the room with it. It dies with the visit."""
    participant_id: uuid.UUID
    status: Literal["waiting"] = "waiting"


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=8, max_length=64)
    """The network link's key (after the # of `/drop-in#KEY`)."""


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ticket: str = Field(min_length=8, max_length=64)


class Lobby(BaseModel):
    open: bool
    waiting: list[dict[str, str]]
    inside: list[dict[str, str]]
