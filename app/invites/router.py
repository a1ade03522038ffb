from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from app.accounts.deps import CurrentAccount
from app.audit.service import Action, Actor, record
from app.core.config import Settings
from app.core.db import utcnow
from app.core.deps import DbSession, SettingsDep
from app.core.throttle import ClientAddress, Limit, ThrottleDep
from app.groups.service import managed_group
from app.invites import service
from app.invites.models import Invite
from app.invites.schemas import (
    InviteAccept,
    InviteCreate,
    InviteCreated,
    InviteOut,
    InvitePreview,
    InviteToken,
    Joined,
    SessionBrief,
)
from app.mail.postbox import PostboxDep
from app.members.deps import DeviceMembers, remember_device
from app.members.service import new_device_key
from app.sessions.service import next_session

router = APIRouter(tags=["invites"])


def _link_limit(settings: Settings) -> Limit:
    """Resolving and accepting links share one count per client address."""
    per_minute = settings.invite_requests_per_minute
    return Limit("invite-link", per_minute, 60, what="too many invite requests")


def _out(invite: Invite) -> InviteOut:
    fields = {k: getattr(invite, k) for k in InviteOut.model_fields if k != "status"}
    return InviteOut(**fields, status=service.status_of(invite, utcnow()))


@router.post("/groups/{group_id}/invites", response_model=InviteCreated, status_code=201)
async def create_invite(
    group_id: uuid.UUID,
    body: InviteCreate,
    account: CurrentAccount,
    db: DbSession,
    settings: SettingsDep,
    postbox: PostboxDep,
) -> object:
    """Create an invite. The response holds the link; it is shown this once. With `email` (a
    personal invite, on a service that sends email) the link is also emailed there."""
    group = await managed_group(db, account, group_id)
    invite, token = await service.create_invite(
        db,
        group,
        role=body.role,
        kind=body.kind,
        max_uses=body.max_uses,
        days=body.expires_in_days or settings.invite_days,
        label=body.label,
        created_by=account.id,
    )
    await record(db, actor=Actor.account(account.id), action=Action.invite_create,
                 object_type="invite", object_id=invite.id,
                 detail={"role": invite.role.value, "kind": invite.kind.value,
                         "max_uses": invite.max_uses})
    link = f"{settings.public_url.rstrip('/')}/join#{token}"
    if body.email:
        await service.email_invite(db, postbox, invite, group, to=body.email, link=link)
    return InviteCreated(**_out(invite).model_dump(), link=link, emailed=bool(body.email))


@router.get("/groups/{group_id}/invites", response_model=list[InviteOut])
async def list_invites(group_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """A group's invites with their uses and status (never their tokens)."""
    await managed_group(db, account, group_id, allow_archived=True)
    return [_out(i) for i in await service.list_invites(db, group_id)]


@router.post("/invites/{invite_id}/revoke", response_model=InviteOut)
async def revoke_invite(invite_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """Withdraw an invite: its next use is refused."""
    invite = await service.get_invite(db, invite_id)
    await managed_group(db, account, invite.group_id, allow_archived=True)
    await record(db, actor=Actor.account(account.id), action=Action.invite_revoke,
                 object_type="invite", object_id=invite.id)
    return _out(await service.revoke_invite(db, invite))


@router.post("/invites/resolve", response_model=InvitePreview)
async def resolve_invite(
    body: InviteToken,
    db: DbSession,
    settings: SettingsDep,
    throttle: ThrottleDep,
    address: ClientAddress,
    devices: DeviceMembers,
) -> object:
    """What an invite link is for, and whether it still works (public; 429 after
    `invite_requests_per_minute` from one address). A browser already in the group is told so,
    whatever the link's state: it needs the link no more."""
    await throttle.hit(_link_limit(settings), address)
    invite, group, reason = await service.resolve(db, body.token)
    mine = service.held(devices, group) if reason != "group_archived" else None
    if reason is not None and mine is None:  # a dead link shows whose it was and why, nothing more
        return InvitePreview(valid=False, reason=reason, group_name=group.name)
    session = await next_session(db, group.id)
    return InvitePreview(
        valid=reason is None,
        reason=reason,
        already_member=mine is not None,
        group_id=group.id if mine else None,
        display_name=mine.display_name if mine else None,
        group_name=group.name,
        group_description=group.description,
        group_timezone=group.timezone,
        ground_rules=group.ground_rules,
        ground_rules_version=group.ground_rules_version,
        role=invite.role,
        expires_at=invite.expires_at,
        next_session=SessionBrief.model_validate(session, from_attributes=True)
        if session
        else None,
    )


@router.post("/invites/accept", response_model=Joined, status_code=201)
async def accept_invite(
    body: InviteAccept,
    request: Request,
    response: Response,
    db: DbSession,
    settings: SettingsDep,
    throttle: ThrottleDep,
    address: ClientAddress,
    devices: DeviceMembers,
) -> object:
    """Join a group with a display name; this browser remembers the membership (public; 429
    after `invite_requests_per_minute` from one address). A browser already in the group gets
    its membership back (200, `already_member`): no use is counted, no second member made."""
    await throttle.hit(_link_limit(settings), address)
    member, group, created = await service.accept(
        db, body.token, display_name=body.display_name, devices=devices
    )
    if created:
        remember_device(request, response, settings, member.id, await new_device_key(db, member))
    else:
        response.status_code = 200
    return Joined(
        already_member=not created,
        member_id=member.id,
        group_id=group.id,
        group_name=group.name,
        display_name=member.display_name,
        role=member.role,
    )
