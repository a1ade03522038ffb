"""The outbox: every email waits here until the SMTP server has taken it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, IdMixin, utcnow


class MailStatus(StrEnum):
    queued = "queued"
    """Waiting for its next attempt (``next_attempt_at``)."""
    sending = "sending"
    """Claimed by a sender, which is talking to the SMTP server."""
    sent = "sent"
    """The SMTP server took it; its address, subject and body are already deleted."""
    failed = "failed"
    """Given up: refused for good, out of attempts, or its outcome is unknown (never retried)."""


class MailKind(StrEnum):
    invite = "invite"
    reminder = "reminder"
    change = "change"
    cancellation = "cancellation"


class OutboxMessage(IdMixin, Base):
    """One email. A row is claimed by a conditional update before it is sent and marked sent
    after, so no two senders send it and an SMTP outage loses nothing."""

    __tablename__ = "outbox"

    kind: Mapped[MailKind] = mapped_column(
        Enum(MailKind, name="mail_kind", native_enum=False, length=20))
    status: Mapped[MailStatus] = mapped_column(
        Enum(MailStatus, name="mail_status", native_enum=False, length=20),
        default=MailStatus.queued, index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    """Makes queuing idempotent (a reminder is queued once per member, session and time)."""
    recipient: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    calendar: Mapped[str | None] = mapped_column(Text)
    """The session's calendar event (iCalendar text) to attach, when there is one."""
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_at: Mapped[datetime | None]
    handed_over_at: Mapped[datetime | None]
    """Set just before the message's content goes to the SMTP server (DATA): a claimed row
    without it was never received, so it is safe to send again after a crash."""
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(120))
    """What went wrong last: an SMTP code or an error class, never an address."""
