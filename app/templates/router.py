"""Templates: the defaults every group has, and the group's own (create, copy, edit, delete)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.accounts.deps import CurrentAccount
from app.core.deps import DbSession
from app.core.errors import Invalid
from app.groups.service import managed_group
from app.templates import service
from app.templates.schemas import TemplateIn, TemplateOut, TemplateUpdate

router = APIRouter(tags=["templates"])


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
