"""Placing a programme's people: propose an allocation (the solver, ``allocate``), let the lead
move people, confirm it into real groups with personal invites, and the rotation change-over.

Confirming makes, for each proposed group, a group (``app.groups``) with its facilitator, a
weekly series at its slot (``app.series``) and one personal invite per person
(``app.invites``), emailed through the outbox in the same transaction: the emails exist
exactly when the groups do. At a change-over, the places of people whose rotation ends by the
date end on their last day (their membership's end date; an invite not yet used is withdrawn)
and the people not yet placed are offered the places free in the running groups, by the same
solver with the stayers fixed.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.core.errors import Conflict, Invalid, NotFound
from app.core.rooms import LiveRooms
from app.groups.models import Group
from app.groups.service import create_group
from app.invites.models import Invite, InviteKind
from app.invites.service import create_invite, email_invite, revoke_invite
from app.mail.postbox import Postbox
from app.members.models import Member, Role
from app.members.service import update_member
from app.programmes import allocate
from app.programmes.models import Person, PersonStatus, Placement, Programme
from app.programmes.service import facilitators, people
from app.series.rules import WEEKDAYS
from app.series.schemas import SeriesRule
from app.series.service import create_series


def rules_of(programme: Programme) -> allocate.Rules:
    return allocate.Rules(programme.min_size, programme.max_size, programme.mix_specialties,
                          programme.mix_sites, programme.separate_cohorts)


def someones(everyone: list[Person]) -> dict[uuid.UUID, allocate.Someone]:
    """Each person as the solver sees them (whom they avoid, by key)."""
    by_email = {p.email: str(p.id) for p in everyone}
    return {p.id: allocate.Someone(
        key=str(p.id), label=p.name, cohort=p.cohort.value, specialty=p.specialty.lower(),
        site=p.site.lower(), slots=frozenset(p.slots),
        avoid=frozenset(by_email[e] for e in p.avoid if e in by_email)) for p in everyone}


async def placements(db: AsyncSession, programme: Programme) -> list[Placement]:
    return list(await db.scalars(select(Placement).where(
        Placement.programme_id == programme.id).order_by(Placement.number)))


def _open(person: Person) -> bool:
    return person.status is PersonStatus.imported


async def violations(db: AsyncSession, programme: Programme) -> list[str]:
    """What the current proposal breaks (confirmed groups are the facilitators' to change)."""
    everyone = await people(db, programme)
    seen = someones(everyone)
    members = defaultdict(list)
    for p in everyone:
        if p.placement_id and _open(p):
            members[p.placement_id].append(seen[p.id])
    proposed = [pl for pl in await placements(db, programme) if pl.group_id is None]
    return allocate.violations(
        [(pl.slot, pl.cohort.value if pl.cohort else None, members[pl.id]) for pl in proposed],
        rules_of(programme))


async def propose(db: AsyncSession, programme: Programme, *, seconds: float = allocate.SECONDS
                  ) -> allocate.Outcome:
    """Allocate everyone not yet in a confirmed group into new groups; the earlier proposal is
    replaced. With no allocation, nothing changes and the outcome says why."""
    everyone = await people(db, programme)
    waiting = [p for p in everyone if _open(p)]
    seen = someones(everyone)
    offered = [allocate.Facilitator(str(f.account_id), a.display_name, frozenset(f.slots),
                                    f.max_groups) for f, a in await facilitators(db, programme)]
    existing = await placements(db, programme)
    busy: defaultdict[str, int] = defaultdict(int)
    for pl in existing:
        if pl.group_id is not None and pl.facilitator_id is not None:
            busy[str(pl.facilitator_id)] += 1
    taken = {(str(pl.facilitator_id), pl.slot) for pl in existing if pl.group_id is not None}
    offered = [allocate.Facilitator(f.key, f.label, frozenset(
        s for s in f.slots if (f.key, s) not in taken), f.max_groups - busy[f.key])
        for f in offered if f.max_groups > busy[f.key]]
    # The solver works for up to ``seconds``: in a thread (it lets go of the GIL), so the event
    # loop, and every live room on it, carries on meanwhile.
    outcome = await asyncio.to_thread(allocate.allocate, [seen[p.id] for p in waiting], offered,
                                      rules_of(programme), seconds=seconds)
    if not outcome.ok:
        return outcome
    for p in waiting:
        p.placement_id = None
    for pl in existing:
        if pl.group_id is None:
            await db.delete(pl)
    await db.flush()
    number = max((pl.number for pl in existing if pl.group_id is not None), default=0)
    by_key = {str(p.id): p for p in waiting}
    for group in outcome.groups:
        number += 1
        placement = Placement(programme_id=programme.id, number=number, slot=group.slot,
                              facilitator_id=uuid.UUID(group.facilitator),
                              cohort=group.cohort)
        db.add(placement)
        await db.flush()
        for key in group.members:
            by_key[key].placement_id = placement.id
    await db.flush()
    return outcome


async def move(db: AsyncSession, programme: Programme, person_id: uuid.UUID,
               placement_id: uuid.UUID) -> None:
    """Move someone to another proposed group; refused if that group would then break a rule
    (a slot they cannot make, someone to keep apart, too many people, another cohort)."""
    person = await db.get(Person, person_id)
    target = await db.get(Placement, placement_id)
    if person is None or person.programme_id != programme.id:
        raise NotFound("person_not_found", "no such person in this programme")
    if target is None or target.programme_id != programme.id:
        raise NotFound("placement_not_found", "no such group in this programme")
    if target.group_id is not None or not _open(person):
        raise Conflict("placement_confirmed",
                       "confirmed groups change on the group's own page, by its facilitator")
    everyone = await people(db, programme)
    seen = someones(everyone)
    there = [seen[p.id] for p in everyone if p.placement_id == target.id and p.id != person.id]
    broken = allocate.violations(
        [(target.slot, target.cohort.value if target.cohort else None,
          [*there, seen[person.id]])], rules_of(programme), complete=False)
    if broken:
        raise Invalid("move_breaks_rule", " ".join(b.replace("Group 1", f"Group {target.number}")
                                                     for b in broken))
    person.placement_id = target.id
    await db.flush()


def _start(programme: Programme, slot: str, first: date) -> tuple[date, time]:
    """The first date on or after ``first`` with the slot's weekday, and its time."""
    code, clock = slot.split(" ")
    day = first + timedelta(days=(WEEKDAYS.index(code) - first.weekday()) % 7)
    hours, minutes = clock.split(":")
    return day, time(int(hours), int(minutes))


async def _invite(db: AsyncSession, postbox: Postbox, person: Person, group: Group,
                  *, days: int, by: uuid.UUID) -> None:
    invite, token = await create_invite(db, group, role=Role.member, kind=InviteKind.personal,
                                        max_uses=1, days=days, label="", created_by=by)
    await email_invite(db, postbox, invite, group, to=person.email,
                       link=postbox.link(f"/join#{token}"))
    person.invite_id, person.status = invite.id, PersonStatus.invited


async def confirm(db: AsyncSession, programme: Programme, lead: Account, postbox: Postbox, *,
                  first_date: date, duration_minutes: int, invite_days: int, now: datetime
                  ) -> tuple[int, int]:
    """Make the proposed groups real and queue everyone's personal invite: (groups, invites)."""
    if not postbox.enabled:
        raise Conflict("mail_disabled", "this service sends no email, so invites cannot go out")
    broken = await violations(db, programme)
    if broken:
        raise Conflict("allocation_invalid", " ".join(broken))
    everyone = await people(db, programme)
    proposed = [pl for pl in await placements(db, programme) if pl.group_id is None]
    if not proposed:
        raise Conflict("nothing_to_confirm", "propose an allocation first")
    groups = invites = 0
    for placement in proposed:
        members = [p for p in everyone if p.placement_id == placement.id]
        if not members:
            await db.delete(placement)
            continue
        facilitator = (await db.get(Account, placement.facilitator_id)
                       if placement.facilitator_id else None)
        if facilitator is None or facilitator.disabled_at is not None:
            raise Conflict("facilitator_gone",
                           f"Group {placement.number}'s facilitator can no longer sign in")
        group = await create_group(db, facilitator=facilitator, fields={
            "name": f"{programme.name}: group {placement.number}",
            "cohort": placement.cohort.value if placement.cohort else "",
            "timezone": programme.timezone, "size_limit": programme.max_size})
        placement.group_id = group.id
        day, clock = _start(programme, placement.slot, first_date)
        await create_series(db, group, SeriesRule(
            frequency="weekly", start_date=day, start_time=clock,
            duration_minutes=duration_minutes, title=""), now=now)
        for person in members:
            await _invite(db, postbox, person, group, days=invite_days, by=lead.id)
            invites += 1
        groups += 1
    await db.flush()
    return groups, invites


def last_moment(day: date, timezone: str) -> datetime:
    """The end of a local day: a place ends at midnight after its last day."""
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(timezone))


async def changeover(db: AsyncSession, programme: Programme, lead: Account, postbox: Postbox,
                     *, on: date, invite_days: int, rooms: LiveRooms
                     ) -> tuple[int, int, list[str]]:
    """End the places of rotations ending by ``on``, offer the free places to the people not
    yet placed: (left, invited, why each unplaced newcomer is)."""
    if not postbox.enabled:
        raise Conflict("mail_disabled", "this service sends no email, so invites cannot go out")
    everyone = await people(db, programme)
    left = 0
    for person in everyone:
        if person.status is not PersonStatus.invited or person.rotation_end > on:
            continue
        ends = last_moment(person.rotation_end, programme.timezone)
        member = await db.scalar(select(Member).where(Member.invite_id == person.invite_id)) \
            if person.invite_id else None
        if member is not None and (member.ended_at is None or member.ended_at > ends):
            await update_member(db, member, role=None, started_at=None, ended_at=ends,
                                rooms=rooms)
        invite = await db.get(Invite, person.invite_id) if person.invite_id else None
        if invite is not None and invite.uses == 0:
            await revoke_invite(db, invite)
        person.status, person.placement_id = PersonStatus.left, None
        left += 1
    running = []
    seen = someones(everyone)
    groups: dict[str, tuple[Placement, Group]] = {}
    for placement in await placements(db, programme):
        group = await db.get(Group, placement.group_id) if placement.group_id else None
        if group is None or group.archived_at is not None or placement.facilitator_id is None:
            continue
        stayers = tuple(seen[p.id] for p in everyone
                        if p.placement_id == placement.id and p.status is PersonStatus.invited)
        groups[str(placement.id)] = (placement, group)
        running.append(allocate.Running(str(placement.id), str(placement.facilitator_id),
                                        placement.slot,
                                        placement.cohort.value if placement.cohort else None,
                                        stayers))
    newcomers = [p for p in everyone if _open(p) and p.rotation_end > on]
    outcome = await asyncio.to_thread(allocate.allocate, [seen[p.id] for p in newcomers], [],
                                      rules_of(programme), running=running, everyone=False)
    by_key = {str(p.id): p for p in newcomers}
    invited = 0
    for fitted in outcome.groups:
        if fitted.running is None:
            continue
        placement, group = groups[fitted.running]
        for key in fitted.members:
            person = by_key[key]
            person.placement_id = placement.id
            await _invite(db, postbox, person, group, days=invite_days, by=lead.id)
            invited += 1
    why = outcome.problems or []
    unplaced = [f"{by_key[k].name}: no running group at a slot they can make has a place "
                "that keeps every rule" for k in outcome.unplaced]
    await db.flush()
    return left, invited, why + unplaced
