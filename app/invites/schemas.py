from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.invites.models import InviteKind
from app.members.models import Role


class InviteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role = Role.member
    kind: InviteKind = InviteKind.personal
    max_uses: int = Field(default=1, ge=1, le=100)
    """Only for group invites; a personal invite is used once."""
    expires_in_days: int | None = Field(default=None, ge=1, le=365)
    """Default: the service's invite lifetime."""
    label: str = Field(default="", max_length=120)
    """A note for the facilitator (who the link is for); never shown to the invitee."""
    email: str | None = Field(default=None, max_length=254)
    """Only for a personal invite, when the service sends email: the link is emailed there. The
    address is not kept with the invite; the outbox deletes it once the email is sent."""


class InviteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    group_id: uuid.UUID
    role: Role
    kind: InviteKind
    label: str
    max_uses: int
    uses: int
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime
    status: str


class InviteCreated(InviteOut):
    link: str
    """The link to send. It is shown this once: only its hash is kept."""
    emailed: bool = False
    """The link was queued to be emailed to the address given."""


class InviteToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=200)


class InviteAccept(InviteToken):
    display_name: str = Field(min_length=1, max_length=80)


class SessionBrief(BaseModel):
    id: uuid.UUID
    title: str
    scheduled_start: datetime
    duration_minutes: int
    status: str


class InvitePreview(BaseModel):
    """What an invite link shows before anyone joins."""

    valid: bool
    reason: str | None
    """Why the link no longer works: invite_expired, invite_revoked, invite_used, group_archived."""
    group_name: str | None = None
    group_description: str | None = None
    group_timezone: str | None = None
    """The IANA timezone the group's times are given in."""
    ground_rules: str | None = None
    ground_rules_version: int | None = None
    role: Role | None = None
    next_session: SessionBrief | None = None
    expires_at: datetime | None = None
    already_member: bool = False
    """This browser already holds an active membership of the group (then ``group_id`` and
    ``display_name`` say which): the page sends the doctor to their group, not to join again."""
    group_id: uuid.UUID | None = None
    display_name: str | None = None


class Joined(BaseModel):
    member_id: uuid.UUID
    group_id: uuid.UUID
    group_name: str
    display_name: str
    role: Role
    already_member: bool = False
    """The browser was already in the group: nothing was used or added (status 200, not 201)."""
