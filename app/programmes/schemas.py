from __future__ import annotations

import unicodedata
import uuid
from datetime import date
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.checkout.schemas import PulseOut
from app.programmes.models import Cohort, PersonStatus

Slot = Annotated[str, StringConstraints(
    strip_whitespace=True, to_upper=True,
    pattern=r"^(MO|TU|WE|TH|FR|SA|SU) ([01][0-9]|2[0-3]):[0-5][0-9]$")]
"""A weekly meeting slot: a weekday code and a local time, ``TU 12:30``."""


class ProgrammeRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slots: list[Slot] = Field(min_length=1, max_length=20)
    min_size: int = Field(default=6, ge=2, le=12)
    max_size: int = Field(default=12, ge=2, le=12)
    mix_specialties: bool = False
    mix_sites: bool = False
    separate_cohorts: bool = True

    @model_validator(mode="after")
    def _sizes(self) -> ProgrammeRules:
        if self.min_size > self.max_size:
            raise ValueError("min_size must not exceed max_size")
        self.slots = list(dict.fromkeys(self.slots))
        return self


class ProgrammeCreate(ProgrammeRules):
    name: str = Field(min_length=1, max_length=120)
    timezone: str = Field(default="Europe/London", max_length=64)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError("unknown timezone (use an IANA name such as Europe/London)")
        return value

    @field_validator("name")
    @classmethod
    def _visible(cls, value: str) -> str:
        if not value.strip() or any(unicodedata.category(c) == "Cc" for c in value):
            raise ValueError("give a name of visible characters")
        return value


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    timezone: str
    slots: list[str]
    min_size: int
    max_size: int
    mix_specialties: bool
    mix_sites: bool
    separate_cohorts: bool


class FacilitatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_id: uuid.UUID
    slots: list[Slot] = Field(min_length=1, max_length=20)
    max_groups: int = Field(default=1, ge=1, le=6)


class FacilitatorOut(BaseModel):
    account_id: uuid.UUID
    display_name: str
    slots: list[str]
    max_groups: int


class StaffOut(BaseModel):
    """A facilitator account a lead may offer to a programme."""

    id: uuid.UUID
    display_name: str


class ImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    csv: str = Field(min_length=1, max_length=1_000_000)


class RowProblem(BaseModel):
    row: int
    column: str
    problem: str


class Imported(BaseModel):
    imported: int


class PersonOut(BaseModel):
    """An imported person as their lead sees them (for the allocation: never attendance)."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    grade: str
    specialty: str
    site: str
    cohort: Cohort
    rotation_start: date
    rotation_end: date
    slots: list[str]
    keep_apart: int
    """How many people they asked to be kept apart from (who, the lead does not see here)."""
    status: PersonStatus
    placement_id: uuid.UUID | None


class PlacementOut(BaseModel):
    id: uuid.UUID
    number: int
    slot: str
    cohort: Cohort | None
    facilitator: str
    confirmed: bool
    people: list[PersonOut]


class AllocationOut(BaseModel):
    """The proposed and confirmed groups, whoever is not placed, and what is wrong."""

    rules: ProgrammeRules
    placements: list[PlacementOut]
    unplaced: list[PersonOut]
    problems: list[str]
    """Why the solver found no allocation (nothing changed then)."""
    violations: list[str]
    """Rules the proposal breaks now (after moves): confirming is refused while any remain."""


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_id: uuid.UUID
    placement_id: uuid.UUID


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first_date: date
    """Groups meet weekly at their slot from this date (in the programme's time zone)."""
    duration_minutes: int = Field(default=90, ge=30, le=180)


class Confirmed(BaseModel):
    groups: int
    invites: int


class ChangeoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: date
    """The change-over date: rotations ending by then end; newcomers are offered places."""


class Changeover(BaseModel):
    left: int
    invited: int
    unplaced: list[str]
    """Newcomers no running group could take, with why (they stay for the next allocation)."""


class GroupFigures(BaseModel):
    number: int
    slot: str
    cohort: Cohort | None
    members: int
    sessions_held: int
    attendances: int
    """Member-sessions attended in all (never by whom, never per session)."""


class Figures(BaseModel):
    """What a lead sees of a programme's groups once they run: counts, never names."""

    people: int
    invited: int
    left: int
    groups_running: int
    sessions_held: int
    attendances: int
    groups: list[GroupFigures]
    pulse: PulseOut
    """The check-out pulse over every session of the programme's groups: each question's
    counts only when at least five answered (app/checkout)."""
