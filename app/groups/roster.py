"""A group's roster as its facilitators manage it: members and facilitators, their roles and
dates, and ending a membership."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.accounts.deps import CurrentAccount, CurrentAdmin
from app.accounts.service import get_active
from app.audit.service import Action, Actor, record
from app.core.deps import DbSession
from app.core.errors import Invalid
from app.core.rooms import Rooms
from app.groups.service import managed_group
from app.members import service
from app.members.models import Member
from app.members.schemas import FacilitatorAdd, MemberOut, MemberUpdate

router = APIRouter(tags=["members"])


def _out(member: Member) -> MemberOut:
    out = MemberOut.model_validate(member, from_attributes=True)
    out.has_account = member.account_id is not None
    if not out.has_account:  # a doctor's email is for Rounds' emails to them, not the roster
        out.email = None
    return out


@router.get("/groups/{group_id}/members", response_model=list[MemberOut])
async def list_members(
    group_id: uuid.UUID, account: CurrentAccount, db: DbSession, include_ended: bool = False
) -> object:
    """A group's members (with ended memberships if asked)."""
    await managed_group(db, account, group_id, allow_archived=True)
    return [_out(m) for m in await service.list_members(db, group_id, include_ended=include_ended)]


@router.post("/groups/{group_id}/facilitators", response_model=MemberOut, status_code=201)
async def add_facilitator(
    group_id: uuid.UUID, body: FacilitatorAdd, admin: CurrentAdmin, db: DbSession
) -> object:
    """Make an account a facilitator or co-facilitator of a group (admin)."""
    await managed_group(db, admin, group_id)
    account = await get_active(db, body.account_id)
    if account is None:
        raise Invalid("unknown_account", "account_id names no active account")
    member = await service.add_facilitator(db, group_id, account, role=body.role)
    await record(db, actor=Actor.account(admin.id), action=Action.facilitator_add,
                 object_type="member", object_id=member.id, detail={"role": body.role.value})
    return _out(member)


@router.patch("/members/{member_id}", response_model=MemberOut)
async def update_member(
    member_id: uuid.UUID, body: MemberUpdate, account: CurrentAccount, db: DbSession, rooms: Rooms
) -> object:
    """Change a member's role or dates."""
    member = await service.get_member(db, member_id)
    await managed_group(db, account, member.group_id)
    await service.check_may_change(db, account, member, new_role=body.role)
    await record(db, actor=Actor.account(account.id), action=Action.membership_edit,
                 object_type="member", object_id=member.id,
                 detail={"role": body.role.value if body.role else None,
                         "started_at": body.started_at is not None,
                         "ended_at": body.ended_at is not None})
    return _out(
        await service.update_member(
            db, member, role=body.role, started_at=body.started_at, ended_at=body.ended_at,
            rooms=rooms,
        )
    )


@router.post("/members/{member_id}/end", response_model=MemberOut)
async def end_membership(
    member_id: uuid.UUID, account: CurrentAccount, db: DbSession, rooms: Rooms
) -> object:
    """End a membership now (they leave any room at once). To re-admit someone, send them a
    new invite."""
    member = await service.get_member(db, member_id)
    await managed_group(db, account, member.group_id, allow_archived=True)
    await service.check_may_change(db, account, member)
    return _out(await service.end_membership(db, member, rooms=rooms,
                                             by=Actor.account(account.id)))
