from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
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
    """One meeting of a group. (Recurring series will reference sessions through series_id.)"""

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
            "series_id": Col("a recurring series it belongs to (unused in this version)"),
            "started_at": Col("when it went live"),
            "ended_at": Col("when it ended (drives its deletion)"),
        },
    )
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration_minutes"),
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
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
