from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin


class Account(IdMixin, Base):
    """A facilitator or admin who signs in. Doctors have no account."""

    __tablename__ = "accounts"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    disabled_at: Mapped[datetime | None]
    signed_out_at: Mapped[datetime | None]
    """When the account last signed out: account cookies signed before then are refused."""


class PasswordLink(IdMixin, Base):
    """A one-time link that lets an account's holder set its password (an account invite).

    Only the token's SHA-256 is stored. A link works once, until ``expires_at``; issuing a new
    one for the account revokes the ones before it."""

    __tablename__ = "password_links"

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
