"""Groups, and the one rule of who may manage a group: an admin, or its facilitators (for an
archived group: those who facilitated it when it was archived, until retention deletes their
ended places)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.core.db import utcnow
from app.core.errors import Forbidden, Gone, NotFound
from app.groups.models import Group
from app.members.models import FACILITATING, Member


def _facilitates(account_id: uuid.UUID, now: datetime):  # type: ignore[no-untyped-def]
    return exists().where(
        Member.group_id == Group.id,
        Member.account_id == account_id,
        Member.role.in_(FACILITATING),
        Member.started_at <= now,
        or_(
            Member.ended_at.is_(None),
            Member.ended_at > now,
            and_(Group.archived_at.is_not(None), Member.ended_at >= Group.archived_at),
        ),
    )


async def managed_group(
    db: AsyncSession, account: Account, group_id: uuid.UUID, *, allow_archived: bool = False
) -> Group:
    """The group, if this account may manage it; otherwise NotFound or Forbidden."""
    group = await db.get(Group, group_id)
    if group is None:
        raise NotFound("group_not_found", "no such group")
    if not account.is_admin:
        allowed = await db.scalar(
            select(_facilitates(account.id, utcnow())).where(Group.id == group_id)
        )
        if not allowed:
            raise Forbidden("not_your_group", "you do not facilitate this group")
    if group.archived_at is not None and not allow_archived:
        raise Gone("group_archived", "this group is archived")
    return group


async def list_groups(db: AsyncSession, account: Account, *, archived: bool = False) -> list[Group]:
    query = select(Group).order_by(Group.name)
    if not archived:
        query = query.where(Group.archived_at.is_(None))
    if not account.is_admin:
        query = query.where(_facilitates(account.id, utcnow()))
    return list(await db.scalars(query))


async def create_group(
    db: AsyncSession, *, fields: dict[str, object], facilitator: Account | None
) -> Group:
    group = Group(**fields)
    db.add(group)
    await db.flush()
    if facilitator is not None:
        db.add(
            Member(
                group_id=group.id,
                account_id=facilitator.id,
                display_name=facilitator.display_name,
                email=facilitator.email,
                role=FACILITATING[0],
                started_at=utcnow(),
            )
        )
        await db.flush()
    return group


async def update_group(db: AsyncSession, group: Group, *, changes: dict[str, object]) -> Group:
    rules = changes.pop("ground_rules", None)
    if isinstance(rules, str) and rules != group.ground_rules:
        group.ground_rules = rules
        group.ground_rules_version += 1
    for key, value in changes.items():
        setattr(group, key, value)
    await db.flush()
    return group


async def archive_group(db: AsyncSession, group: Group) -> Group:
    if group.archived_at is None:
        group.archived_at = utcnow()
        await db.flush()
    return group
