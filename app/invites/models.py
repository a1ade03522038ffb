from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

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
