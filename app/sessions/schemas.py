from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.groups.schemas import GroupOut
from app.sessions.models import SessionStatus


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scheduled_start: AwareDatetime
    duration_minutes: int = Field(default=90, ge=5, le=480)
    title: str = Field(default="", max_length=120)


class SessionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scheduled_start: AwareDatetime | None = None
    duration_minutes: int | None = Field(default=None, ge=5, le=480)
    title: str | None = Field(default=None, max_length=120)
    status: SessionStatus | None = None
    """scheduled → open (lobby) → live → ended; a scheduled or open session can be ended
    (cancelled)."""


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    group_id: uuid.UUID
    title: str
    scheduled_start: datetime
    duration_minutes: int
    status: SessionStatus
    started_at: datetime | None
    ended_at: datetime | None
    series_id: uuid.UUID | None = None
    """The series it is an occurrence of, if any."""
    detached: bool = False
    """An occurrence edited on its own: editing its series leaves it as it is."""
    cancel_reason: str | None = None
    """Why it was cancelled (it has ended without taking place)."""


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=200)
    """Shown to the group's members on their page and in their calendars."""


class JoinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ground_rules_version: int = Field(ge=1)
    """The version of the ground rules this person has just read and acknowledged."""


class IceServer(BaseModel):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class JoinGrant(BaseModel):
    """What a browser needs to enter the room."""

    token: str
    expires_at: datetime
    signalling_path: str
    ice_servers: list[IceServer]
    participant_id: uuid.UUID
    role: str


class Waiting(BaseModel):
    """The member is in the lobby; ask again in a few seconds."""

    status: str = "waiting"
    detail: str
    session_status: str


class MyMembership(BaseModel):
    """A group this browser belongs to, and its next session."""

    member_id: uuid.UUID
    display_name: str
    role: str
    group: GroupOut
    next_session: SessionOut | None
    cancelled: list[SessionOut] = []
    """Sessions still to come that were cancelled, with their reasons."""
    email: str | None = None
    """The doctor's own email for this group (only they see it here)."""
    reminders: bool = True


class MySession(BaseModel):
    """One session of a group this browser belongs to, whatever its status (an ended one too)."""

    member_id: uuid.UUID
    display_name: str
    role: str
    group: GroupOut
    session: SessionOut
