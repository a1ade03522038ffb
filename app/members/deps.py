"""Which memberships this browser holds: the `rounds_device` cookie."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from app.core.cookies import DEVICE_COOKIE, check_csrf
from app.core.deps import DbSession, SettingsDep
from app.core.security import unsign
from app.members.models import Member
from app.members.service import members_for_device

MAX_DEVICE_ENTRIES = 20


def device_entries(request: Request, secret: bytes) -> list[tuple[uuid.UUID, str]]:
    data = unsign(secret, DEVICE_COOKIE, request.cookies.get(DEVICE_COOKIE))
    if not isinstance(data, list):
        return []
    entries = []
    for item in data[:MAX_DEVICE_ENTRIES]:
        try:
            entries.append((uuid.UUID(item["m"]), str(item["k"])))
        except (KeyError, TypeError, ValueError):
            continue
    return entries


async def device_members(request: Request, db: DbSession, settings: SettingsDep) -> list[Member]:
    members = await members_for_device(db, device_entries(request, settings.secret))
    if members:
        check_csrf(request)
    return members


DeviceMembers = Annotated[list[Member], Depends(device_members)]
