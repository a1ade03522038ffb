"""A doctor's own device: leave a group, forget this device (no account needed)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.audit.service import Actor
from app.core.cookies import DEVICE_COOKIE, clear_cookie
from app.core.deps import DbSession, SettingsDep
from app.core.errors import NotFound
from app.core.rooms import Rooms
from app.members import service
from app.members.deps import DeviceMembers
from app.members.schemas import Contact

router = APIRouter(tags=["members"])


@router.post("/me/memberships/{member_id}/leave", status_code=204)
async def leave_group(
    member_id: uuid.UUID, members: DeviceMembers, db: DbSession, rooms: Rooms
) -> None:
    """Leave a group (a doctor, from their own device). A new invite re-admits them."""
    member = next((m for m in members if m.id == member_id), None)
    if member is None:
        raise NotFound("member_not_found", "this device holds no such membership")
    await service.end_membership(db, member, rooms=rooms, by=Actor.member(member.id))


@router.post("/me/forget", status_code=204)
async def forget_device(
    members: DeviceMembers, response: Response, db: DbSession, settings: SettingsDep, rooms: Rooms
) -> None:
    """Forget this device: the doctor leaves every group it holds (as with leave), its keys stop
    working and the cookie is removed. A new invite re-admits them."""
    await service.forget_devices(db, members, rooms=rooms)
    clear_cookie(response, settings, DEVICE_COOKIE)


@router.put("/me/memberships/{member_id}/contact", response_model=Contact)
async def set_contact(
    member_id: uuid.UUID, body: Contact, members: DeviceMembers, db: DbSession
) -> object:
    """A doctor's email for one group (optional) and whether they get session reminders."""
    member = next((m for m in members if m.id == member_id), None)
    if member is None:
        raise NotFound("member_not_found", "this device holds no such membership")
    await service.set_contact(db, member, email=body.email, reminders=body.reminders)
    return Contact(email=member.email, reminders=member.reminders)
