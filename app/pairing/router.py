"""Near-peer pairing over REST: an admin creates a scheme, its lead matches people (by hand or
from the scheme's proposal), doctors volunteer or ask from the scheme's link, and each person
of a pair uses their own private link: their partner, the room, their next meeting, the end.

Private tokens travel in request bodies, except the calendar file's (a calendar program can only
fetch a URL), which no log or metric of Rounds records.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from icalendar import Calendar, Event

from app.accounts.deps import CurrentAccount, CurrentAdmin
from app.core.db import after_commit, utcnow
from app.core.deps import DbSession, SettingsDep
from app.core.errors import NotFound
from app.core.rooms import PAIR_ROOM
from app.core.throttle import ClientAddress, ThrottleDep
from app.pairing import service
from app.pairing.schemas import (
    Joined,
    JoinScheme,
    KeyIn,
    MeetingIn,
    MyPairing,
    PairIn,
    ProposalOut,
    SchemeDetail,
    SchemeIn,
    SchemeOut,
    SchemePublic,
    TokenIn,
)
from app.sessions.grants import grant, link_limit, media_worker
from app.sessions.schemas import JoinGrant
from rtc.facade import RoomControl

router = APIRouter(tags=["pairing"])


def _control(request: Request) -> RoomControl:
    control: RoomControl = request.app.state.media.control
    return control


# ---------------------------------------------------------------------- admins and leads

@router.get("/pairing-schemes", response_model=list[SchemeOut])
async def list_schemes(account: CurrentAccount, db: DbSession) -> object:
    """The schemes an admin runs or a lead leads: counts, never pairs."""
    return [await service.scheme_out(db, s) for s in await service.visible_schemes(db, account)]


@router.post("/pairing-schemes", response_model=SchemeOut, status_code=201)
async def create_scheme(body: SchemeIn, admin: CurrentAdmin, db: DbSession) -> object:
    scheme = await service.create_scheme(db, body, by=admin)
    return await service.scheme_out(db, scheme)


@router.delete("/pairing-schemes/{scheme_id}", status_code=204)
async def delete_scheme(scheme_id: uuid.UUID, request: Request, admin: CurrentAdmin,
                        db: DbSession) -> Response:
    """Delete the scheme, everyone in it and its pairs; their rooms close."""
    pairs = await service.delete_scheme(db, await service.get_scheme(db, scheme_id), by=admin)
    control = _control(request)

    def close_rooms() -> None:
        for pair_id in pairs:
            control.close_room(f"{PAIR_ROOM}{pair_id}")

    after_commit(db, close_rooms)
    return Response(status_code=204)


@router.get("/pairing-schemes/{scheme_id}", response_model=SchemeDetail)
async def get_scheme(scheme_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """The scheme for its lead: who waits to be matched, and counts of pairs."""
    return await service.detail(db, await service.led_scheme(db, scheme_id, account))


@router.get("/pairing-schemes/{scheme_id}/proposal", response_model=list[ProposalOut])
async def proposal(scheme_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """Matches proposed among those waiting (same specialty, same site as the scheme prefers;
    never within a department). Nothing is made until the lead pairs them."""
    return await service.proposal(db, await service.led_scheme(db, scheme_id, account))


@router.post("/pairing-schemes/{scheme_id}/pairs", status_code=204)
async def make_pair(scheme_id: uuid.UUID, body: PairIn, account: CurrentAccount,
                    db: DbSession) -> Response:
    """Pair a senior and a junior (by hand, or confirming a proposal). From then on the lead
    sees only that one more pair is active."""
    scheme = await service.led_scheme(db, scheme_id, account)
    await service.make_pair(db, scheme, body.senior_id, body.junior_id, by=account)
    return Response(status_code=204)


# ---------------------------------------------------------------------- doctors

@router.post("/pairing/scheme", response_model=SchemePublic)
async def scheme_by_link(body: KeyIn, db: DbSession, settings: SettingsDep,
                         throttle: ThrottleDep, address: ClientAddress) -> object:
    await throttle.hit(link_limit(settings), address)
    return SchemePublic(name=(await service.scheme_by_key(db, body.key)).name)


@router.post("/pairing/join", response_model=Joined, status_code=201)
async def join(body: JoinScheme, db: DbSession, settings: SettingsDep, throttle: ThrottleDep,
               address: ClientAddress) -> object:
    """Volunteer (a senior) or ask (a junior); the answer is a private link, shown once."""
    await throttle.hit(link_limit(settings), address)
    return Joined(token=await service.join(db, body))


@router.post("/pairing/me", response_model=MyPairing)
async def me(body: TokenIn, db: DbSession) -> object:
    """Your pairing: waiting, or your partner and your next meeting."""
    return await service.mine(db, await service.person_by_token(db, body.token))


@router.post("/pairing/room", response_model=JoinGrant)
async def room(body: TokenIn, db: DbSession, settings: SettingsDep, request: Request) -> object:
    """A join token for the pair's own room: the two of them, nobody else."""
    person = await service.person_by_token(db, body.token)
    pair = await service.paired(db, person)
    key = f"{PAIR_ROOM}{pair.id}"
    return grant(settings, room=key, participant=str(person.id), role="member",
                 name=person.name, worker=await media_worker(request, key, seats=2))


@router.post("/pairing/meeting", response_model=MyPairing)
async def meeting(body: MeetingIn, db: DbSession) -> object:
    """Set the pair's next meeting (either of them); both see it."""
    person = await service.person_by_token(db, body.token)
    await service.arrange(db, person, starts_at=body.starts_at, minutes=body.minutes)
    return await service.mine(db, person)


@router.post("/pairing/end", status_code=204)
async def end(body: TokenIn, request: Request, db: DbSession) -> Response:
    """End the pairing, privately (or, not yet matched, leave the scheme): everything of it
    goes; the other person's link then says only that it has ended."""
    person = await service.person_by_token(db, body.token)
    pair_id = await service.end(db, person)
    if pair_id is not None:
        control = _control(request)
        after_commit(db, lambda: control.close_room(f"{PAIR_ROOM}{pair_id}"))
    return Response(status_code=204)


@router.get("/pairing/calendar/{token}.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}})
async def calendar(token: str, db: DbSession, settings: SettingsDep) -> Response:
    """The pair's next meeting, for a calendar program: no names in it."""
    person = await service.person_by_token(db, token)
    pair = await service.paired(db, person)
    if pair.next_meeting_at is None:
        raise NotFound("no_meeting", "no meeting is arranged yet")
    cal = Calendar()
    cal.add("prodid", "-//Rounds//Rounds near-peer pair//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", f"pair-{pair.id}@rounds")
    event.add("dtstamp", utcnow())
    event.add("dtstart", pair.next_meeting_at)
    event.add("dtend", pair.next_meeting_at + timedelta(minutes=pair.next_meeting_minutes or 30))
    event.add("summary", "Near-peer meeting")
    event.add("description", "Open your pairing link in Rounds to meet. Nothing is recorded.")
    cal.add_component(event)
    return Response(cal.to_ical(), media_type="text/calendar",
                    headers={"cache-control": "no-store"})
