"""A group's series: create, list, edit and stop them (their facilitators). One occurrence is
edited with `PATCH /sessions/{id}` and cancelled with `POST /sessions/{id}/cancel`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.accounts.deps import CurrentAccount
from app.core.db import utcnow
from app.core.deps import DbSession
from app.groups.service import managed_group
from app.series import service
from app.series.schemas import SeriesOut, SeriesRule

router = APIRouter(tags=["series"])


@router.post("/groups/{group_id}/series", response_model=SeriesOut, status_code=201)
async def create_series(
    group_id: uuid.UUID, body: SeriesRule, account: CurrentAccount, db: DbSession
) -> object:
    """Start a series in the group's time zone; its sessions for the coming weeks are made."""
    group = await managed_group(db, account, group_id)
    return service.as_out(await service.create_series(db, group, body, now=utcnow()))


@router.get("/groups/{group_id}/series", response_model=list[SeriesOut])
async def list_series(group_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """A group's series, oldest first (stopped ones too)."""
    await managed_group(db, account, group_id, allow_archived=True)
    return [service.as_out(s) for s in await service.list_series(db, group_id)]


@router.get("/series/{series_id}", response_model=SeriesOut)
async def get_series(series_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """One series."""
    series = await service.get_series(db, series_id)
    await managed_group(db, account, series.group_id, allow_archived=True)
    return service.as_out(series)


@router.put("/series/{series_id}", response_model=SeriesOut)
async def update_series(
    series_id: uuid.UUID, body: SeriesRule, account: CurrentAccount, db: DbSession
) -> object:
    """Edit the whole series: its future sessions follow, except those edited on their own."""
    series = await service.get_series(db, series_id)
    await managed_group(db, account, series.group_id)
    return service.as_out(await service.update_series(db, series, body, now=utcnow()))


@router.delete("/series/{series_id}", response_model=SeriesOut)
async def stop_series(series_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """Stop a series: its future unedited sessions are removed; past ones stay."""
    series = await service.get_series(db, series_id)
    await managed_group(db, account, series.group_id)
    return service.as_out(await service.stop_series(db, series, now=utcnow()))
