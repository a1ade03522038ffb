"""Templates: the defaults every group has, and the group's own (create, copy, edit, delete);
a group's default plan, and the plan to propose for a session."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.accounts.deps import CurrentAccount
from app.core.deps import DbSession
from app.core.errors import Invalid
from app.groups.service import managed_group
from app.sessions.service import get_session
from app.templates import service
from app.templates.schemas import (
    DefaultTemplate,
    SuggestedPlan,
    TemplateIn,
    TemplateOut,
    TemplateUpdate,
)
from app.templates.suggest import suggest

router = APIRouter(tags=["templates"])


@router.get("/groups/{group_id}/templates", response_model=list[TemplateOut])
async def list_templates(group_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """The default templates and the group's own; the group's default plan first."""
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


@router.put("/groups/{group_id}/default-template", response_model=DefaultTemplate)
async def set_default_template(group_id: uuid.UUID, body: DefaultTemplate,
                               account: CurrentAccount, db: DbSession) -> object:
    """Make a template the group's default plan (`null`: no default)."""
    group = await managed_group(db, account, group_id)
    return DefaultTemplate(template_id=await service.set_default(db, group, body.template_id))


@router.get("/sessions/{session_id}/suggested-plan", response_model=SuggestedPlan)
async def suggested_plan(session_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """The templates to propose for the session, in order: those its title names, else the
    group's default, else the Check-in round."""
    session = await get_session(db, session_id)
    await managed_group(db, account, session.group_id, allow_archived=True)
    listed = await service.list_templates(db, session.group_id)
    return SuggestedPlan(template_ids=suggest(listed, session.title))
