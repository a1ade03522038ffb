from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from app.members.models import Role


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    group_id: uuid.UUID
    display_name: str
    email: str | None
    role: Role
    started_at: datetime
    ended_at: datetime | None
    has_account: bool = False


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    """A future date ends the membership then (the end of a rotation); a past one, at once."""


class FacilitatorAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_id: uuid.UUID
    role: Role = Role.facilitator


class DisplayName(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str = Field(min_length=1, max_length=80)


class Contact(BaseModel):
    """A doctor's own email settings for one membership."""

    model_config = ConfigDict(extra="forbid")
    email: str | None = Field(default=None, max_length=254)
    """Empty or null: Rounds emails this membership nothing."""
    reminders: bool = True
