"""Invites: links that let someone join a group.

A link carries a 256-bit random token after a `#`, so it never reaches a server log; only the
token's SHA-256 is stored, looked up by an index and compared in constant time. Using an invite is
one conditional UPDATE (not revoked, not expired, uses below the cap), so two browsers racing for
the last use cannot both win, and revoking or expiring stops the very next use.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import utcnow
from app.core.errors import Conflict, Gone, Invalid, NotFound
from app.core.security import new_token, same_hash, token_hash
from app.groups.models import Group
from app.invites.models import Invite, InviteKind
from app.mail import compose, outbox
from app.mail.models import MailKind
from app.mail.postbox import Postbox
from app.mail.smtp import valid_address
from app.members.models import FACILITATING, Member, Role
from app.members.service import clean_name, count_active


def status_of(invite: Invite, now: datetime) -> str:
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= now:
        return "expired"
    if invite.uses >= invite.max_uses:
        return "used"
    return "active"


async def create_invite(
    db: AsyncSession,
    group: Group,
    *,
    role: Role,
    kind: InviteKind,
    max_uses: int,
    days: int,
    label: str,
    created_by: uuid.UUID | None,
) -> tuple[Invite, str]:
    """Create an invite and return it with its token (the only time the token exists)."""
    if role in FACILITATING:
        raise Invalid("bad_role", "facilitators are added to a group from their account")
    token = new_token()
    invite = Invite(
        group_id=group.id,
        token_hash=token_hash(token),
        role=role,
        kind=kind,
        max_uses=1 if kind is InviteKind.personal else max_uses,
        expires_at=utcnow() + timedelta(days=days),
        label=label.strip(),
        created_by=created_by,
    )
    db.add(invite)
    await db.flush()
    return invite, token


async def list_invites(db: AsyncSession, group_id: uuid.UUID) -> list[Invite]:
    return list(
        await db.scalars(
            select(Invite).where(Invite.group_id == group_id).order_by(Invite.created_at.desc())
        )
    )


async def get_invite(db: AsyncSession, invite_id: uuid.UUID) -> Invite:
    invite = await db.get(Invite, invite_id)
    if invite is None:
        raise NotFound("invite_not_found", "no such invite")
    return invite


async def revoke_invite(db: AsyncSession, invite: Invite) -> Invite:
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        await db.flush()
    return invite


async def revoke_personal_invite(
    db: AsyncSession, member_id: uuid.UUID, *, group_id: uuid.UUID
) -> None:
    """Disable the personal invite a member of ``group_id`` joined with (someone removed from a
    session); a shared link stays: it belongs to the others it was sent to."""
    member = await db.get(Member, member_id)
    if member is None or member.group_id != group_id or member.invite_id is None:
        return
    invite = await db.get(Invite, member.invite_id)
    if invite is not None and invite.kind is InviteKind.personal:
        await revoke_invite(db, invite)


async def find_by_token(db: AsyncSession, token: str) -> Invite | None:
    digest = token_hash(token)
    invite = await db.scalar(select(Invite).where(Invite.token_hash == digest))
    if invite is None or not same_hash(invite.token_hash, digest):
        return None
    return invite


_REASONS = {
    "revoked": (
        "invite_revoked",
        "this invite has been withdrawn; ask your facilitator for a new link",
    ),
    "expired": ("invite_expired", "this invite has expired; ask your facilitator for a new link"),
    "used": (
        "invite_used",
        "this invite has already been used; ask your facilitator for a new link",
    ),
}


async def resolve(db: AsyncSession, token: str) -> tuple[Invite, Group, str | None]:
    """The invite and its group, with why it cannot be used (None if it can)."""
    invite = await find_by_token(db, token)
    if invite is None:
        raise NotFound("invite_not_found", "this link is not a Rounds invite")
    group = await db.get(Group, invite.group_id)
    assert group is not None  # foreign key
    if group.archived_at is not None:
        return invite, group, "group_archived"
    state = status_of(invite, utcnow())
    return invite, group, None if state == "active" else _REASONS[state][0]


def held(devices: list[Member], group: Group) -> Member | None:
    """The active membership of ``group`` this browser already holds, if any: opening the link
    again on the same device (a reload, a second tap on a shared link) finds it."""
    return next((m for m in devices if m.group_id == group.id), None)


async def accept(
    db: AsyncSession, token: str, *, display_name: str, devices: list[Member]
) -> tuple[Member, Group, bool]:
    """Use an invite: one more use, one new membership (True). A browser that already holds an
    active membership of the group gets that one back (False): no use, no second member. Raises
    Gone when the link no longer works."""
    name = clean_name(display_name)
    invite, group, reason = await resolve(db, token)
    if reason == "group_archived":
        raise Gone(reason, "this group has closed")
    existing = held(devices, group)
    if existing is not None:
        return existing, group, False
    if reason is not None:
        raise Gone(reason, dict(_REASONS.values())[reason])
    now = utcnow()
    # One accept per group at a time, so two people cannot both take the last place: PostgreSQL
    # locks the group's row; on SQLite the invite update below takes the database's write lock.
    # The count comes after both, and a full group rolls the use back with the request.
    await db.execute(select(Group.id).where(Group.id == group.id).with_for_update())
    used = await db.execute(
        update(Invite)
        .where(
            Invite.id == invite.id,
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
            Invite.uses < Invite.max_uses,
        )
        .values(uses=Invite.uses + 1)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise Gone("invite_used", _REASONS["used"][1])
    if (
        invite.role == Role.member
        and await count_active(db, group.id, role=Role.member) >= group.size_limit
    ):
        raise Conflict("group_full", "this group is full; ask your facilitator")
    member = Member(
        group_id=group.id, invite_id=invite.id, display_name=name, role=invite.role, started_at=now
    )
    db.add(member)
    await db.flush()
    return member, group, True


async def email_invite(
    db: AsyncSession, postbox: Postbox, invite: Invite, group: Group, *, to: str, link: str
) -> None:
    """Queue a personal invite's link to an address (in the caller's transaction)."""
    if not postbox.enabled:
        raise Conflict("mail_disabled", "this service sends no email: copy the link instead")
    if invite.kind is not InviteKind.personal:
        raise Invalid("email_personal_only", "only a personal invite is emailed to one address")
    to = to.strip()
    if not valid_address(to):
        raise Invalid("bad_email", "give an email address like name@nhs.net")
    email = compose.invite(link=link, expires_at=invite.expires_at, timezone=group.timezone)
    await outbox.queue(db, kind=MailKind.invite, to=to, subject=email.subject, body=email.body,
                       now=utcnow())
