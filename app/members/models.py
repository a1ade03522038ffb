from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin


class Role(StrEnum):
    facilitator = "facilitator"
    co_facilitator = "co-facilitator"
    member = "member"


FACILITATING = (Role.facilitator, Role.co_facilitator)
MAX_FACILITATORS = 4
"""Facilitators and co-facilitators a group has at most (they come on top of its members)."""


class Member(IdMixin, Base):
    """A person's place in a group, from a start to an (optional) end.

    A doctor's browser proves a membership with a device key whose hash is kept here; a
    facilitator's membership is tied to their account instead.
    """

    __tablename__ = "members"
    __dataflow__ = Table(
        holds="a person's place in a group: a doctor's (from an invite) or a facilitator's "
        "(from an account)",
        deleted="ROUNDS_RETENTION_ENDED_MEMBER_DAYS (default 90) after the membership ended, by "
        "`rounds purge`; memberships end when the doctor leaves or forgets the device, when a "
        "facilitator ends them, when the group is archived, when the account is deleted",
        columns={
            "id": ID, "created_at": CREATED,
            "group_id": Col("the group", "yes: membership of a (possibly sensitive) group"),
            "account_id": Col("a facilitator's account (empty for doctors)", "yes: links the "
                              "place to a named account", "emptied when the account is deleted"),
            "invite_id": Col("the invite the doctor joined with (to revoke a personal invite "
                             "when they are removed from a session)", "yes: links the doctor's "
                             "display name to the invite's label, which may name them",
                             "emptied when the invite is purged"),
            "display_name": Col("shown to the group", "yes: the name or pseudonym the doctor "
                                "chose; a facilitator's account name"),
            "email": Col("a facilitator's email, copied from the account; a doctor's own, "
                         "optional, for reminders and changes (hidden from the roster)",
                         "yes", "cleared when the account is deleted"),
            "reminders": Col("whether the doctor wants reminder emails"),
            "role": Col("member, facilitator or co-facilitator", "yes"),
            "started_at": Col("when the membership starts", "yes"),
            "ended_at": Col("when it ended (drives its deletion)", "yes"),
            "device_key_hash": Col("SHA-256 of the key in the doctor's browser cookie",
                                   "yes: pseudonymous", "cleared when the membership ends"),
        },
    )

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    invite_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invites.id", ondelete="SET NULL")
    )
    display_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254))
    """Where Rounds emails this member (a doctor gives it on their group page; optional)."""
    reminders: Mapped[bool] = mapped_column(default=True, server_default=true())
    """Reminders the day before and an hour before a session; the member can turn them off."""
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="member_role",
            native_enum=False,
            values_callable=lambda e: [m.value for m in e],
            length=20,
        )
    )
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    device_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    def active(self, now: datetime) -> bool:
        return self.started_at <= now and (self.ended_at is None or self.ended_at > now)
