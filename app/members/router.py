from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from app.accounts.deps import CurrentAccount, CurrentAdmin
from app.accounts.service import get_active
from app.core.cookies import DEVICE_COOKIE, clear_cookie
from app.core.deps import DbSession, SettingsDep
from app.core.errors import Invalid, NotFound
from app.groups.models import Group
from app.groups.schemas import GroupOut
from app.groups.service import managed_group
from app.members import service
from app.members.deps import DeviceMembers
from app.members.models import Member
from app.members.schemas import FacilitatorAdd, MemberOut, MemberUpdate
from app.rooms.media import disconnect_everywhere
from app.sessions.schemas import SessionOut
from app.sessions.service import next_session

router = APIRouter(tags=["members"])


def _out(member: Member) -> MemberOut:
    out = MemberOut.model_validate(member, from_attributes=True)
    out.has_account = member.account_id is not None
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
    return _out(await service.add_facilitator(db, group_id, account, role=body.role))


@router.patch("/members/{member_id}", response_model=MemberOut)
async def update_member(
    member_id: uuid.UUID, body: MemberUpdate, account: CurrentAccount, db: DbSession
) -> object:
    """Change a member's role or dates."""
    member = await service.get_member(db, member_id)
    await managed_group(db, account, member.group_id)
    await service.check_may_change(db, account, member, new_role=body.role)
    return _out(
        await service.update_member(
            db, member, role=body.role, started_at=body.started_at, ended_at=body.ended_at
        )
    )


@router.post("/members/{member_id}/end", response_model=MemberOut)
async def end_membership(
    member_id: uuid.UUID, request: Request, account: CurrentAccount, db: DbSession
) -> object:
    """End a membership now (they leave any room at once). To re-admit someone, send them a
    new invite."""
    member = await service.get_member(db, member_id)
    await managed_group(db, account, member.group_id, allow_archived=True)
    await service.check_may_change(db, account, member)
    ended = await service.end_membership(db, member)
    disconnect_everywhere(request.app.state.media, str(member.id))
    return _out(ended)


class MyMembership(BaseModel):
    member_id: uuid.UUID
    display_name: str
    role: str
    group: GroupOut
    next_session: SessionOut | None


@router.get("/me/memberships", response_model=list[MyMembership])
async def my_memberships(members: DeviceMembers, db: DbSession) -> object:
    """The groups this browser belongs to (a doctor's view: no account needed)."""
    result = []
    for member in members:
        group = await db.get(Group, member.group_id)
        session = await next_session(db, member.group_id)
        result.append(
            MyMembership(
                member_id=member.id,
                display_name=member.display_name,
                role=member.role.value,
                group=GroupOut.model_validate(group, from_attributes=True),
                next_session=SessionOut.model_validate(session, from_attributes=True)
                if session
                else None,
            )
        )
    return result


@router.post("/me/memberships/{member_id}/leave", status_code=204)
async def leave_group(
    member_id: uuid.UUID, request: Request, members: DeviceMembers, db: DbSession
) -> None:
    """Leave a group (a doctor, from their own device). A new invite re-admits them."""
    member = next((m for m in members if m.id == member_id), None)
    if member is None:
        raise NotFound("member_not_found", "this device holds no such membership")
    await service.end_membership(db, member)
    disconnect_everywhere(request.app.state.media, str(member.id))


@router.post("/me/forget", status_code=204)
async def forget_device(
    members: DeviceMembers, response: Response, db: DbSession, settings: SettingsDep
) -> None:
    """Forget this device: its keys stop working and the cookie is removed."""
    await service.forget_devices(db, members)
    clear_cookie(response, settings, DEVICE_COOKIE)
