"""The saved state of a live session (so a restarted service resumes the same clocks)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin, utcnow


class LiveState(Base):
    """The facilitation state of a live session: phases, round, hands, who holds the controls.

    Clocks are absolute deadlines, so a restarted service resumes the same remaining time. The row
    is deleted when the session ends: nothing of who spoke or for how long outlives the session.
    """

    __tablename__ = "live_states"
    __dataflow__ = Table(
        holds="the facilitation state of a live session, so a restarted server resumes it",
        deleted="when the session ends (SQLite: overwritten on delete, and its write-ahead log "
        "emptied); if nobody ends it, `rounds purge` ends it 12 hours after its scheduled end",
        columns={
            "session_id": Col("the session"),
            "state": Col("the plan (phases), the current round with its turn order, each turn's "
                         "clock and pass count, raised hands, who holds the controls, and the "
                         "lists of members admitted, waiting in the lobby, removed and muted",
                         "yes: by membership id (who is present, whose turn, who passed, who "
                         "was removed or muted); no names"),
            "version": Col("counts changes, so clients apply them in order"),
            "updated_at": Col("when it last changed"),
        },
    )

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
    __dataflow__ = Table(
        holds="admission withdrawn: a session that ended, a member removed from a session, a "
        "membership that ended; so a restart keeps them out",
        deleted="after the join-token lifetime (ROUNDS_JOIN_TOKEN_SECONDS, 2 minutes by "
        "default), by `rounds purge` and at every start",
        columns={
            "id": ID, "created_at": CREATED,
            "room_id": Col("the session whose room it closes (empty: every room)"),
            "participant_id": Col("the membership it refuses (empty: everyone)",
                                  "yes: a membership id"),
            "revoked_at": Col("tokens issued before this are refused"),
        },
    )

    room_id: Mapped[uuid.UUID | None]
    participant_id: Mapped[uuid.UUID | None]
    revoked_at: Mapped[datetime] = mapped_column(index=True)
