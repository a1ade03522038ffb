from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin


class SessionStatus(StrEnum):
    scheduled = "scheduled"
    open = "open"
    """The lobby is open: members can acknowledge the ground rules and wait."""
    live = "live"
    ended = "ended"


class Session(IdMixin, Base):
    """One meeting of a group: on its own, or one occurrence of a series (``app.series``)."""

    __tablename__ = "sessions"
    __dataflow__ = Table(
        holds="one meeting of a group",
        deleted="ROUNDS_RETENTION_ENDED_SESSION_DAYS (default 365) after it ended, or after it "
        "was due if never held, by `rounds purge`",
        columns={
            "id": ID, "created_at": CREATED,
            "group_id": Col("the group that meets"),
            "title": Col("the facilitator's title for it", "no, unless written so"),
            "scheduled_start": Col("when it is due"),
            "duration_minutes": Col("how long it is planned to last"),
            "status": Col("scheduled, open, live or ended"),
            "series_id": Col("the recurring series it belongs to, if any"),
            "occurrence_at": Col("the start its series' rule gives it (so a series is turned "
                                 "into sessions once)"),
            "detached": Col("edited or cancelled on its own: a change of the whole series "
                            "leaves it as it is"),
            "cancel_reason": Col("why it was cancelled, free text by the facilitator (up to 200 "
                                 "characters), shown to members and in their calendars",
                                 "no, unless written so (facilitators are asked not to)"),
            "sequence": Col("how many times it changed (the calendar's SEQUENCE)"),
            "started_at": Col("when it went live"),
            "ended_at": Col("when it ended (drives its deletion)"),
        },
    )
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration_minutes"),
        Index("uq_sessions_series_occurrence", "series_id", "occurrence_at", unique=True),
    )

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(120), default="")
    scheduled_start: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int] = mapped_column(default=90)
    status: Mapped[SessionStatus] = mapped_column(
        Enum(SessionStatus, name="session_status", native_enum=False, length=20),
        default=SessionStatus.scheduled,
    )
    series_id: Mapped[uuid.UUID | None]
    occurrence_at: Mapped[datetime | None]
    """For an occurrence of a series: the start its rule gives it (the calendar's RECURRENCE-ID),
    whatever it was moved to."""
    detached: Mapped[bool] = mapped_column(default=False)
    """This occurrence was edited on its own: editing the whole series leaves it as it is."""
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    """Set when the session was cancelled before it took place (members see it)."""
    sequence: Mapped[int] = mapped_column(default=0)
    """How many times its time, length, title or status were changed (the calendar's SEQUENCE)."""
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
