"""The audit log over HTTP, for admins: read it with filters, export it as CSV or JSON.

An export is itself audited (``audit.export``). Records hold ids, codes and counts only (see
``app.audit.service``), so an export carries no names, emails or addresses.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from app.accounts.deps import CurrentAdmin
from app.audit import service
from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.core.deps import DbSession

router = APIRouter(tags=["audit"])
EXPORT_LIMIT = 100_000
COLUMNS = ("at", "actor", "action", "object_type", "object_id", "outcome", "detail")


class AuditOut(BaseModel):
    at: datetime
    actor: str
    """``account <id>``, ``member <id>``, ``system`` or ``anonymous``."""
    actor_kind: str
    actor_id: uuid.UUID | None
    action: str
    object_type: str
    object_id: str | None
    outcome: str
    detail: dict[str, Any]


def _out(event: AuditEvent) -> AuditOut:
    actor = service.Actor(event.actor_kind, event.actor_id)  # type: ignore[arg-type]
    return AuditOut(at=event.at, actor=actor.label(), actor_kind=event.actor_kind,
                    actor_id=event.actor_id, action=event.action, object_type=event.object_type,
                    object_id=event.object_id, outcome=event.outcome, detail=event.detail or {})


def _query(action: str | None, actor_id: uuid.UUID | None, object_id: str | None,
           outcome: str | None, since: datetime | None, until: datetime | None,
           limit: int) -> service.Query:
    return service.Query(action=action or None, actor_id=actor_id, object_id=object_id or None,
                         outcome=outcome or None, since=since, until=until, limit=limit)


Text = Annotated[str | None, Query(max_length=64)]


@router.get("/audit", response_model=list[AuditOut])
async def list_audit(
    _: CurrentAdmin,
    db: DbSession,
    action: Text = None,
    actor_id: uuid.UUID | None = None,
    object_id: Text = None,
    outcome: Text = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> object:
    """The audit log, newest first (admin). `outcome=refused` gives every refusal."""
    query = _query(action, actor_id, object_id, outcome, since, until, limit)
    return [_out(e) for e in await service.search(db, query)]


@router.get("/audit/actions", response_model=list[str])
async def list_actions(_: CurrentAdmin) -> object:
    """Every action name the log records (admin)."""
    return [a.value for a in service.Action]


def _csv(rows: list[AuditOut]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        data = row.model_dump(mode="json")
        data["detail"] = json.dumps(row.detail, sort_keys=True) if row.detail else ""
        writer.writerow([data[c] if data[c] is not None else "" for c in COLUMNS])
    return buffer.getvalue()


@router.get("/audit/export")
async def export_audit(
    admin: CurrentAdmin,
    db: DbSession,
    format: Literal["csv", "json"] = "csv",
    action: Text = None,
    actor_id: uuid.UUID | None = None,
    object_id: Text = None,
    outcome: Text = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Response:
    """Download the log (admin), filtered as `/audit`, as CSV or JSON; the export is audited."""
    query = _query(action, actor_id, object_id, outcome, since, until, EXPORT_LIMIT)
    rows = [_out(e) for e in await service.search(db, query)]
    await service.record(db, actor=service.Actor.account(admin.id),
                         action=service.Action.audit_export, object_type="audit",
                         detail={"format": format, "rows": len(rows)})
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    if format == "json":
        body = json.dumps([r.model_dump(mode="json") for r in rows], indent=1)
        media = "application/json"
    else:
        body, media = _csv(rows), "text/csv; charset=utf-8"
    return Response(body, media_type=media, headers={
        "content-disposition": f'attachment; filename="rounds-audit-{stamp}.{format}"',
        "cache-control": "no-store",
    })
