"""Calendar feeds: a doctor's (per membership, from their device) and a facilitator's (per
account) secret `.ics` URL, made, replaced and revoked here; the feed itself needs only the URL.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.accounts.deps import CurrentAccount
from app.calendar import service
from app.calendar.schemas import CalendarFeedOut, CalendarLink
from app.core.deps import DbSession, SettingsDep
from app.core.errors import NotFound
from app.members.deps import DeviceMembers
from app.members.models import Member

router = APIRouter(tags=["calendar"])


def _mine(members: list[Member], member_id: uuid.UUID) -> Member:
    member = next((m for m in members if m.id == member_id), None)
    if member is None:
        raise NotFound("member_not_found", "this device holds no such membership")
    return member


def _out(feed: object) -> CalendarFeedOut:
    created = getattr(feed, "created_at", None)
    return CalendarFeedOut(active=feed is not None, created_at=created)


@router.get("/me/memberships/{member_id}/calendar", response_model=CalendarFeedOut)
async def member_calendar(member_id: uuid.UUID, members: DeviceMembers, db: DbSession) -> object:
    """Whether this membership has a calendar link (its URL was shown when it was made)."""
    return _out(await service.current(db, member=_mine(members, member_id)))


@router.post("/me/memberships/{member_id}/calendar", response_model=CalendarLink,
             status_code=201)
async def new_member_calendar(member_id: uuid.UUID, members: DeviceMembers, db: DbSession,
                              settings: SettingsDep) -> object:
    """Make this membership's calendar link, replacing any earlier one (which stops working)."""
    url, feed = await service.new_link(db, settings.public_url, member=_mine(members, member_id))
    return CalendarLink(url=url, created_at=feed.created_at)


@router.delete("/me/memberships/{member_id}/calendar", status_code=204)
async def revoke_member_calendar(member_id: uuid.UUID, members: DeviceMembers,
                                 db: DbSession) -> None:
    """Stop this membership's calendar link."""
    await service.revoke(db, member=_mine(members, member_id))


@router.get("/account/calendar", response_model=CalendarFeedOut)
async def account_calendar(account: CurrentAccount, db: DbSession) -> object:
    """Whether this facilitator has a calendar link (for all the groups they facilitate)."""
    return _out(await service.current(db, account=account))


@router.post("/account/calendar", response_model=CalendarLink, status_code=201)
async def new_account_calendar(account: CurrentAccount, db: DbSession,
                               settings: SettingsDep) -> object:
    """Make this facilitator's calendar link, replacing any earlier one."""
    url, feed = await service.new_link(db, settings.public_url, account=account)
    return CalendarLink(url=url, created_at=feed.created_at)


@router.delete("/account/calendar", status_code=204)
async def revoke_account_calendar(account: CurrentAccount, db: DbSession) -> None:
    """Stop this facilitator's calendar link."""
    await service.revoke(db, account=account)


@router.get("/calendar/{token}.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}})
async def feed(token: str, db: DbSession, settings: SettingsDep) -> Response:
    """A person's calendar (RFC 5545): their groups' sessions, changes and cancellations."""
    body = await service.calendar(db, token, public_url=settings.public_url)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"cache-control": "no-store", "x-robots-tag": "noindex"})
