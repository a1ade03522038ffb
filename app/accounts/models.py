from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
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
