"""Peer networks in the database: networks, their hosts and their rooms' times.

A room is open from ``EARLY`` before each start its rule gives until the start plus its
duration, in its own time zone (``app.series.rules``: the same RRULE machinery as a group's
series). Times are arguments, so tests use any clock.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.models import Account
from app.audit.service import Action, Actor, record
from app.core.db import transaction
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.dropin.models import DropInRoom, PeerHost, PeerNetwork
from app.dropin.schemas import HostOut, NetworkIn, NetworkOut, Opening, RoomIn, RoomOut
from app.series import rules

log = logging.getLogger("rounds.dropin")
EARLY = timedelta(minutes=10)
"""A room opens this long before its start, so a host can be there first."""
LINK_PAGE = "/drop-in"


def new_key() -> str:
    return secrets.token_urlsafe(18)


def recurrence(room: DropInRoom) -> rules.Recurrence:
    return rules.Recurrence(rule=room.rule,
                            first=room.first_start.astimezone(ZoneInfo(room.timezone)))


def openings(room: DropInRoom, now: datetime) -> tuple[Opening | None, Opening | None]:
    """(the opening under way at ``now``, the next one after it)."""
    length = timedelta(minutes=room.duration_minutes)
    starts = recurrence(room).expand(now - length - EARLY, now + timedelta(days=100))
    current = nxt = None
    for start in starts:
        opening = Opening(starts_at=start, ends_at=start + length)
        if start - EARLY <= now < start + length and current is None:
            current = opening
        elif start - EARLY > now:
            nxt = opening
            break
    return current, nxt


def room_out(room: DropInRoom, now: datetime, *, hosted: bool) -> RoomOut:
    current, nxt = openings(room, now)
    return RoomOut(id=room.id, name=room.name, timezone=room.timezone,
                   description=rules.describe(recurrence(room), room.duration_minutes),
                   open_now=current is not None, current=current, next=nxt, hosted=hosted)


async def get_network(db: AsyncSession, network_id: uuid.UUID) -> PeerNetwork:
    network = await db.get(PeerNetwork, network_id)
    if network is None:
        raise NotFound("network_not_found", "no such peer network")
    return network


async def by_key(db: AsyncSession, key: str) -> PeerNetwork:
    network = (await db.execute(
        select(PeerNetwork).where(PeerNetwork.link_key == key))).scalar_one_or_none()
    if network is None:
        raise NotFound("network_link_unknown", "this link does not open a peer network: it may "
                       "have been replaced. Ask whoever gave it to you for the current one")
    return network


async def get_room(db: AsyncSession, room_id: uuid.UUID) -> DropInRoom:
    room = await db.get(DropInRoom, room_id)
    if room is None:
        raise NotFound("room_not_found", "no such drop-in room")
    return room


async def rooms_of(db: AsyncSession, network_id: uuid.UUID) -> list[DropInRoom]:
    return list((await db.execute(select(DropInRoom).where(
        DropInRoom.network_id == network_id).order_by(DropInRoom.created_at))).scalars())


async def hosts_of(db: AsyncSession, network_id: uuid.UUID) -> list[Account]:
    return list((await db.execute(select(Account).join(
        PeerHost, PeerHost.account_id == Account.id).where(
        PeerHost.network_id == network_id).order_by(Account.display_name))).scalars())


async def is_host(db: AsyncSession, network_id: uuid.UUID, account: Account) -> bool:
    found = await db.execute(select(PeerHost.id).where(
        PeerHost.network_id == network_id, PeerHost.account_id == account.id))
    return found.first() is not None


async def check_host(db: AsyncSession, network_id: uuid.UUID, account: Account) -> None:
    """Only the network's hosts may host its rooms, admit and remove."""
    if not await is_host(db, network_id, account):
        raise Forbidden("not_a_host", "only the network's peer supporters can host its rooms")


async def visible_networks(db: AsyncSession, account: Account) -> list[PeerNetwork]:
    """Every network for an admin; the ones they host for anyone else."""
    query = select(PeerNetwork).order_by(PeerNetwork.name)
    if not account.is_admin:
        query = query.join(PeerHost, PeerHost.network_id == PeerNetwork.id).where(
            PeerHost.account_id == account.id)
    return list((await db.execute(query)).scalars())


async def network_out(db: AsyncSession, network: PeerNetwork, account: Account, *,
                      now: datetime, hosted: set[uuid.UUID]) -> NetworkOut:
    hosts = await hosts_of(db, network.id)
    return NetworkOut(
        id=network.id, name=network.name, scope=network.scope, region=network.region,
        link=f"{LINK_PAGE}#{network.link_key}", ground_rules=network.ground_rules,
        ground_rules_version=network.ground_rules_version,
        rooms=[room_out(r, now, hosted=r.id in hosted) for r in await rooms_of(db, network.id)],
        hosts=[HostOut(account_id=a.id, display_name=a.display_name) for a in hosts],
        hosting=any(a.id == account.id for a in hosts),
    )


async def create_network(db: AsyncSession, body: NetworkIn, *, by: Account) -> PeerNetwork:
    network = PeerNetwork(name=body.name.strip(), scope=body.scope, region=body.region.strip(),
                          link_key=new_key())
    if body.ground_rules:
        network.ground_rules = body.ground_rules
    db.add(network)
    await db.flush()
    await record(db, actor=Actor.account(by.id), action=Action.network_create,
                 object_type="peer_network", object_id=network.id)
    return network


async def replace_link(db: AsyncSession, network: PeerNetwork, *, by: Account) -> None:
    """A new link: the old one stops working at once."""
    network.link_key = new_key()
    await record(db, actor=Actor.account(by.id), action=Action.network_link,
                 object_type="peer_network", object_id=network.id)


async def add_host(db: AsyncSession, network: PeerNetwork, account_id: uuid.UUID, *,
                   by: Account) -> None:
    account = await db.get(Account, account_id)
    if account is None or account.disabled_at is not None:
        raise NotFound("account_not_found", "no such active account")
    if await is_host(db, network.id, account):
        raise Conflict("already_host", "this account already hosts this network")
    db.add(PeerHost(network_id=network.id, account_id=account.id))
    try:
        await db.flush()
    except IntegrityError:
        raise Conflict("already_host", "this account already hosts this network") from None
    await record(db, actor=Actor.account(by.id), action=Action.peer_host_add,
                 object_type="peer_network", object_id=network.id)


async def remove_host(db: AsyncSession, network: PeerNetwork, account_id: uuid.UUID, *,
                      by: Account) -> None:
    host = (await db.execute(select(PeerHost).where(
        PeerHost.network_id == network.id, PeerHost.account_id == account_id))).scalar_one_or_none()
    if host is None:
        raise NotFound("host_not_found", "this account does not host this network")
    await db.delete(host)
    await record(db, actor=Actor.account(by.id), action=Action.peer_host_remove,
                 object_type="peer_network", object_id=network.id)


def schedule(body: RoomIn) -> DropInRoom:
    """A room (not yet added) with the times a request asks for, checked."""
    try:
        ZoneInfo(body.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("bad_timezone", "not a time zone") from None
    first = rules.first_start(body.start_date, body.start_time, body.timezone)
    monthly = body.frequency == "monthly"
    rule = rules.build(frequency=body.frequency, weekday_code=rules.WEEKDAYS[first.weekday()],
                       week_of_month=min((first.day - 1) // 7 + 1, 4) if monthly else None,
                       first=first, until=None, count=None)
    room = DropInRoom(id=uuid.uuid4(), name=body.name.strip(), rule=rule, first_start=first,
                      timezone=body.timezone, duration_minutes=body.duration_minutes)
    rules.check(recurrence(room))
    return room


async def add_room(db: AsyncSession, network: PeerNetwork, body: RoomIn) -> DropInRoom:
    room = schedule(body)
    room.network_id = network.id
    db.add(room)
    await db.flush()
    return room


async def delete_network(db: AsyncSession, network: PeerNetwork, *, by: Account) -> list[uuid.UUID]:
    """Delete a network, its hosts and rooms; the ids of its rooms (to close any open now)."""
    rooms = [r.id for r in await rooms_of(db, network.id)]
    await db.delete(network)
    await record(db, actor=Actor.account(by.id), action=Action.network_delete,
                 object_type="peer_network", object_id=network.id)
    return rooms


async def delete_room(db: AsyncSession, network: PeerNetwork, room_id: uuid.UUID) -> None:
    room = await get_room(db, room_id)
    if room.network_id != network.id:
        raise NotFound("room_not_found", "no such drop-in room in this network")
    await db.delete(room)


async def opened(db: AsyncSession, room: DropInRoom, *, by: Account) -> None:
    """The audit log's record that a host opened a sitting of the room (nothing of visitors)."""
    await record(db, actor=Actor.account(by.id), action=Action.drop_in_open,
                 object_type="drop_in_room", object_id=room.id)


async def closed(db: AsyncSession, room_id: uuid.UUID, *, by: Account | None) -> None:
    await record(db, actor=Actor.account(by.id) if by else Actor("system"),
                 action=Action.drop_in_close, object_type="drop_in_room", object_id=room_id)


def closed_by_itself(factory: async_sessionmaker[AsyncSession]
                     ) -> Callable[[uuid.UUID], Coroutine[Any, Any, None]]:
    """What ``Sittings`` calls when a room closes because its last person left: the audit
    log's record of it (by the system)."""

    async def record_closed(room_id: uuid.UUID) -> None:
        try:
            async for db in transaction(factory):
                if await db.get(DropInRoom, room_id) is not None:
                    await closed(db, room_id, by=None)
        except Exception:
            log.warning("could not record that a drop-in room closed")

    return record_closed
