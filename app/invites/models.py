from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin
from app.members.models import Role


class InviteKind(StrEnum):
    personal = "personal"
    """One person, one use."""
    group = "group"
    """Many people, up to a cap."""


class Invite(IdMixin, Base):
    """A link that lets someone join a group. Only the token's hash is stored."""

    __tablename__ = "invites"
    __dataflow__ = Table(
        holds="an invite link to a group",
        deleted="ROUNDS_RETENTION_ENDED_MEMBER_DAYS after it expired or was revoked, by "
        "`rounds purge`",
        columns={
            "id": ID, "created_at": CREATED,
            "group_id": Col("the group it admits to"),
            "token_hash": Col("SHA-256 of the link's token (the token itself is never stored)"),
            "role": Col("the role it gives (member)"),
            "kind": Col("personal (one use) or group (many)"),
            "label": Col("the facilitator's note of whom it is for", "yes, if it names them"),
            "max_uses": Col("uses allowed"),
            "uses": Col("uses so far"),
            "expires_at": Col("when it stops working"),
            "revoked_at": Col("when a facilitator withdrew it"),
            "created_by": Col("the account that created it", "yes: links to a named account",
                              "emptied when the account is deleted"),
        },
    )
    __table_args__ = (
        CheckConstraint("max_uses >= 1 AND max_uses <= 100", name="max_uses"),
        CheckConstraint("uses >= 0 AND uses <= max_uses", name="uses"),
    )

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="invite_role",
            native_enum=False,
            values_callable=lambda e: [m.value for m in e],
            length=20,
        )
    )
    kind: Mapped[InviteKind] = mapped_column(
        Enum(InviteKind, name="invite_kind", native_enum=False, length=20)
    )
    label: Mapped[str] = mapped_column(String(120), default="")
    max_uses: Mapped[int] = mapped_column(default=1)
    uses: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
