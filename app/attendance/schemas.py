from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class RecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    on_date: date
    minutes: int


class MyAttendance(BaseModel):
    """One membership's records, for the doctor."""

    member_id: uuid.UUID
    group_id: uuid.UUID
    group_name: str
    records: list[RecordOut]
    minutes: int


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64)


class Verified(BaseModel):
    """What the one certificate with this code states."""

    valid: bool = True
    display_name: str
    group_name: str
    sessions: int
    minutes: int
    first_date: date | None
    last_date: date | None
    issued_at: datetime


class PresentOut(BaseModel):
    on_date: date
    member_id: uuid.UUID
    display_name: str
    minutes: int


class GroupCountOut(BaseModel):
    """Per group, for admins: counts, never names."""

    group_id: uuid.UUID
    group_name: str
    dates: int
    attendances: int


class Deleted(BaseModel):
    deleted: int
