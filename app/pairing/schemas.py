"""The near-peer pairing API's bodies and answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.accounts.schemas import Email
from app.pairing.models import Seniority


class SchemeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    lead_id: uuid.UUID | None = None
    """The scheme lead's account (default: the admin who creates it)."""
    prefer_same_specialty: bool = True
    prefer_same_site: bool = True


class Counts(BaseModel):
    """All anyone but the pair sees of the pairs: how many."""

    seniors_waiting: int
    juniors_waiting: int
    pairs_active: int
    pairs_ended: int


class SchemeOut(BaseModel):
    id: uuid.UUID
    name: str
    lead_id: uuid.UUID | None
    link: str
    """The scheme's sign-up link (`/pairing#KEY`): for its lead and admins."""
    prefer_same_specialty: bool
    prefer_same_site: bool
    counts: Counts


class PersonOut(BaseModel):
    """Someone waiting to be matched, as the lead sees them (to match them)."""

    id: uuid.UUID
    seniority: Seniority
    name: str
    email: str
    specialty: str
    site: str
    department: str
    since: datetime


class SchemeDetail(SchemeOut):
    waiting: list[PersonOut]
    """Who waits to be matched; once matched, nobody here sees them any more."""


class ProposalOut(BaseModel):
    senior: PersonOut
    junior: PersonOut
    same_specialty: bool
    same_site: bool


class PairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    senior_id: uuid.UUID
    junior_id: uuid.UUID


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=8, max_length=64)


class SchemePublic(BaseModel):
    name: str


class JoinScheme(BaseModel):
    """Volunteer (a senior) or ask (a junior)."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=8, max_length=64)
    seniority: Seniority
    name: str = Field(min_length=1, max_length=80)
    email: Email
    specialty: str = Field(min_length=1, max_length=120)
    site: str = Field(min_length=1, max_length=120)
    department: str = Field(min_length=1, max_length=120)


class Joined(BaseModel):
    token: str
    """Their private pairing link's token (`/pair#TOKEN`): shown once, kept on this device."""


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=16, max_length=128)


class Partner(BaseModel):
    name: str
    specialty: str
    site: str


class Meeting(BaseModel):
    starts_at: datetime
    minutes: int


class MyPairing(BaseModel):
    name: str
    seniority: Seniority
    scheme: str
    status: Literal["waiting", "paired"]
    partner: Partner | None
    next_meeting: Meeting | None


class MeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=16, max_length=128)
    starts_at: datetime
    minutes: int = Field(default=30, ge=10, le=180)
