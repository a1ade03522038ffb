from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin

MAX_GROUP_SIZE = 12
"""Members (doctors) a group admits at most; facilitators come on top
(``app.members.models.MAX_FACILITATORS``)."""

DEFAULT_GROUND_RULES = (
    "What is said here stays here: confidentiality, with a safety exception.\n"
    "Join from a private space or wear headphones.\n"
    "No screenshots, no recordings. Rounds never records anything.\n"
    "Camera on if you can. Listen without advising or judging.\n"
    "You may pass when it is your turn."
)


class LateJoin(StrEnum):
    """What happens to a member who arrives once the session is ``late_after_minutes`` in."""

    next_phase = "next_phase"
    """They wait in the lobby and are let in when the next phase begins (or by hand)."""
    lock = "lock"
    """The room locks to late arrivals (the facilitator can unlock it)."""


class Group(IdMixin, Base):
    """A closed, stable peer-support group that meets regularly."""

    __tablename__ = "groups"
    __dataflow__ = Table(
        holds="a peer-support group",
        deleted="never by Rounds: archiving a group ends its sessions and memberships (which "
        "then follow their retention) and keeps this row; to delete a group, DELETE FROM groups "
        "WHERE id = ... (its memberships, invites, sessions and templates go with it)",
        columns={
            "id": ID, "created_at": CREATED,
            "name": Col("shown to its members and facilitators", "no, unless the trust names a "
                        "group after a person"),
            "description": Col("shown on the invite page", "no, unless written so"),
            "cohort": Col("the doctors' grade or cohort, e.g. FY1"),
            "size_limit": Col("members the group admits at most"),
            "ground_rules": Col("the text members acknowledge before each session"),
            "ground_rules_version": Col("bumped when the text changes, so all acknowledge again"),
            "timezone": Col("shows session times in the group's zone"),
            "archived_at": Col("when the group was archived (closed)"),
            "default_template_id": Col("the template its sessions start from"),
            "join_window_minutes": Col("how long before the start the lobby opens by itself"),
            "late_after_minutes": Col("minutes after the start from which an arrival is late"),
            "late_join": Col("what happens to a late arrival: wait for the next phase, or the "
                             "room locks"),
        },
    )
    __table_args__ = (CheckConstraint("size_limit BETWEEN 2 AND 12", name="size_limit"),)

    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    cohort: Mapped[str] = mapped_column(String(120), default="")
    size_limit: Mapped[int] = mapped_column(default=12)
    ground_rules: Mapped[str] = mapped_column(Text, default=DEFAULT_GROUND_RULES)
    ground_rules_version: Mapped[int] = mapped_column(default=1)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    archived_at: Mapped[datetime | None]
    default_template_id: Mapped[str | None] = mapped_column(String(64))
    """The template a session of this group starts from: `default:...` or one of its own."""
    join_window_minutes: Mapped[int] = mapped_column(default=10, server_default="10")
    """The lobby opens by itself this long before a scheduled session starts."""
    late_after_minutes: Mapped[int] = mapped_column(default=10, server_default="10")
    """Minutes after the start from which an arrival counts as late (``late_join``)."""
    late_join: Mapped[LateJoin] = mapped_column(
        Enum(LateJoin, name="late_join", native_enum=False, length=20),
        default=LateJoin.next_phase, server_default=LateJoin.next_phase.value)
