"""Templates: the defaults every group has, and the group's own copies."""

from __future__ import annotations

import re
import uuid

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, Invalid, NotFound
from app.groups.models import Group
from app.rounds.phases import Template
from app.templates.defaults import DEFAULT_TEMPLATES
from app.templates.models import TemplateRow
from app.templates.schemas import TemplateOut

DEFAULT_PREFIX = "default:"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


DEFAULTS = {f"{DEFAULT_PREFIX}{_slug(t.name)}": t for t in DEFAULT_TEMPLATES}


def out(template_id: str, template: Template, *, builtin: bool, default: bool = False
        ) -> TemplateOut:
    return TemplateOut(id=template_id, name=template.name, description=template.description,
                       phases=list(template.phases), duration=template.duration, builtin=builtin,
                       default=default)


def _row_template(row: TemplateRow) -> Template:
    return Template.model_validate({"name": row.name, "description": row.description,
                                    "phases": row.phases})


def _problem(error: ErrorDetails) -> str:
    """One validation problem in words: "phase 2, duration: Input should be ..."."""
    msg = error["msg"].removeprefix("Value error, ")
    loc = [str(p) for p in error["loc"]]
    if len(loc) >= 2 and loc[0] == "phases" and loc[1].isdigit():
        where = ", ".join([f"phase {int(loc[1]) + 1}", *loc[2:3]])
        return f"{where}: {msg}"
    return f"{loc[0]}: {msg}" if loc else msg


def validated(name: str, description: str, phases: object) -> Template:
    try:
        return Template.model_validate({"name": name, "description": description, "phases": phases})
    except ValidationError as exc:
        detail = "; ".join(_problem(e) for e in exc.errors()[:3])
        raise Invalid("bad_template", detail) from None


async def list_templates(db: AsyncSession, group_id: uuid.UUID) -> list[TemplateOut]:
    """The defaults, then the group's own by name; the group's default plan first."""
    group = await db.get(Group, group_id)
    chosen = group.default_template_id if group is not None else None
    rows = await db.scalars(select(TemplateRow).where(TemplateRow.group_id == group_id)
                            .order_by(TemplateRow.name))
    listed = ([out(i, t, builtin=True, default=i == chosen) for i, t in DEFAULTS.items()]
              + [out(str(r.id), _row_template(r), builtin=False, default=str(r.id) == chosen)
                 for r in rows])
    return sorted(listed, key=lambda t: not t.default)  # stable: the rest keep their order


async def set_default(db: AsyncSession, group: Group, template_id: str | None) -> str | None:
    """Make a default or one of the group's own templates its default plan (None: no default)."""
    if template_id is not None:
        await resolve(db, template_id, group.id)  # NotFound for an unknown id
        if template_id not in DEFAULTS:
            template_id = str(uuid.UUID(template_id))
    group.default_template_id = template_id
    await db.flush()
    return template_id


def refuse_builtin(template_id: str) -> None:
    """The default templates are shared by every group: copy one to change it."""
    if template_id in DEFAULTS:
        raise Conflict("builtin_template", "a default template cannot be changed: copy it first")


async def get_row(db: AsyncSession, template_id: str) -> TemplateRow:
    try:
        row = await db.get(TemplateRow, uuid.UUID(template_id))
    except ValueError:
        row = None
    if row is None:
        raise NotFound("template_not_found", "no such template")
    return row


async def resolve(db: AsyncSession, template_id: str, group_id: uuid.UUID) -> Template:
    """A default or one of this group's templates."""
    if template_id in DEFAULTS:
        return DEFAULTS[template_id]
    row = await get_row(db, template_id)
    if row.group_id != group_id:
        raise NotFound("template_not_found", "no such template in this group")
    return _row_template(row)


async def create(db: AsyncSession, group_id: uuid.UUID, *, template: Template) -> TemplateRow:
    row = TemplateRow(group_id=group_id, name=template.name, description=template.description,
                      phases=[p.model_dump(mode="json") for p in template.phases])
    db.add(row)
    await db.flush()
    return row


async def update(db: AsyncSession, row: TemplateRow, *, template: Template) -> TemplateRow:
    row.name, row.description = template.name, template.description
    row.phases = [p.model_dump(mode="json") for p in template.phases]
    await db.flush()
    return row


async def delete(db: AsyncSession, row: TemplateRow) -> None:
    """Delete a group's template; if it was the group's default, the group has none."""
    group = await db.get(Group, row.group_id)
    if group is not None and group.default_template_id == str(row.id):
        group.default_template_id = None
    await db.delete(row)
    await db.flush()


def as_out(row: TemplateRow) -> TemplateOut:
    return out(str(row.id), _row_template(row), builtin=False)
