"""Sessions of a group: schedule, reschedule, open, end; archiving a group ends them all; a
doctor's groups with their next sessions. Entering a session's room is `app.facilitation`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.accounts.deps import CurrentAccount
from app.audit.service import Actor
from app.core.db import utcnow
from app.core.deps import DbSession
from app.core.errors import NotFound
from app.core.rooms import Rooms
from app.groups.models import Group
from app.groups.schemas import GroupOut
from app.groups.service import managed_group
from app.mail.postbox import PostboxDep
from app.members.deps import DeviceMembers
from app.sessions import service
from app.sessions.models import Session
from app.sessions.schemas import (
    CancelRequest,
    MyMembership,
    MySession,
    SessionCreate,
    SessionOut,
    SessionUpdate,
)

router = APIRouter(tags=["sessions"])


@router.post("/groups/{group_id}/sessions", response_model=SessionOut, status_code=201)
async def create_session(
    group_id: uuid.UUID, body: SessionCreate, account: CurrentAccount, db: DbSession
) -> object:
    """Schedule a session of a group."""
    group = await managed_group(db, account, group_id)
    return await service.create_session(
        db,
        group,
        scheduled_start=body.scheduled_start,
        duration_minutes=body.duration_minutes,
        title=body.title,
    )


@router.get("/groups/{group_id}/sessions", response_model=list[SessionOut])
async def list_sessions(group_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """A group's sessions, oldest first."""
    await managed_group(db, account, group_id, allow_archived=True)
    return await service.list_sessions(db, group_id)


@router.get("/sessions/{session_id}", response_model=SessionOut)
async def get_session(session_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """One session."""
    session = await service.get_session(db, session_id)
    await managed_group(db, account, session.group_id, allow_archived=True)
    return session


@router.patch("/sessions/{session_id}", response_model=SessionOut)
async def update_session(
    session_id: uuid.UUID,
    body: SessionUpdate,
    account: CurrentAccount,
    db: DbSession,
    rooms: Rooms,
    postbox: PostboxDep,
) -> object:
    """Reschedule a session or move it on: open the lobby, go live, end it.

    Ending a session closes its room and deletes its live state: nothing of who spoke remains.
    Members with an email are told when a coming session moves or is ended before it is held.
    """
    session = await service.get_session(db, session_id)
    await managed_group(db, account, session.group_id)
    return await service.update_session(
        db, session, changes=body.model_dump(exclude_unset=True, exclude_none=True), rooms=rooms,
        by=Actor.account(account.id), postbox=postbox,
    )


@router.post("/sessions/{session_id}/cancel", response_model=SessionOut)
async def cancel_session(
    session_id: uuid.UUID, body: CancelRequest, account: CurrentAccount, db: DbSession,
    rooms: Rooms, postbox: PostboxDep,
) -> object:
    """Cancel a session (one occurrence of a series, or a one-off) with a reason its members
    see on their group's page, in their calendars and (with email on) in an email."""
    session = await service.get_session(db, session_id)
    await managed_group(db, account, session.group_id)
    return await service.cancel_session(db, session, reason=body.reason, rooms=rooms,
                                        postbox=postbox, by=Actor.account(account.id))


@router.post("/groups/{group_id}/archive", response_model=GroupOut)
async def archive_group(
    group_id: uuid.UUID, account: CurrentAccount, db: DbSession, rooms: Rooms
) -> object:
    """Archive a group: its invites stop working, its sessions end and their rooms close, its
    memberships end (so retention deletes them on schedule), its history follows retention."""
    group = await managed_group(db, account, group_id, allow_archived=True)
    return await service.archive_group(db, group, rooms=rooms, by=Actor.account(account.id))


@router.get("/me/memberships", response_model=list[MyMembership])
async def my_memberships(members: DeviceMembers, db: DbSession) -> object:
    """The groups this browser belongs to (a doctor's view: no account needed)."""
    result = []
    for member in members:
        group = await db.get(Group, member.group_id)
        session = await service.next_session(db, member.group_id)
        cancelled = await service.cancelled_ahead(db, member.group_id, now=utcnow())
        result.append(
            MyMembership(
                member_id=member.id,
                display_name=member.display_name,
                role=member.role.value,
                email=member.email,
                reminders=member.reminders,
                group=GroupOut.model_validate(group, from_attributes=True),
                next_session=SessionOut.model_validate(session, from_attributes=True)
                if session
                else None,
                cancelled=[SessionOut.model_validate(c, from_attributes=True) for c in cancelled],
            )
        )
    return result


@router.get("/me/sessions/{session_id}", response_model=MySession)
async def my_session(session_id: uuid.UUID, members: DeviceMembers, db: DbSession) -> object:
    """A session of a group this browser belongs to, in any status: the lobby after "Leave"
    finds an ended session here and says so (404 for another group's session, as for none)."""
    session = await db.get(Session, session_id)
    member = next((m for m in members if session and m.group_id == session.group_id), None)
    if session is None or member is None:
        raise NotFound("session_not_found", "this device is in no group with such a session")
    return MySession(
        member_id=member.id,
        display_name=member.display_name,
        role=member.role.value,
        group=GroupOut.model_validate(await db.get(Group, member.group_id), from_attributes=True),
        session=SessionOut.model_validate(session, from_attributes=True),
    )
