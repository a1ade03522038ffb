"""Programmes: what a programme lead runs (all foundation doctors of a trust for a year, say).

A programme holds the people its lead imported (each in a cohort, with the meeting slots they
can make and the people they will not share a group with), the facilitators who run its groups
(with their slots), and its placements: groups proposed by the allocation, which become real
groups (``app.groups``) when the lead confirms them.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin


class Cohort(StrEnum):
    """Who a programme's groups are for; by default a group holds one cohort."""

    foundation = "foundation"
    core = "core"
    specialty = "specialty"
    sas = "sas"
    later_career = "later_career"
    international = "international"
    """International medical graduates (doctors trained overseas)."""


class PersonStatus(StrEnum):
    imported = "imported"
    """Imported, not (yet) in a confirmed group."""
    invited = "invited"
    """Their group is confirmed and their personal invite queued."""
    left = "left"
    """Their rotation ended: their place (and invite) ended on their end date."""


class Programme(IdMixin, Base):
    """A programme and the rules its allocation follows."""

    __tablename__ = "programmes"
    __dataflow__ = Table(
        holds="a programme (e.g. foundation doctors of a trust for a year) and its allocation "
        "rules",
        deleted="never by Rounds (its people are deleted on their own schedule); to delete one, "
        "DELETE FROM programmes WHERE id = ... (its people, facilitators and placements go too)",
        columns={
            "id": ID, "created_at": CREATED,
            "name": Col("shown to its lead"),
            "lead_id": Col("the programme lead's account", "yes: links to a named account",
                           "emptied when the account is deleted"),
            "timezone": Col("the zone its meeting slots are in"),
            "slots": Col("the weekly meeting slots its groups may use (e.g. TU 12:30)"),
            "min_size": Col("members a proposed group has at least"),
            "max_size": Col("members a proposed group has at most"),
            "mix_specialties": Col("whether no specialty may make up more than half a group"),
            "mix_sites": Col("whether no site may make up more than half a group"),
            "separate_cohorts": Col("whether each group holds one cohort only"),
        },
    )
    __table_args__ = (
        CheckConstraint("min_size >= 2 AND min_size <= max_size AND max_size <= 12",
                        name="sizes"),
    )

    name: Mapped[str] = mapped_column(String(120))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    slots: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Weekly slots as ``TU 12:30`` (a weekday code and a local time)."""
    min_size: Mapped[int] = mapped_column(default=6)
    max_size: Mapped[int] = mapped_column(default=12)
    mix_specialties: Mapped[bool] = mapped_column(default=False, server_default=false())
    mix_sites: Mapped[bool] = mapped_column(default=False, server_default=false())
    separate_cohorts: Mapped[bool] = mapped_column(default=True)


class ProgrammeFacilitator(IdMixin, Base):
    """A facilitator who runs groups of a programme, at the slots they can make."""

    __tablename__ = "programme_facilitators"
    __dataflow__ = Table(
        holds="a facilitator offered to a programme's allocation, with the slots they can make",
        deleted="with the programme or the account",
        columns={
            "id": ID, "created_at": CREATED,
            "programme_id": Col("the programme"),
            "account_id": Col("the facilitator's account", "yes: links to a named account"),
            "slots": Col("the programme's slots they can make", "yes: their availability"),
            "max_groups": Col("groups they run at most"),
        },
    )
    __table_args__ = (UniqueConstraint("programme_id", "account_id"),
                      CheckConstraint("max_groups BETWEEN 1 AND 6", name="max_groups"))

    programme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    slots: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_groups: Mapped[int] = mapped_column(default=1)


class Placement(IdMixin, Base):
    """A group of a programme: proposed by the allocation (``group_id`` empty), then confirmed
    as a real group with a facilitator and a weekly series at its slot."""

    __tablename__ = "programme_placements"
    __dataflow__ = Table(
        holds="a group of a programme, proposed or confirmed: its facilitator, slot and cohort",
        deleted="with the programme; a proposal is replaced by the next allocation",
        columns={
            "id": ID, "created_at": CREATED,
            "programme_id": Col("the programme"),
            "number": Col("its number in the programme (Group 3)"),
            "facilitator_id": Col("the facilitator's account", "yes: links to a named account",
                                  "emptied when the account is deleted"),
            "slot": Col("the weekly slot it meets at"),
            "cohort": Col("the cohort it is for (empty: mixed)"),
            "group_id": Col("the group made when the lead confirmed it"),
        },
    )

    programme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    facilitator_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    slot: Mapped[str] = mapped_column(String(8))
    cohort: Mapped[Cohort | None] = mapped_column(
        Enum(Cohort, name="cohort", native_enum=False, length=20))
    group_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL"))


class Person(IdMixin, Base):
    """Someone a lead imported: their details for the allocation and their place."""

    __tablename__ = "programme_people"
    __dataflow__ = Table(
        holds="a doctor imported into a programme by its lead: details for the allocation, "
        "the slots they can make, whom they will not share a group with, and their place",
        deleted="ROUNDS_RETENTION_ENDED_MEMBER_DAYS (default 90) after their rotation ends, by "
        "`rounds purge`, or with the programme",
        columns={
            "id": ID, "created_at": CREATED,
            "programme_id": Col("the programme"),
            "name": Col("shown to the lead only", "yes: the doctor's name"),
            "email": Col("where their personal invite is sent", "yes: their email"),
            "grade": Col("their grade (FY1, ST3, ...)", "yes"),
            "specialty": Col("mixing specialties in a group", "yes"),
            "site": Col("mixing sites in a group", "yes: where they work"),
            "cohort": Col("which groups they may join", "yes"),
            "rotation_start": Col("when their place starts", "yes"),
            "rotation_end": Col("when their place ends (the change-over)", "yes"),
            "slots": Col("the slots they can make", "yes: their availability"),
            "avoid": Col("emails of people they will not share a group with (a supervisor, an "
                         "ex-partner); shown to the lead only as a count", "yes: sensitive"),
            "status": Col("imported, invited or left", "yes"),
            "placement_id": Col("their proposed or confirmed group", "yes: who belongs where"),
            "invite_id": Col("their personal invite (their membership is found by it)",
                             "yes: links the person to a membership",
                             "emptied when the invite is purged"),
        },
    )
    __table_args__ = (UniqueConstraint("programme_id", "email"),)

    programme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254))
    grade: Mapped[str] = mapped_column(String(40))
    specialty: Mapped[str] = mapped_column(String(80))
    site: Mapped[str] = mapped_column(String(80))
    cohort: Mapped[Cohort] = mapped_column(
        Enum(Cohort, name="cohort", native_enum=False, length=20))
    rotation_start: Mapped[date]
    rotation_end: Mapped[date]
    slots: Mapped[list[str]] = mapped_column(JSON, default=list)
    avoid: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[PersonStatus] = mapped_column(
        Enum(PersonStatus, name="person_status", native_enum=False, length=20),
        default=PersonStatus.imported)
    placement_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("programme_placements.id", ondelete="SET NULL"), index=True)
    invite_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invites.id", ondelete="SET NULL"))
