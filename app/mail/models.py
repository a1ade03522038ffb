"""The outbox: every email waits here until the SMTP server has taken it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
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
    __dataflow__ = Table(
        holds="an email to send (an invite, a reminder, a change or cancellation of a session), "
        "queued with the change that causes it; admins see counts only",
        deleted="ROUNDS_MAIL_KEEP_DAYS (default 7) after it was sent or given up, by `rounds "
        "purge`; nothing is queued without an SMTP host",
        columns={
            "id": ID, "created_at": CREATED,
            "kind": Col("invite, reminder, change or cancellation"),
            "status": Col("queued, sending, sent or failed"),
            "dedupe_key": Col("kind and session/member ids, so nothing is sent twice",
                              "yes: links an email to a membership"),
            "recipient": Col("the address", "yes", "deleted as soon as it is sent or given up"),
            "subject": Col("the subject (neutral: a date, no group, no person)", "no",
                           "deleted as soon as it is sent or given up"),
            "body": Col("the text (no other member's name, nothing of what a group discusses)",
                        "yes: may name the doctor and their group",
                        "deleted as soon as it is sent or given up"),
            "calendar": Col("the session's calendar event, attached", "no",
                            "deleted as soon as it is sent or given up"),
            "attempts": Col("tries so far"),
            "next_attempt_at": Col("when to try again (back-off)"),
            "claimed_at": Col("when a sender took it"),
            "handed_over_at": Col("when its content went to the SMTP server (never re-sent "
                                  "after this)"),
            "sent_at": Col("when it was sent"),
            "last_error": Col("an SMTP code or error class (never an address)"),
        },
    )

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
