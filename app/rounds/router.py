from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from app.accounts.deps import CurrentAccount, OptionalAccount
from app.core.deps import DbSession
from app.core.errors import Conflict, Forbidden, Invalid, Unauthenticated
from app.groups.service import managed_group
from app.members.deps import DeviceMembers
from app.rounds import service
from app.rounds.live import LiveError
from app.rounds.runtime import Facilitation
from app.rounds.schemas import Begin, LiveView, TemplateIn, TemplateOut, TemplateUpdate
from app.sessions.models import SessionStatus
from app.sessions.service import get_session, update_session

router = APIRouter(tags=["facilitation"])


def facilitation(request: Request) -> Facilitation:
    runtime: Facilitation = request.app.state.facilitation
    return runtime


@router.get("/groups/{group_id}/templates", response_model=list[TemplateOut])
async def list_templates(group_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """The default templates and the group's own."""
    await managed_group(db, account, group_id, allow_archived=True)
    return await service.list_templates(db, group_id)


@router.post("/groups/{group_id}/templates", response_model=TemplateOut, status_code=201)
async def create_template(group_id: uuid.UUID, body: TemplateIn, account: CurrentAccount,
                          db: DbSession) -> object:
    """Save a template for the group: new phases, or a copy of another template to edit."""
    await managed_group(db, account, group_id)
    base = await service.resolve(db, body.copy_of, group_id) if body.copy_of else None
    name = body.name or (f"{base.name} (copy)"[:80] if base else None)
    phases = body.phases or (list(base.phases) if base else None)
    if name is None or phases is None:
        raise Invalid("incomplete_template", "give a name and phases, or copy_of")
    description = body.description if body.description is not None else (
        base.description if base else "")
    template = service.validated(name, description, [p.model_dump() for p in phases])
    return service.as_out(await service.create(db, group_id, template=template))


@router.patch("/templates/{template_id}", response_model=TemplateOut)
async def update_template(template_id: str, body: TemplateUpdate, account: CurrentAccount,
                          db: DbSession) -> object:
    """Edit a group's template (the defaults are copied, not edited)."""
    service.refuse_builtin(template_id)
    row = await service.get_row(db, template_id)
    await managed_group(db, account, row.group_id)
    current = service.as_out(row)
    template = service.validated(
        body.name or current.name,
        body.description if body.description is not None else current.description,
        [p.model_dump() for p in (body.phases or current.phases)])
    return service.as_out(await service.update(db, row, template=template))


@router.delete("/templates/{template_id}", status_code=204)
async def delete_template(template_id: str, account: CurrentAccount, db: DbSession) -> None:
    """Delete a group's template."""
    service.refuse_builtin(template_id)
    row = await service.get_row(db, template_id)
    await managed_group(db, account, row.group_id)
    await service.delete(db, row)


@router.post("/sessions/{session_id}/facilitation", response_model=LiveView)
async def begin(session_id: uuid.UUID, body: Begin, request: Request, account: CurrentAccount,
                db: DbSession) -> object:
    """Run the session with a template: it goes live and its phases wait for the start."""
    session = await get_session(db, session_id)
    await managed_group(db, account, session.group_id)
    template = await service.resolve(db, body.template_id, session.group_id)
    if session.status is SessionStatus.ended:
        raise Conflict("session_ended", "this session has ended")
    runtime = facilitation(request)
    try:
        await runtime.begin(str(session.id), template)
    except LiveError as exc:
        raise Conflict(exc.code, exc.detail) from None
    if session.status is not SessionStatus.live:
        await update_session(db, session, changes={"status": SessionStatus.live})
    return LiveView(live=True, state=runtime.state_for(str(session.id), facilitator=True))


@router.post("/sessions/{session_id}/lobby/{member_id}/admit", response_model=LiveView)
async def admit(session_id: uuid.UUID, member_id: uuid.UUID, request: Request,
                account: CurrentAccount, db: DbSession) -> object:
    """Let a member in from the lobby (also possible from the room, as a `control` message)."""
    session = await get_session(db, session_id)
    await managed_group(db, account, session.group_id)
    runtime = facilitation(request)
    try:
        await runtime.admit(str(session.id), str(member_id))
    except LiveError as exc:
        raise Conflict(exc.code, exc.detail) from None
    return LiveView(live=True, state=runtime.state_for(str(session.id), facilitator=True))


@router.get("/sessions/{session_id}/state", response_model=LiveView)
async def state(session_id: uuid.UUID, request: Request, account: OptionalAccount,
                devices: DeviceMembers, db: DbSession) -> object:
    """A session's live state: for its facilitators, and (without the lobby) for its members."""
    session = await get_session(db, session_id)
    if account is not None:
        await managed_group(db, account, session.group_id, allow_archived=True)
        leads = True
    elif any(m.group_id == session.group_id for m in devices):
        leads = False
    elif devices:
        raise Forbidden("not_your_group", "this session belongs to another group")
    else:
        raise Unauthenticated("no_membership", "open your invite link on this device first")
    view = facilitation(request).state_for(str(session.id), facilitator=leads)
    return LiveView(live=view is not None, state=view)
