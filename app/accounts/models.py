from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin


class Account(IdMixin, Base):
    """A facilitator, programme lead or admin who signs in. Doctors have no account."""

    __tablename__ = "accounts"
    __dataflow__ = Table(
        holds="a facilitator's or admin's account (doctors have none)",
        deleted="when an admin deletes the account on the Accounts page (disabling keeps it); "
        "not automatic",
        columns={
            "id": ID, "created_at": CREATED,
            "email": Col("sign-in, and matching a single sign-on", "yes: the staff member's "
                         "work email"),
            "display_name": Col("shown to admins and to co-facilitators", "yes: the staff "
                                "member's name"),
            "password_hash": Col("password sign-in (argon2id); empty with single sign-on or "
                                 "after a reset", "yes: a one-way hash of their password"),
            "is_admin": Col("may manage accounts, groups and the audit log (with single "
                            "sign-on: set from the provider's role claim at every sign-in)",
                            "yes: their role"),
            "is_programme_lead": Col("may run programmes: import people, allocate them into "
                                     "groups, see the programme's counts (with single sign-on: "
                                     "set from the provider's role claim at every sign-in)",
                                     "yes: their role"),
            "disabled_at": Col("when an admin disabled it (no sign-in while set)", "yes"),
            "signed_out_at": Col("account cookies signed before this are refused", "yes"),
        },
    )

    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_programme_lead: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Runs programmes (``app.programmes``): their people, allocation and counts."""
    disabled_at: Mapped[datetime | None]
    signed_out_at: Mapped[datetime | None]
    """When the account last signed out: account cookies signed before then are refused."""


class PasswordLink(IdMixin, Base):
    """A one-time link that lets an account's holder set its password (an account invite).

    Only the token's SHA-256 is stored. A link works once, until ``expires_at``; issuing a new
    one for the account revokes the ones before it."""

    __tablename__ = "password_links"
    __dataflow__ = Table(
        holds="a one-time link for an account's holder to set their password (72 hours)",
        deleted="with its account; links used or expired are kept until then",
        columns={
            "id": ID, "created_at": CREATED,
            "account_id": Col("whose password the link sets", "yes: links to the account"),
            "token_hash": Col("SHA-256 of the link's token (the token itself is never stored)"),
            "expires_at": Col("when the link stops working"),
            "used_at": Col("when it was used (it works once)"),
            "revoked_at": Col("when a newer link replaced it"),
        },
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
