"""The close of a session: the group's signposting card (where to get support) and the
anonymous check-out pulse, kept only as counts per session."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin


class SignpostingCard(IdMixin, Base):
    """A group's own signposting card (without one, the deployment's default is shown)."""

    __tablename__ = "signposting_cards"
    __dataflow__ = Table(
        holds="where to get support, as a group's facilitators or an admin wrote it for the "
        "group (organisations and their contact details), shown to its members at the close",
        deleted="with the group, or when its facilitators go back to the deployment's default",
        columns={
            "id": ID, "created_at": CREATED,
            "group_id": Col("whose card"),
            "entries": Col("the card's entries as JSON: name, what it offers, how to reach it",
                           "no, unless a facilitator writes a person's own number"),
        },
    )

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), unique=True)
    entries: Mapped[str] = mapped_column(Text)


class PulseCount(Base):
    """How many answered one pulse question with one answer at one session: a count, never who,
    from which device or when (no timestamp: nothing finer than the session)."""

    __tablename__ = "pulse_counts"
    __dataflow__ = Table(
        holds="counts of the anonymous check-out pulse per session (e.g. how many answered 4 to "
        "'Today I felt heard'): never a member, a device or a time; facilitators and admins see "
        "them only when at least five people answered",
        deleted="with the session (ROUNDS_RETENTION_ENDED_SESSION_DAYS after it ended)",
        columns={
            "session_id": Col("which session"),
            "question": Col("which question: heard (1 to 5) or again (yes / no)"),
            "answer": Col("the answer counted"),
            "count": Col("how many gave it"),
        },
    )

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    question: Mapped[str] = mapped_column(String(16), primary_key=True)
    answer: Mapped[str] = mapped_column(String(8), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
