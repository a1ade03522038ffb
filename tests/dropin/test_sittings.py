"""Drop-in sittings without a server: the real rtc/ hub's admission, a clock passed in, and
the times a room is open (its RRULE in its zone)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest

from app.core.errors import Conflict, Forbidden, Gone, Invalid, NotFound, TooManyRequests
from app.core.rooms import is_drop_in_room
from app.dropin import service
from app.dropin.schemas import RoomIn
from app.dropin.sittings import MAX_WAITING, WAIT_SILENCE, Sittings
from rtc.config import RTCConfig
from rtc.facade import Left, RoomControl
from rtc.hub import Hub
from rtc.jointoken import JoinClaims


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _world() -> tuple[Sittings, Hub, Clock]:
    hub = Hub(RTCConfig(join_secret=b"k" * 32, token_lifetime=120))
    clock = Clock()
    return Sittings(RoomControl(hub), clock=clock), hub, clock


def _claims(room: str, participant: str) -> JoinClaims:
    return JoinClaims(room=room, participant=participant, role="member", name="x",
                      expires_at=int(time.time()) + 60)


def test_a_visit_waits_is_admitted_and_a_removed_one_is_refused_for_good() -> None:
    sittings, hub, _ = _world()
    room = uuid.uuid4()
    ada, bob = sittings.knock(room, "Ada"), sittings.knock(room, "Bob")
    sitting = sittings.get(room)
    assert sitting is not None and is_drop_in_room(sitting.key)
    assert ada.id != bob.id and ada.ticket != bob.ticket
    assert [w["name"] for w in sittings.lobby(room)["waiting"]] == ["Ada", "Bob"]  # type: ignore[index]

    with sittings.feed.listen(sitting.key, participant=ada.id, leads=False) as heard:
        sittings.admit(room, ada.id)
        assert heard.queue.get_nowait() == ("admitted", {})
    with pytest.raises(Conflict):
        sittings.admit(room, ada.id)  # only someone waiting can be let in
    assert sittings.visit(ada.ticket)[1].state == "admitted"

    sittings.remove(room, bob.id)
    assert hub.admission.refusal(_claims(sitting.key, bob.id), time.time()) is not None
    assert hub.admission.refusal(_claims(sitting.key, ada.id), time.time()) is None
    with pytest.raises(Forbidden):
        sittings.visit(bob.ticket)
    assert [w["name"] for w in sittings.lobby(room)["waiting"]] == []  # type: ignore[index]
    with pytest.raises(Gone):
        sittings.admit(room, bob.id)


def test_closing_forgets_everything_and_closes_the_room_for_good() -> None:
    sittings, hub, _ = _world()
    room = uuid.uuid4()
    ada = sittings.knock(room, "Ada")
    key = sittings.sitting(room).key
    assert sittings.close(room)
    assert sittings.get(room) is None and not sittings.close(room)
    with pytest.raises(NotFound):
        sittings.visit(ada.ticket)
    assert hub.admission.refusal(_claims(key, ada.id), time.time()) is not None
    again = sittings.sitting(room)  # the next opening is another room
    assert again.key != key


def test_a_waiting_visitor_whose_page_went_away_is_forgotten() -> None:
    sittings, _, clock = _world()
    room = uuid.uuid4()
    ada, bob = sittings.knock(room, "Ada"), sittings.knock(room, "Bob")
    clock.now += WAIT_SILENCE / 2
    sittings.seen(bob)
    clock.now += WAIT_SILENCE / 2 + 1
    assert [w["name"] for w in sittings.lobby(room)["waiting"]] == ["Bob"]  # type: ignore[index]
    with pytest.raises(NotFound):
        sittings.visit(ada.ticket)
    sittings.leave(bob.ticket)
    assert sittings.lobby(room)["waiting"] == []


def test_too_many_waiting_is_refused() -> None:
    sittings, _, _ = _world()
    room = uuid.uuid4()
    for n in range(MAX_WAITING):
        sittings.knock(room, f"Visitor {n}")
    with pytest.raises(TooManyRequests):
        sittings.knock(room, "One more")


async def test_a_sitting_closes_by_itself_when_the_last_person_leaves() -> None:
    closed: list[uuid.UUID] = []

    async def record(room_id: uuid.UUID) -> None:
        closed.append(room_id)

    hub = Hub(RTCConfig(join_secret=b"k" * 32))
    sittings = Sittings(RoomControl(hub), on_closed=record)
    sittings.start()
    room = uuid.uuid4()
    ada = sittings.knock(room, "Ada")
    sittings.admit(room, ada.id)
    key = sittings.sitting(room).key
    hub.listeners[-1](Left(key, ada.id, "left"))
    assert sittings.get(room) is None
    for _ in range(3):
        await asyncio.sleep(0)
    assert closed == [room]
    sittings.stop()


def test_a_room_is_open_from_a_little_before_its_start_to_its_end_across_the_clock_change() -> None:
    # Tuesdays at 12:30 London time, from 20 October 2026 (BST); the clocks go back on 25 October
    room = service.schedule(RoomIn(name="Lunch", start_date=date(2026, 10, 20),
                                   start_time=clock_time(12, 30), timezone="Europe/London"))
    first = datetime.combine(date(2026, 10, 20), clock_time(12, 30), ZoneInfo("Europe/London"))
    assert first.astimezone(UTC).hour == 11
    current, nxt = service.openings(room, first - service.EARLY - timedelta(seconds=1))
    assert current is None and nxt is not None and nxt.starts_at == first
    current, _ = service.openings(room, first - service.EARLY)
    assert current is not None and current.starts_at == first
    current, nxt = service.openings(room, first + timedelta(minutes=59))
    assert current is not None and nxt is not None
    assert nxt.starts_at.astimezone(UTC) == datetime(2026, 10, 27, 12, 30, tzinfo=UTC)  # GMT
    current, nxt = service.openings(room, first + timedelta(minutes=60))
    assert current is None and nxt is not None
    assert service.room_out(room, first, hosted=False).open_now


def test_a_monthly_room_and_a_bad_zone() -> None:
    room = service.schedule(RoomIn(name="Evening", frequency="monthly",
                                   start_date=date(2027, 1, 12), start_time=clock_time(19, 0),
                                   timezone="Europe/London"))
    assert room.rule == "FREQ=MONTHLY;BYDAY=2TU"
    with pytest.raises(Invalid):
        service.schedule(RoomIn(name="x", start_date=date(2027, 1, 12),
                                start_time=clock_time(19, 0), timezone="Mars/Olympus"))
