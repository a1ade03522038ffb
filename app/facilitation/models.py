"""The saved state of a live session (so a restarted service resumes the same clocks)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin, utcnow


class LiveState(Base):
    """The facilitation state of a live session: phases, round, hands, who holds the controls.

    Clocks are absolute deadlines, so a restarted service resumes the same remaining time. The row
    is deleted when the session ends: nothing of who spoke or for how long outlives the session.
    """

    __tablename__ = "live_states"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Revocation(IdMixin, Base):
    """Admission withdrawn: a room closed for good (``participant_id`` empty), a participant
    removed from one room, or from every room (``room_id`` empty: their membership ended).

    The media side refuses join tokens for that scope issued at or before ``revoked_at``; the row
    is only needed as long as such a token can live (the join-token lifetime), so a restart keeps
    closed rooms closed, and it is deleted after that.
    """

    __tablename__ = "revocations"

    room_id: Mapped[uuid.UUID | None]
    participant_id: Mapped[uuid.UUID | None]
    revoked_at: Mapped[datetime] = mapped_column(index=True)
