"""A group's series: its recurring meetings, each occurrence a ``Session`` (``series_id``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin, utcnow


class Series(IdMixin, Base):
    """A recurrence in the group's time zone (an RRULE) and what its sessions are like.

    Sessions are made from it for the coming weeks (``app.series.service.materialise``); an
    occurrence edited on its own is ``detached`` and keeps its changes when the series changes.
    """

    __tablename__ = "series"
    __dataflow__ = Table(
        holds="a group's recurring meetings: the rule its sessions are made from",
        deleted="with its group; a stopped series keeps its row (ended_at) and makes no more "
        "sessions",
        columns={
            "id": ID, "created_at": CREATED,
            "group_id": Col("the group that meets"),
            "title": Col("the title its sessions get", "no, unless written so"),
            "rule": Col("the recurrence (an RFC 5545 RRULE)"),
            "first_start": Col("the first occurrence's start"),
            "timezone": Col("the wall clock the rule follows (the group's zone)"),
            "duration_minutes": Col("how long each session is planned to last"),
            "skipped": Col("local dates with no session (bank holidays, rotation change-over "
                           "weeks)"),
            "sequence": Col("how many times the whole series changed (the calendar's "
                            "SEQUENCE)"),
            "updated_at": Col("when it last changed"),
            "ended_at": Col("when it was stopped"),
        },
    )
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration_minutes"),
    )

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(120), default="")
    rule: Mapped[str] = mapped_column(String(200))
    """The RRULE value (UNTIL in UTC), as it goes into the calendar feed."""
    first_start: Mapped[datetime]
    """The first occurrence's start (the rule's DTSTART), with ``timezone`` its wall clock."""
    timezone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(default=90)
    skipped: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Local dates (ISO) with no session: bank holidays, rotation change-over weeks."""
    sequence: Mapped[int] = mapped_column(default=0)
    """How many times the whole series was edited (the calendar's SEQUENCE)."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    ended_at: Mapped[datetime | None]
    """The series was stopped: no more sessions are made from it."""

    def skipped_dates(self) -> frozenset[date]:
        return frozenset(date.fromisoformat(d) for d in self.skipped)
