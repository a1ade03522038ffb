"""Memberships: who is in a group, from when to when, and the devices that prove it."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.audit.service import Action, Actor, record
from app.core.db import utcnow
from app.core.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from app.core.rooms import LiveRooms
from app.core.security import new_token, same_hash, token_hash
from app.mail.smtp import valid_address
from app.members.models import FACILITATING, MAX_FACILITATORS, Member, Role

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")
"""Characters that reorder the text around them (a right-to-left override makes "Dr Ann" show
as someone else's name): never in a display name."""


def clean_name(name: str) -> str:
    """A display name others will see: white space folded, no control or bidi characters, and at
    least one visible character (letters, digits, punctuation or symbols, not only zero-width)."""
    cleaned = " ".join(name.split())
    if (any(unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS for c in cleaned)
            or not any(unicodedata.category(c)[0] in "LNPS" for c in cleaned)):
        raise Invalid("bad_display_name", "give a display name of visible characters")
    return cleaned[:80]


async def list_members(
    db: AsyncSession, group_id: uuid.UUID, *, include_ended: bool
) -> list[Member]:
    query = select(Member).where(Member.group_id == group_id).order_by(Member.started_at)
    if not include_ended:
        now = utcnow()
        query = query.where(or_(Member.ended_at.is_(None), Member.ended_at > now))
    return list(await db.scalars(query))


async def count_active(db: AsyncSession, group_id: uuid.UUID, *, role: Role) -> int:
    now = utcnow()
    count = await db.scalar(
        select(func.count())
        .select_from(Member)
        .where(
            Member.group_id == group_id,
            Member.role == role,
            Member.started_at <= now,
            or_(Member.ended_at.is_(None), Member.ended_at > now),
        )
    )
    return int(count or 0)


async def get_member(db: AsyncSession, member_id: uuid.UUID) -> Member:
    member = await db.get(Member, member_id)
    if member is None:
        raise NotFound("member_not_found", "no such member")
    return member


async def add_facilitator(
    db: AsyncSession, group_id: uuid.UUID, account: Account, *, role: Role
) -> Member:
    if role not in FACILITATING:
        raise Invalid("bad_role", "an account joins a group as facilitator or co-facilitator")
    now = utcnow()
    existing = await db.scalar(
        select(Member).where(
            Member.group_id == group_id,
            Member.account_id == account.id,
            or_(Member.ended_at.is_(None), Member.ended_at > now),
        )
    )
    if existing is not None:
        raise Conflict("already_member", "this account is already in the group")
    leads = sum([await count_active(db, group_id, role=r) for r in FACILITATING])
    if leads >= MAX_FACILITATORS:
        raise Conflict(
            "too_many_facilitators", f"a group has at most {MAX_FACILITATORS} facilitators"
        )
    member = Member(
        group_id=group_id,
        account_id=account.id,
        display_name=account.display_name,
        email=account.email,
        role=role,
        started_at=now,
    )
    db.add(member)
    await db.flush()
    return member


async def update_member(
    db: AsyncSession,
    member: Member,
    *,
    role: Role | None,
    started_at: datetime | None,
    ended_at: datetime | None,
    rooms: LiveRooms,
) -> Member:
    """Change a role or dates; an end date that has come ends the membership at once (a later
    one, when it comes: the facilitation runtime watches for it)."""
    if role is not None:
        if role in FACILITATING and member.account_id is None:
            raise Invalid("needs_account", "facilitators sign in: give the role to an account")
        member.role = role
    if started_at is not None:
        member.started_at = started_at
    if ended_at is not None:
        member.ended_at = ended_at
    if member.ended_at is not None and member.ended_at < member.started_at:
        raise Invalid("bad_dates", "a membership cannot end before it starts")
    if member.ended_at is not None and member.ended_at <= utcnow():
        member.device_key_hash = None
        await rooms.end_membership(db, member.id)
    await db.flush()
    return member


async def end_membership(
    db: AsyncSession, member: Member, *, rooms: LiveRooms, by: Actor
) -> Member:
    """End a membership now: its device stops working at once and, once that is committed, they
    leave any room they are in; history stays until retention. Audited, ``by`` whom (a
    facilitator's place ending is ``facilitator.remove``)."""
    now = utcnow()
    if member.ended_at is None or member.ended_at > now:
        member.ended_at = now
    member.device_key_hash = None
    await db.flush()
    await rooms.end_membership(db, member.id)
    action = Action.facilitator_remove if member.role in FACILITATING else Action.membership_end
    await record(db, actor=by, action=action, object_type="member", object_id=member.id)
    return member


async def ended_between(db: AsyncSession, since: datetime, until: datetime) -> list[uuid.UUID]:
    """Memberships whose end date fell in ``(since, until]``."""
    return list(await db.scalars(select(Member.id).where(
        Member.ended_at > since, Member.ended_at <= until)))


async def joining_member(
    db: AsyncSession, group_id: uuid.UUID, account: Account | None, devices: list[Member]
) -> Member:
    """The membership someone enters a group's session with: a facilitator's (by account), else
    the one this browser holds."""
    if account is not None:
        now = utcnow()
        member = await db.scalar(
            select(Member).where(
                Member.group_id == group_id,
                Member.account_id == account.id,
                Member.role.in_(FACILITATING),
                Member.started_at <= now,
                or_(Member.ended_at.is_(None), Member.ended_at > now),
            )
        )
        if member is not None:
            return member
    for member in devices:
        if member.group_id == group_id:
            return member
    if account is None and not devices:
        raise Unauthenticated("no_membership", "open your invite link on this device first")
    raise Forbidden("not_your_group", "you are not a member of this group")


async def new_device_key(db: AsyncSession, member: Member) -> str:
    """Bind a fresh device key to a membership; the key goes into the browser's cookie."""
    key = new_token()
    member.device_key_hash = token_hash(key)
    await db.flush()
    return key


async def members_for_device(
    db: AsyncSession, entries: list[tuple[uuid.UUID, str]]
) -> list[Member]:
    """The active memberships whose device keys this browser holds."""
    if not entries:
        return []
    now = utcnow()
    found = {
        m.id: m
        for m in await db.scalars(
            select(Member).where(Member.id.in_([member_id for member_id, _ in entries]))
        )
    }
    result = []
    for member_id, key in entries:
        member = found.get(member_id)
        if (
            member is not None
            and member.device_key_hash is not None
            and same_hash(member.device_key_hash, token_hash(key))
            and member.active(now)
        ):
            result.append(member)
    return result


async def forget_devices(db: AsyncSession, members: list[Member], *, rooms: LiveRooms) -> None:
    """Forget this device: each membership it holds ends as if the doctor left the group
    themselves (the facilitator sees they left; no membership stays open with no device to use
    it), and its key stops working."""
    for member in members:
        await end_membership(db, member, rooms=rooms, by=Actor.member(member.id))


async def check_may_change(
    db: AsyncSession, account: Account, member: Member, *, new_role: Role | None = None
) -> None:
    """A co-facilitator manages members, but not the facilitators' own memberships, and gives
    no one a facilitating role: that is for the group's facilitator or an admin."""
    touches_leads = member.role in FACILITATING or new_role in FACILITATING
    if account.is_admin or not touches_leads or member.account_id == account.id:
        return
    now = utcnow()
    role = await db.scalar(select(Member.role).where(
        Member.group_id == member.group_id, Member.account_id == account.id,
        Member.started_at <= now, or_(Member.ended_at.is_(None), Member.ended_at > now)))
    if role is not Role.facilitator:
        raise Forbidden("facilitator_only",
                        "only the group's facilitator or an admin can change a facilitator")


async def set_contact(db: AsyncSession, member: Member, *, email: str | None,
                      reminders: bool) -> Member:
    """A doctor's email for this membership (None: none) and whether they want reminders."""
    email = (email or "").strip() or None
    if email is not None and not valid_address(email):
        raise Invalid("bad_email", "give an email address like name@nhs.net")
    member.email, member.reminders = email, reminders
    await db.flush()
    return member
