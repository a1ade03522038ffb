"""Deleting an account, and what happens to the groups it facilitates (`DELETE /accounts/{id}`).

It spans accounts and memberships, so it lives here, above both. The rules, as a trust would
expect them when someone leaves:

- an admin deletes it; never their own account, never the last active admin (409
  ``cannot_delete_self`` / ``last_admin``);
- refused (409 ``sole_facilitator``) while the account is the only facilitator of an active
  group: make someone else a facilitator of that group, or archive it, first. No group is ever
  left without anyone to run it by a deletion;
- otherwise each of its facilitator places ends now (it leaves any room at once), and the email
  copied onto its memberships is cleared; the ended places (display name, role, dates) stay as
  the group's history until retention deletes them;
- the account row goes, and with it its password links; invites it created keep working with
  no creator. The audit log keeps its id (never its name or email).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import CurrentAdmin
from app.accounts.models import Account
from app.accounts.service import get_account, keep_an_admin
from app.audit.service import Action, Actor, record
from app.core.db import utcnow
from app.core.deps import DbSession
from app.core.errors import Conflict
from app.core.rooms import LiveRooms, Rooms
from app.groups.models import Group
from app.members.models import FACILITATING, Member
from app.members.service import end_membership

router = APIRouter(tags=["accounts"])


async def _places(db: AsyncSession, account_id: uuid.UUID) -> list[Member]:
    """The account's facilitator places that have not ended."""
    now = utcnow()
    return list(await db.scalars(select(Member).where(
        Member.account_id == account_id, Member.role.in_(FACILITATING),
        or_(Member.ended_at.is_(None), Member.ended_at > now))))


async def sole_facilitator_of(db: AsyncSession, account_id: uuid.UUID) -> list[Group]:
    """The active groups nobody but this account facilitates."""
    now = utcnow()
    groups = []
    for place in await _places(db, account_id):
        group = await db.get(Group, place.group_id)
        if group is None or group.archived_at is not None:
            continue
        others = await db.scalar(select(Member.id).where(
            Member.group_id == group.id, Member.role.in_(FACILITATING),
            Member.account_id != account_id, Member.started_at <= now,
            or_(Member.ended_at.is_(None), Member.ended_at > now)).limit(1))
        if others is None:
            groups.append(group)
    return groups


async def delete_account(
    db: AsyncSession, account: Account, *, by: Account, rooms: LiveRooms
) -> None:
    """Delete an account by the rules above (the module's docstring)."""
    if account.id == by.id:
        raise Conflict("cannot_delete_self", "another admin must delete your account")
    await keep_an_admin(db, account)
    alone = await sole_facilitator_of(db, account.id)
    if alone:
        names = ", ".join(sorted(g.name for g in alone))
        raise Conflict("sole_facilitator",
                       f"this account is the only facilitator of {names}: make someone else "
                       "their facilitator, or archive them, first")
    actor = Actor.account(by.id)
    for place in await _places(db, account.id):
        await end_membership(db, place, rooms=rooms, by=actor)
    await db.execute(update(Member).where(Member.account_id == account.id).values(email=None)
                     .execution_options(synchronize_session=False))
    await db.delete(account)
    await db.flush()
    await record(db, actor=actor, action=Action.account_delete, object_type="account",
                 object_id=account.id)


@router.delete("/accounts/{account_id}", status_code=204)
async def delete_account_route(
    account_id: uuid.UUID, admin: CurrentAdmin, db: DbSession, rooms: Rooms
) -> None:
    """Delete an account (admin): its facilitator places end and it is gone. 409
    `sole_facilitator` while it alone facilitates an active group, `last_admin`,
    `cannot_delete_self`."""
    await delete_account(db, await get_account(db, account_id), by=admin, rooms=rooms)
