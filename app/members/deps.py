"""Which memberships this browser holds: the `rounds_device` cookie, read and written here."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from app.core.config import Settings
from app.core.cookies import DEVICE_COOKIE, check_csrf, set_cookie
from app.core.deps import DbSession, SettingsDep
from app.core.security import sign, unsign
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


def remember_device(
    request: Request, response: Response, settings: Settings, member_id: uuid.UUID, key: str
) -> None:
    """Add a membership's device key to this browser's cookie (newest first, at most 20)."""
    entries = [(m, k) for m, k in device_entries(request, settings.secret) if m != member_id]
    entries = [(member_id, key), *entries][:MAX_DEVICE_ENTRIES]
    max_age = settings.device_cookie_days * 86400
    value = sign(
        settings.secret, DEVICE_COOKIE, [{"m": str(m), "k": k} for m, k in entries], max_age=max_age
    )
    set_cookie(response, settings, DEVICE_COOKIE, value, max_age)


async def device_members(request: Request, db: DbSession, settings: SettingsDep) -> list[Member]:
    members = await members_for_device(db, device_entries(request, settings.secret))
    if members:
        check_csrf(request)
    return members


DeviceMembers = Annotated[list[Member], Depends(device_members)]
