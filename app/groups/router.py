"""Groups: create, list, read and edit (archiving ends sessions: `app.sessions.router`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.accounts.deps import CurrentAccount, CurrentAdmin
from app.accounts.service import get_active
from app.audit.service import Action, Actor, record
from app.core.deps import DbSession
from app.core.errors import Invalid
from app.groups import service
from app.groups.schemas import GroupCreate, GroupOut, GroupUpdate

router = APIRouter(tags=["groups"])


@router.get("/groups", response_model=list[GroupOut])
async def list_groups(account: CurrentAccount, db: DbSession, archived: bool = False) -> object:
    """Groups this account manages (an admin: all)."""
    return await service.list_groups(db, account, archived=archived)


@router.post("/groups", response_model=GroupOut, status_code=201)
async def create_group(body: GroupCreate, admin: CurrentAdmin, db: DbSession) -> object:
    """Create a group (admin), optionally naming its facilitator."""
    facilitator = None
    if body.facilitator_id is not None:
        facilitator = await get_active(db, body.facilitator_id)
        if facilitator is None:
            raise Invalid("unknown_account", "facilitator_id names no active account")
    group = await service.create_group(
        db, fields=body.model_dump(exclude={"facilitator_id"}), facilitator=facilitator
    )
    await record(db, actor=Actor.account(admin.id), action=Action.group_create,
                 object_type="group", object_id=group.id)
    if facilitator is not None:
        await record(db, actor=Actor.account(admin.id), action=Action.facilitator_add,
                     object_type="group", object_id=group.id, detail={"role": "facilitator"})
    return group


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
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    await record(db, actor=Actor.account(account.id), action=Action.group_edit,
                 object_type="group", object_id=group.id,
                 detail={field: True for field in changes})
    return await service.update_group(db, group, changes=changes)
