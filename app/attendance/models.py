"""Attendance: that a member was present at a group's session on a date, for how many minutes;
and the certificates a doctor made from their records. Nothing else: never what was said, never
speaking time. It belongs to the doctor: they see it, download it, delete it."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin


class AttendanceRecord(IdMixin, Base):
    """A member's presence at their group's session(s) on one date (the group's local date)."""

    __tablename__ = "attendance"
    __dataflow__ = Table(
        holds="that a member was present at their group's session(s) on a date, and for how "
        "many minutes (from presence in the room; never speaking time, never what was said); "
        "seen by the doctor on their device and by the group's own facilitators, counts only "
        "for admins",
        deleted="by the doctor at any time; ROUNDS_RETENTION_ATTENDANCE_DAYS (default 365) "
        "after its date, or with the membership, by `rounds purge`",
        columns={
            "id": ID, "created_at": CREATED,
            "member_id": Col("whose attendance", "yes: links it to a doctor's membership"),
            "group_id": Col("which group"),
            "on_date": Col("the group's local date", "yes: when the doctor attended"),
            "minutes": Col("minutes present", "yes"),
        },
    )
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
    __dataflow__ = Table(
        holds="a certificate of attendance a doctor downloaded for their portfolio; anyone "
        "holding its code can check that one certificate (only its hash is kept)",
        deleted="when the doctor deletes their records; ROUNDS_RETENTION_ATTENDANCE_DAYS after "
        "it was issued, by `rounds purge` (it outlives the membership: member_id set to null)",
        columns={
            "id": ID, "created_at": CREATED,
            "member_id": Col("the membership it was made from", "yes"),
            "code_hash": Col("SHA-256 of its verification code (never the code)"),
            "display_name": Col("the name as printed", "yes: the doctor's chosen name"),
            "group_name": Col("the group as printed", "yes: which group they belong to"),
            "sessions": Col("sessions attended", "yes"),
            "minutes": Col("minutes present in all", "yes"),
            "first_date": Col("first date covered", "yes"),
            "last_date": Col("last date covered", "yes"),
        },
    )

    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    group_name: Mapped[str] = mapped_column(String(120))
    sessions: Mapped[int]
    minutes: Mapped[int]
    first_date: Mapped[date | None]
    last_date: Mapped[date | None]
