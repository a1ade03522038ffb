"""The audit log's one table: who did what to which object, when, and how it ended."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import ID, Col, Table
from app.core.db import Base, utcnow


class AuditEvent(Base):
    """One security-relevant action. Ids, action names and codes only: never content, names,
    emails, tokens or addresses (a failed sign-in's email is kept as a keyed hash)."""

    __tablename__ = "audit_events"
    __dataflow__ = Table(
        holds="the audit log: one security-relevant action (sign-ins and failed sign-ins, "
        "changes to accounts, groups, facilitators, memberships, invites and sessions, removals "
        "from a room, a programme lead's imports, allocations, confirmations and change-overs "
        "(by ids and counts), retention purges, exports of this log)",
        deleted="ROUNDS_RETENTION_AUDIT_DAYS (default 365) after it was recorded, by "
        "`rounds purge`",
        columns={
            "id": ID,
            "at": Col("when it happened"),
            "actor_kind": Col("account, member, system or anonymous (a failed sign-in)"),
            "actor_id": Col("the account's or membership's id", "yes: pseudonymous (an id, "
                            "never a name)"),
            "action": Col("a stable action name, e.g. account.disable"),
            "object_type": Col("what kind of object it acted on"),
            "object_id": Col("the object's id; for a failed sign-in, a keyed hash (HMAC) of the "
                             "email tried, never the email", "yes: pseudonymous"),
            "outcome": Col("ok, or the refusal's error code"),
            "detail": Col("counts, flags and codes only (which fields changed, never their "
                          "values)"),
        },
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(10))
    """``account``, ``member``, ``system`` or ``anonymous`` (a failed sign-in)."""
    actor_id: Mapped[uuid.UUID | None]
    """The account's or membership's id (no foreign key: the record outlives them)."""
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str | None] = mapped_column(String(64))
    """The object's id, or for a failed sign-in the keyed hash of the email tried."""
    outcome: Mapped[str] = mapped_column(String(40), default="ok")
    """``ok``, or the error code the request was refused with."""
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Counts, flags and codes only (``record`` refuses anything else)."""
