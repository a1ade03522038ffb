"""Each person's calendar feed: one secret URL, of which only a hash is kept."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin


class CalendarFeed(IdMixin, Base):
    """The calendar feed of one person: a doctor's membership, or a facilitator's account.

    The feed's URL carries a random secret; only its SHA-256 is stored, so the URL is shown
    once, when made. Making a new one replaces it (the old URL stops working); deleting the row
    revokes it.
    """

    __tablename__ = "calendar_feeds"
    __dataflow__ = Table(
        holds="one person's private calendar feed (a doctor's membership or a facilitator's "
        "account): the feed lists their groups' sessions, updates and cancellations, with a "
        "link to the group page and no one's name",
        deleted="when revoked or replaced, or with its membership or account; the feed of an "
        "ended membership answers 404",
        columns={
            "id": ID, "created_at": CREATED,
            "token_hash": Col("SHA-256 of the secret in the feed's URL (never the secret; "
                              "calendar services that fetch the URL keep it)"),
            "member_id": Col("the doctor's membership whose feed it is",
                             "yes: links the feed to a membership"),
            "account_id": Col("the facilitator's account whose feed it is",
                              "yes: links the feed to an account"),
        },
    )
    __table_args__ = (
        CheckConstraint("(member_id IS NULL) <> (account_id IS NULL)", name="one_owner"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), unique=True
    )
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
