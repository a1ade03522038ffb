from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from app.accounts.deps import CurrentAccount, CurrentAdmin
from app.accounts.service import get_active
from app.core.deps import DbSession
from app.core.errors import Invalid
from app.groups import service
from app.groups.schemas import GroupCreate, GroupOut, GroupUpdate
from app.sessions.service import end_all

router = APIRouter(tags=["groups"])


@router.get("/groups", response_model=list[GroupOut])
async def list_groups(account: CurrentAccount, db: DbSession, archived: bool = False) -> object:
    """Groups this account manages (an admin: all)."""
    return await service.list_groups(db, account, archived=archived)


@router.post("/groups", response_model=GroupOut, status_code=201)
async def create_group(body: GroupCreate, _: CurrentAdmin, db: DbSession) -> object:
    """Create a group (admin), optionally naming its facilitator."""
    facilitator = None
    if body.facilitator_id is not None:
        facilitator = await get_active(db, body.facilitator_id)
        if facilitator is None:
            raise Invalid("unknown_account", "facilitator_id names no active account")
    return await service.create_group(
        db, fields=body.model_dump(exclude={"facilitator_id"}), facilitator=facilitator
    )


@router.get("/groups/{group_id}", response_model=GroupOut)
async def get_group(group_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """One group this account manages."""
    return await service.managed_group(db, account, group_id, allow_archived=True)


@router.patch("/groups/{group_id}", response_model=GroupOut)
async def update_group(
    group_id: uuid.UUID, body: GroupUpdate, account: CurrentAccount, db: DbSession
) -> object:
    """Edit a group; a new ground-rules text gets a new version."""
    group = await service.managed_group(db, account, group_id)
    return await service.update_group(
        db, group, changes=body.model_dump(exclude_unset=True, exclude_none=True)
    )


@router.post("/groups/{group_id}/archive", response_model=GroupOut)
async def archive_group(
    group_id: uuid.UUID, request: Request, account: CurrentAccount, db: DbSession
) -> object:
    """Archive a group: its invites stop working, its sessions end and their rooms close, its
    history follows retention."""
    group = await service.managed_group(db, account, group_id, allow_archived=True)
    archived = await service.archive_group(db, group)
    for session_id in await end_all(db, group.id):
        request.app.state.facilitation.forget(str(session_id))
    return archived
