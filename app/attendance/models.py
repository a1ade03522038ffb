"""Attendance: that a member was present at a group's session on a date, for how many minutes;
and the certificates a doctor made from their records. Nothing else: never what was said, never
speaking time. It belongs to the doctor: they see it, download it, delete it."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin


class AttendanceRecord(IdMixin, Base):
    """A member's presence at their group's session(s) on one date (the group's local date)."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("member_id", "on_date"),)

    member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[date]
    minutes: Mapped[int] = mapped_column(default=0)


class Certificate(IdMixin, Base):
    """What one downloaded certificate states, found by the hash of its verification code (the
    code itself is only on the certificate). It outlives the membership, not its retention."""

    __tablename__ = "certificates"

    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    group_name: Mapped[str] = mapped_column(String(120))
    sessions: Mapped[int]
    minutes: Mapped[int]
    first_date: Mapped[date | None]
    last_date: Mapped[date | None]
