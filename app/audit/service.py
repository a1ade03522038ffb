"""The audit log: record a security-relevant action, read the log back, purge it.

``record`` adds its row in the caller's transaction, so an action and its record commit or roll
back together; a refused action whose own transaction rolls back (a failed sign-in) is recorded
with ``record_apart`` in a transaction of its own. A record names its actor, action and object
by ids and codes only: ``detail`` takes counts, flags and snake_case codes and refuses any other
text, so a name, email, token or address cannot slip in. Where an email must be told apart (a
failed sign-in) it is kept as a keyed hash (``keyed_hash``), never in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.models import AuditEvent
from app.core.config import Settings, derived_key
from app.core.db import transaction, utcnow


class Action(StrEnum):
    """Every action the log records: stable names, filtered on and exported as they are."""

    sign_in = "sign_in"
    sign_in_failed = "sign_in.failed"
    sign_in_sso = "sign_in.sso"
    sign_in_sso_failed = "sign_in.sso_failed"
    sign_out = "sign_out"
    account_create = "account.create"
    account_edit = "account.edit"
    account_promote = "account.promote"
    account_demote = "account.demote"
    account_disable = "account.disable"
    account_enable = "account.enable"
    account_delete = "account.delete"
    account_password_link = "account.password_link"
    account_password_set = "account.password_set"
    group_create = "group.create"
    group_edit = "group.edit"
    group_archive = "group.archive"
    facilitator_add = "facilitator.add"
    facilitator_remove = "facilitator.remove"
    membership_edit = "membership.edit"
    membership_end = "membership.end"
    invite_create = "invite.create"
    invite_revoke = "invite.revoke"
    session_end = "session.end"
    room_remove = "room.remove"
    programme_create = "programme.create"
    programme_edit = "programme.edit"
    programme_import = "programme.import"
    programme_allocate = "programme.allocate"
    programme_move = "programme.move"
    programme_confirm = "programme.confirm"
    programme_changeover = "programme.changeover"
    retention_purge = "retention.purge"
    audit_export = "audit.export"
    network_create = "network.create"
    network_delete = "network.delete"
    network_link = "network.link"
    peer_host_add = "peer_host.add"
    peer_host_remove = "peer_host.remove"
    drop_in_open = "drop_in.open"
    drop_in_close = "drop_in.close"
    pairing_scheme_create = "pairing_scheme.create"
    pairing_scheme_delete = "pairing_scheme.delete"
    pair_create = "pair.create"
    pair_end = "pair.end"


ActorKind = Literal["account", "member", "system", "anonymous"]
_CODE = re.compile(r"^[a-z0-9_.:-]{1,40}$")
Detail = Mapping[str, int | bool | str | None]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: an account, a membership (a doctor, or a facilitator in a room), the system
    (the retention purge, the identity provider's claims), or someone not signed in (a failed
    sign-in)."""

    kind: ActorKind
    id: uuid.UUID | None = None

    @classmethod
    def account(cls, account_id: uuid.UUID) -> Actor:
        return cls("account", account_id)

    @classmethod
    def member(cls, member_id: uuid.UUID) -> Actor:
        return cls("member", member_id)

    def label(self) -> str:
        """``account <id>``, ``member <id>``, ``system`` or ``anonymous``."""
        return self.kind if self.id is None else f"{self.kind} {self.id}"


SYSTEM = Actor("system")
ANONYMOUS = Actor("anonymous")


def keyed_hash(settings: Settings, value: str) -> str:
    """An HMAC of ``value`` under a key derived from the app's secret: the same input gives the
    same hash (repeated failures for one email can be told apart), but without the secret it
    cannot be reversed by hashing guesses."""
    key = derived_key(settings, "audit-identifier")
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()


def _clean(detail: Detail | None) -> dict[str, int | bool | str | None]:
    out: dict[str, int | bool | str | None] = {}
    for key, value in (detail or {}).items():
        if not _CODE.match(key):
            raise ValueError(f"audit detail key {key!r} is not a code")
        if isinstance(value, str) and not _CODE.match(value):
            raise ValueError(f"audit detail {key!r} must be a code, not free text")
        if value is not None and not isinstance(value, int | bool | str):
            raise ValueError(f"audit detail {key!r} must be a count, flag or code")
        out[key] = value
    return out


def _event(actor: Actor, action: Action, object_type: str, object_id: object, outcome: str,
           detail: Detail | None) -> AuditEvent:
    if not _CODE.match(object_type) or not _CODE.match(outcome):
        raise ValueError("audit object types and outcomes are codes")
    return AuditEvent(
        actor_kind=actor.kind, actor_id=actor.id, action=action.value, object_type=object_type,
        object_id=None if object_id is None else str(object_id), outcome=outcome,
        detail=_clean(detail), at=utcnow(),
    )


async def record(
    db: AsyncSession,
    *,
    actor: Actor,
    action: Action,
    object_type: str,
    object_id: object = None,
    outcome: str = "ok",
    detail: Detail | None = None,
) -> None:
    """Record an action in the caller's transaction (it commits or rolls back with it)."""
    db.add(_event(actor, action, object_type, object_id, outcome, detail))
    await db.flush()


async def record_apart(
    factory: async_sessionmaker[AsyncSession],
    *,
    actor: Actor,
    action: Action,
    object_type: str,
    object_id: object = None,
    outcome: str,
    detail: Detail | None = None,
) -> None:
    """Record a refused action in a transaction of its own (the request's rolls back)."""
    async for db in transaction(factory):
        db.add(_event(actor, action, object_type, object_id, outcome, detail))


@dataclass(frozen=True, slots=True)
class Query:
    """Filters for reading the log back (all optional; newest first)."""

    action: str | None = None
    actor_id: uuid.UUID | None = None
    object_id: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 500


async def search(db: AsyncSession, query: Query) -> list[AuditEvent]:
    """The records matching ``query``, newest first, at most ``query.limit``."""
    statement = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id)
    if query.action:
        statement = statement.where(AuditEvent.action == query.action)
    if query.actor_id:
        statement = statement.where(AuditEvent.actor_id == query.actor_id)
    if query.object_id:
        statement = statement.where(AuditEvent.object_id == query.object_id)
    if query.outcome:
        if query.outcome == "refused":
            statement = statement.where(AuditEvent.outcome != "ok")
        else:
            statement = statement.where(AuditEvent.outcome == query.outcome)
    if query.since:
        statement = statement.where(AuditEvent.at >= query.since)
    if query.until:
        statement = statement.where(AuditEvent.at < query.until)
    return list(await db.scalars(statement.limit(query.limit)))


async def purge(db: AsyncSession, *, before: datetime) -> int:
    """Delete the records older than ``before``; how many went."""
    result = await db.execute(delete(AuditEvent).where(AuditEvent.at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
