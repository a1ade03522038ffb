"""Peer networks over REST: admins set them up, hosts open rooms and let people in, anyone with
a network's link drops in (a name, the ground rules, then waiting to be let in).

A visitor's key (the link) and ticket travel in request bodies or, for the event stream that
a browser cannot post, in the path, which no log or metric of Rounds records.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from app.accounts.deps import CurrentAccount, CurrentAdmin
from app.accounts.models import Account
from app.core.db import after_commit, utcnow
from app.core.deps import DbSession, SettingsDep
from app.core.errors import Conflict, Forbidden
from app.core.throttle import ClientAddress, ThrottleDep
from app.dropin import service
from app.dropin.models import DropInRoom, PeerNetwork
from app.dropin.schemas import (
    HostIn,
    KeyIn,
    Knocked,
    KnockIn,
    Lobby,
    NetworkIn,
    NetworkOut,
    NetworkPublic,
    RoomIn,
    RoomOut,
    TicketIn,
)
from app.dropin.sittings import Sittings
from app.facilitation.feed import frame
from app.sessions.grants import grant, link_limit, media_worker
from app.sessions.schemas import JoinGrant, Waiting

router = APIRouter(tags=["drop-in"])
KEEPALIVE = 15.0
STREAM_LIFETIME = 600.0


def _sittings(request: Request) -> Sittings:
    sittings: Sittings = request.app.state.dropin
    return sittings


SittingsDep = Annotated[Sittings, Depends(_sittings)]


def _hosted(sittings: Sittings) -> set[uuid.UUID]:
    return {r for r in sittings.open_rooms() if (s := sittings.get(r)) and s.hosts}


async def _managed(db: DbSession, network_id: uuid.UUID, account: Account) -> PeerNetwork:
    """A network its viewer may see: an admin, or one of its hosts."""
    network = await service.get_network(db, network_id)
    if not account.is_admin:
        await service.check_host(db, network.id, account)
    return network


def _stream(sittings: Sittings, key: str, first: list[tuple[str, dict[str, object]]], *,
            participant: str | None, leads: bool, beat: object = None) -> StreamingResponse:
    sittings.feed.check_room(key)

    async def events() -> AsyncIterator[str]:
        with sittings.feed.listen(key, participant=participant, leads=leads) as listener:
            for kind, data in first:
                yield frame(kind, data)
            until = asyncio.get_running_loop().time() + STREAM_LIFETIME
            while asyncio.get_running_loop().time() < until:
                if callable(beat):
                    beat()
                try:
                    kind, data = await asyncio.wait_for(listener.queue.get(), KEEPALIVE)
                except TimeoutError:
                    yield ": still here\n\n"
                    continue
                yield frame(kind, data)
                if kind in ("closed", "refused"):
                    return

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"cache-control": "no-store"})


# ---------------------------------------------------------------------- admins and hosts

@router.get("/peer-networks", response_model=list[NetworkOut])
async def list_networks(account: CurrentAccount, db: DbSession, sittings: SittingsDep) -> object:
    """The networks an admin runs, or a host hosts for."""
    now, hosted = utcnow(), _hosted(sittings)
    return [await service.network_out(db, n, account, now=now, hosted=hosted)
            for n in await service.visible_networks(db, account)]


@router.post("/peer-networks", response_model=NetworkOut, status_code=201)
async def create_network(body: NetworkIn, admin: CurrentAdmin, db: DbSession) -> object:
    network = await service.create_network(db, body, by=admin)
    return await service.network_out(db, network, admin, now=utcnow(), hosted=set())


@router.get("/peer-networks/{network_id}", response_model=NetworkOut)
async def get_network(network_id: uuid.UUID, account: CurrentAccount, db: DbSession,
                      sittings: SittingsDep) -> object:
    network = await _managed(db, network_id, account)
    return await service.network_out(db, network, account, now=utcnow(),
                                     hosted=_hosted(sittings))


@router.post("/peer-networks/{network_id}/link", response_model=NetworkOut)
async def replace_link(network_id: uuid.UUID, admin: CurrentAdmin, db: DbSession,
                       sittings: SittingsDep) -> object:
    """A new link for the network; the old one stops working."""
    network = await service.get_network(db, network_id)
    await service.replace_link(db, network, by=admin)
    return await service.network_out(db, network, admin, now=utcnow(), hosted=_hosted(sittings))


@router.delete("/peer-networks/{network_id}", status_code=204)
async def delete_network(network_id: uuid.UUID, admin: CurrentAdmin, db: DbSession,
                         sittings: SittingsDep) -> Response:
    """Delete the network with its rooms and hosts; any room open now closes."""
    network = await service.get_network(db, network_id)
    rooms = await service.delete_network(db, network, by=admin)

    def close_rooms() -> None:
        for room_id in rooms:
            sittings.close(room_id)

    after_commit(db, close_rooms)
    return Response(status_code=204)


@router.delete("/peer-networks/{network_id}/rooms/{room_id}", status_code=204)
async def delete_room(network_id: uuid.UUID, room_id: uuid.UUID, admin: CurrentAdmin,
                      db: DbSession, sittings: SittingsDep) -> Response:
    """Delete a room and its times; if it is open now, it closes."""
    network = await service.get_network(db, network_id)
    await service.delete_room(db, network, room_id)
    after_commit(db, lambda: sittings.close(room_id))
    return Response(status_code=204)


@router.post("/peer-networks/{network_id}/hosts", status_code=204)
async def add_host(network_id: uuid.UUID, body: HostIn, admin: CurrentAdmin,
                   db: DbSession) -> Response:
    """Mark an account as a trained peer supporter who hosts the network's rooms."""
    network = await service.get_network(db, network_id)
    await service.add_host(db, network, body.account_id, by=admin)
    return Response(status_code=204)


@router.delete("/peer-networks/{network_id}/hosts/{account_id}", status_code=204)
async def remove_host(network_id: uuid.UUID, account_id: uuid.UUID, admin: CurrentAdmin,
                      db: DbSession) -> Response:
    network = await service.get_network(db, network_id)
    await service.remove_host(db, network, account_id, by=admin)
    return Response(status_code=204)


@router.post("/peer-networks/{network_id}/rooms", response_model=RoomOut, status_code=201)
async def add_room(network_id: uuid.UUID, body: RoomIn, admin: CurrentAdmin,
                   db: DbSession) -> object:
    """A drop-in room and when it opens (weekly, fortnightly or monthly, from a first date)."""
    network = await service.get_network(db, network_id)
    room = await service.add_room(db, network, body)
    return service.room_out(room, utcnow(), hosted=False)


def _check_open(room: DropInRoom, sittings: Sittings) -> None:
    """A room is open during its openings, and after one for as long as a host is still in it
    (a conversation is never cut off by the clock)."""
    sitting = sittings.get(room.id)
    if service.openings(room, utcnow())[0] is None and not (sitting and sitting.hosts):
        raise Conflict("room_not_open", "this room is not open at the moment")


async def _hosting(db: DbSession, room_id: uuid.UUID, account: Account) -> DropInRoom:
    room = await service.get_room(db, room_id)
    await service.check_host(db, room.network_id, account)
    return room


@router.post("/drop-in-rooms/{room_id}/host", response_model=JoinGrant)
async def host_room(room_id: uuid.UUID, account: CurrentAccount, db: DbSession,
                    settings: SettingsDep, sittings: SittingsDep, request: Request) -> object:
    """A host enters the room (opening it, while its time has come) and gets a join token."""
    room = await _hosting(db, room_id, account)
    _check_open(room, sittings)
    sitting = sittings.sitting(room.id)
    if not sitting.opened_by_host:
        sitting.opened_by_host = True
        await service.opened(db, room, by=account)
    return grant(settings, room=sitting.key, participant=str(account.id), role="facilitator",
                 name=account.display_name, worker=await media_worker(request, sitting.key))


@router.get("/drop-in-rooms/{room_id}/lobby", response_model=Lobby)
async def lobby(room_id: uuid.UUID, account: CurrentAccount, db: DbSession,
                sittings: SittingsDep) -> object:
    """Who waits and who is in (the room's hosts only)."""
    room = await _hosting(db, room_id, account)
    return sittings.lobby(room.id)


@router.get("/drop-in-rooms/{room_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def host_events(room_id: uuid.UUID, account: CurrentAccount, db: DbSession,
                      sittings: SittingsDep) -> StreamingResponse:
    """The lobby as it changes (`lobby`), for the room's hosts; `closed` when it closes."""
    room = await _hosting(db, room_id, account)
    sitting = sittings.get(room.id)
    if sitting is None:
        raise Conflict("room_not_open", "this room is not open at the moment")
    return _stream(sittings, sitting.key, [("lobby", sittings.lobby(room.id))],
                   participant=None, leads=True)


@router.post("/drop-in-rooms/{room_id}/visits/{visit_id}/admit", response_model=Lobby)
async def admit(room_id: uuid.UUID, visit_id: uuid.UUID, account: CurrentAccount,
                db: DbSession, sittings: SittingsDep) -> object:
    room = await _hosting(db, room_id, account)
    sittings.admit(room.id, str(visit_id))
    return sittings.lobby(room.id)


@router.post("/drop-in-rooms/{room_id}/visits/{visit_id}/remove", response_model=Lobby)
async def remove(room_id: uuid.UUID, visit_id: uuid.UUID, account: CurrentAccount,
                 db: DbSession, sittings: SittingsDep) -> object:
    """Ask someone to leave: they are disconnected and cannot come back with the same token."""
    room = await _hosting(db, room_id, account)
    sittings.remove(room.id, str(visit_id))
    return sittings.lobby(room.id)


@router.post("/drop-in-rooms/{room_id}/close", status_code=204)
async def close(room_id: uuid.UUID, account: CurrentAccount, db: DbSession,
                sittings: SittingsDep) -> Response:
    """Close the room: everyone leaves and nothing of this sitting is kept."""
    room = await _hosting(db, room_id, account)
    if sittings.close(room.id):
        await service.closed(db, room.id, by=account)
    return Response(status_code=204)


# ---------------------------------------------------------------------- anyone with the link

@router.post("/drop-in/network", response_model=NetworkPublic)
async def network_by_link(body: KeyIn, db: DbSession, sittings: SittingsDep,
                          settings: SettingsDep, throttle: ThrottleDep,
                          address: ClientAddress) -> object:
    """The network a link opens: its name, ground rules and rooms (throttled per address, as
    invite links are)."""
    await throttle.hit(link_limit(settings), address)
    network = await service.by_key(db, body.key)
    now, hosted = utcnow(), _hosted(sittings)
    return NetworkPublic(
        name=network.name, ground_rules=network.ground_rules,
        ground_rules_version=network.ground_rules_version,
        rooms=[service.room_out(r, now, hosted=r.id in hosted)
               for r in await service.rooms_of(db, network.id)])


@router.post("/drop-in/rooms/{room_id}/knock", response_model=Knocked, status_code=202)
async def knock(room_id: uuid.UUID, body: KnockIn, db: DbSession, sittings: SittingsDep,
                settings: SettingsDep, throttle: ThrottleDep, address: ClientAddress) -> object:
    """Ask to come in, under any name, having agreed to the ground rules: wait to be let in."""
    await throttle.hit(link_limit(settings), address)
    network = await service.by_key(db, body.key)
    room = await service.get_room(db, room_id)
    if room.network_id != network.id:
        raise Forbidden("not_this_network", "this room belongs to another network")
    if body.ground_rules_version != network.ground_rules_version:
        raise Conflict("ground_rules_changed",
                       "the ground rules have changed: read and acknowledge the current version")
    _check_open(room, sittings)
    name = " ".join(body.name.split())
    if not name:
        raise Conflict("name_required", "give a name the others will see")
    visit = sittings.knock(room.id, name)
    return Knocked(ticket=visit.ticket, participant_id=uuid.UUID(visit.id))


@router.get("/drop-in/visits/{ticket}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def visit_events(ticket: str, sittings: SittingsDep) -> StreamingResponse:
    """A waiting visitor's stream: `waiting` (or `admitted`) at once, then `admitted`,
    `refused` (`{"code": "removed"}`) or `closed`. While it is open the visitor counts as still
    waiting; a page that stops listening is forgotten after a minute."""
    sitting, visit = sittings.visit(ticket)
    first: list[tuple[str, dict[str, object]]] = [("waiting", {})]
    if visit.state == "admitted":
        first = [("admitted", {})]
    return _stream(sittings, sitting.key, first, participant=visit.id, leads=False,
                   beat=lambda: sittings.seen(visit))


@router.post("/drop-in/visits/join", response_model=JoinGrant,
             responses={202: {"model": Waiting, "description": "waiting to be let in"}})
async def visit_join(body: TicketIn, settings: SettingsDep, sittings: SittingsDep,
                     request: Request) -> object:
    """The join token, once a host has let this visitor in; 202 while they wait."""
    sitting, visit = sittings.visit(body.ticket)
    if visit.state != "admitted":
        sittings.seen(visit)
        waiting = Waiting(detail="waiting for a host to let you in", session_status="open")
        return JSONResponse(waiting.model_dump(), status_code=202)
    return grant(settings, room=sitting.key, participant=visit.id, role="member", name=visit.name,
                 worker=await media_worker(request, sitting.key))


@router.post("/drop-in/visits/leave", status_code=204)
async def visit_leave(body: TicketIn, sittings: SittingsDep) -> Response:
    """Stop waiting (or give up the place): the visit is forgotten."""
    sittings.leave(body.ticket)
    return Response(status_code=204)
