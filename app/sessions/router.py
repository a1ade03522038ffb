from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import or_, select

from app.accounts.deps import CurrentAccount, OptionalAccount
from app.core.config import derived_key
from app.core.db import utcnow
from app.core.deps import DbSession, SettingsDep
from app.core.errors import Forbidden, Unauthenticated
from app.groups.models import Group
from app.groups.service import managed_group
from app.members.deps import DeviceMembers
from app.members.models import FACILITATING, Member
from app.rounds.live import LiveError
from app.rounds.runtime import Facilitation
from app.sessions import service
from app.sessions.ice import ice_servers_for
from app.sessions.models import SessionStatus
from app.sessions.schemas import (
    JoinGrant,
    JoinRequest,
    SessionCreate,
    SessionOut,
    SessionUpdate,
    Waiting,
)

router = APIRouter(tags=["sessions"])

SIGNALLING_PATH = "/rtc"


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
    request: Request,
    account: CurrentAccount,
    db: DbSession,
) -> object:
    """Reschedule a session or move it on: open the lobby, go live, end it.

    Ending a session closes its room and deletes its live state: nothing of who spoke remains.
    """
    session = await service.get_session(db, session_id)
    await managed_group(db, account, session.group_id)
    updated = await service.update_session(
        db, session, changes=body.model_dump(exclude_unset=True, exclude_none=True)
    )
    if updated.status is SessionStatus.ended:
        request.app.state.facilitation.forget(str(updated.id))
    return updated


async def _joining_member(
    db: DbSession, group_id: uuid.UUID, account: OptionalAccount, devices: list[Member]
) -> Member:
    if account is not None:
        now = utcnow()
        member = await db.scalar(
            select(Member).where(
                Member.group_id == group_id,
                Member.account_id == account.id,
                Member.role.in_(FACILITATING),
                Member.started_at <= now,
                or_(Member.ended_at.is_(None), Member.ended_at > now),
            )
        )
        if member is not None:
            return member
    for member in devices:
        if member.group_id == group_id:
            return member
    if account is None and not devices:
        raise Unauthenticated("no_membership", "open your invite link on this device first")
    raise Forbidden("not_your_group", "you are not a member of this group")


@router.post(
    "/sessions/{session_id}/join",
    response_model=JoinGrant,
    responses={202: {"model": Waiting, "description": "waiting in the lobby"}},
)
async def join_session(
    session_id: uuid.UUID,
    body: JoinRequest,
    request: Request,
    account: OptionalAccount,
    devices: DeviceMembers,
    db: DbSession,
    settings: SettingsDep,
) -> object:
    """Acknowledge the ground rules and get a join token for the session's room.

    A member waits in the lobby (202, ask again every few seconds) until a facilitator admits
    them; facilitators go straight in.
    """
    session = await service.get_session(db, session_id)
    member = await _joining_member(db, session.group_id, account, devices)
    group = await db.get(Group, session.group_id)
    assert group is not None
    service.check_joinable(session, member, group, ground_rules_version=body.ground_rules_version)
    if member.role not in FACILITATING:
        runtime: Facilitation = request.app.state.facilitation
        try:
            admitted = await runtime.request_entry(
                str(session.id), str(member.id), member.display_name
            )
        except LiveError as exc:
            raise Forbidden(exc.code, exc.detail) from None
        if not admitted:
            waiting = Waiting(
                detail="waiting for the facilitator to let you in",
                session_status=session.status.value,
            )
            return JSONResponse(waiting.model_dump(), status_code=202)
    token, expires = service.issue_join_token(
        derived_key(settings, "join-token"),
        session,
        member,
        group,
        ground_rules_version=body.ground_rules_version,
        ttl_seconds=settings.join_token_seconds,
    )
    return JoinGrant(
        token=token,
        expires_at=expires,
        signalling_path=SIGNALLING_PATH,
        ice_servers=ice_servers_for(settings),
        participant_id=member.id,
        role=member.role.value,
    )
