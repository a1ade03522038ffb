"""rtc/bus.py (issue 16, step 1): app/'s ``RoomControl`` over a bus to a worker's rooms, with
real clients on the real WebSocket; only JSON crosses the bus (``LocalBus`` encodes it). Each
case runs on the three buses: in one process, through a Unix socket (rtc/sockbus.py), on
Redis."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from rtc import bus as rtcbus
from rtc.bus import EVENTS, Bus, BusRoomControl, LocalBus, RedisBus, WorkerEnd, decode_event
from rtc.errors import AppRejected
from rtc.facade import AppMessage, ConnectionLost, Joined, Left, PresenceEvent
from rtc.sockbus import BusBroker, SocketBus
from tests.conftest import redis_test_bus

from .conftest import Live, eventually
from .test_signalling import Raw


@pytest.fixture(params=["local", "socket", "redis"])
async def bus(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Bus]:
    """The bus in one process, through a Unix socket (the embedded default's workers'), and
    on Redis."""
    if request.param == "local":
        yield LocalBus()
        return
    if request.param == "socket":
        broker = BusBroker(LocalBus(), tmp_path / "bus.sock")
        await broker.start()
        socket_bus = SocketBus(broker.path)
        yield socket_bus
        await socket_bus.close()
        await broker.close()
        return
    async with redis_test_bus() as redis:
        yield redis


@contextlib.asynccontextmanager
async def ends(live: Live, bus: Bus, *, api: bool = True) -> AsyncIterator[BusRoomControl]:
    worker = WorkerEnd(bus, live.server.control, "w1")
    control = BusRoomControl(bus)
    await worker.start()
    if api:
        await control.start()
    try:
        yield control
    finally:
        await control.close()
        await worker.close()


async def message_of(raw: Raw, kind: str) -> dict[str, Any]:
    while True:
        message = await raw.recv()
        if message["type"] == kind:
            return message


async def test_the_api_drives_a_workers_room_over_the_bus(live: Live, bus: Bus) -> None:
    async with ends(live, bus) as control:
        seen: list[PresenceEvent] = []
        control.add_listener(seen.append)
        a, b = await Raw.open(live), await Raw.open(live)
        await a.joined(live, "a")
        await b.joined(live, "b")
        await eventually(lambda: sorted(control.participants("room-1")) == ["a", "b"],
                         what="both members known to the API")
        joined = [e for e in seen if isinstance(e, Joined)]
        assert [(e.participant, e.role, e.name) for e in joined] == [
            ("a", "member", "Dr a"), ("b", "member", "Dr b")]
        assert control.rooms() == ["room-1"]

        assert control.send_event("room-1", {"kind": "state", "turn": 3}, "b") == 1
        event = await message_of(b, "event")
        assert event["kind"] == "state" and event["data"] == {"turn": 3}

        control.set_floor("room-1", "a")
        room = live.server.hub.rooms["room-1"]
        await eventually(lambda: room.floor == "a", what="the floor set on the worker")
        control.set_audio_forwarding("room-1", "b", False)
        await eventually(lambda: "b" in room.forced_mute, what="b muted on the worker")

        assert control.remove_participant("room-1", "b") is True
        assert await b.closed() == 4008
        await eventually(lambda: control.participants("room-1") == ["a"], what="b gone")
        assert any(isinstance(e, Left) and e.participant == "b" and e.reason == "removed"
                   for e in seen)
        again = await Raw.open(live)  # the revocation holds on the worker
        await again.call({"type": "hello", "version": 1})
        refused = await again.call({"type": "join", "token": live.token("b")})
        assert refused["type"] == "error" and refused["code"] == "removed"

        control.close_room("room-1")
        assert await a.closed() is not None
        await eventually(lambda: control.rooms() == [], what="the room gone")


async def test_an_api_that_starts_late_hears_who_is_in_the_rooms(live: Live, bus: Bus) -> None:
    """A new leader (or a restarted API) asks the workers to announce: everyone connected is
    `Joined` again, with their role and name, and nobody's connection changes."""
    async with ends(live, bus, api=False) as control:
        a, b = await Raw.open(live), await Raw.open(live)
        await a.joined(live, "a")
        await b.joined(live, "b")
        await control.start()  # the API arrives after them: it has heard nothing
        assert control.participants("room-1") == []
        seen: list[PresenceEvent] = []
        control.add_listener(seen.append)
        control.announce()
        await eventually(lambda: sorted(control.participants("room-1")) == ["a", "b"],
                         what="both members announced")
        assert sorted((e.participant, e.role, e.name) for e in seen
                      if isinstance(e, Joined)) == [("a", "member", "Dr a"),
                                                    ("b", "member", "Dr b")]
        assert sorted(live.server.hub.rooms["room-1"].members) == ["a", "b"]  # still in


async def test_app_messages_reach_the_api_and_its_refusals_the_client(live: Live,
                                                                     bus: Bus) -> None:
    async with ends(live, bus) as control:
        got: list[AppMessage] = []

        async def handle(message: AppMessage) -> None:
            if message.kind == "round.nope":
                raise AppRejected("not now")
            got.append(message)

        control.set_message_handler(handle)
        raw = await Raw.open(live)
        await raw.joined(live, "a")
        await raw.send({"type": "app", "kind": "round.pass", "data": {"n": 1}})
        await eventually(lambda: bool(got), what="the app message at the API")
        assert (got[0].room, got[0].participant, got[0].role, got[0].data) == (
            "room-1", "a", "member", {"n": 1})
        reply = await raw.call({"type": "app", "kind": "round.nope"})
        assert reply["type"] == "error" and reply["code"] == "app_rejected"
        assert reply["detail"] == "not now"
        assert (await raw.call({"type": "ping", "id": "1"}))["type"] == "pong"


async def test_an_app_message_nobody_answers_is_refused_in_time(
        live: Live, bus: Bus, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rtcbus, "APP_TIMEOUT", 0.3)
    async with ends(live, bus, api=False):
        raw = await Raw.open(live)
        await raw.joined(live, "a")
        reply = await raw.call({"type": "app", "kind": "round.pass"})
        assert reply["code"] == "app_rejected" and reply["detail"] == "the app did not answer"


async def test_malformed_bus_messages_are_dropped_and_the_ends_carry_on(live: Live,
                                                                       bus: Bus) -> None:
    async with ends(live, bus) as control:
        await bus.publish(rtcbus.COMMANDS, {"command": "explode"})
        await bus.publish(rtcbus.COMMANDS, {"command": "set_floor"})  # no room
        await bus.publish(EVENTS, {"type": "presence", "event": "Joined", "room": "r"})
        await bus.publish(EVENTS, {"type": "presence", "event": "Nonsense"})
        raw = await Raw.open(live)
        await raw.joined(live, "a")
        await eventually(lambda: control.participants("room-1") == ["a"], what="still working")
        control.set_floor("room-1", "a")
        await eventually(lambda: live.server.hub.rooms["room-1"].floor == "a",
                         what="commands still applied")
        await asyncio.sleep(0.05)
        assert control.rooms() == ["room-1"]  # the malformed Joined counted nobody


def test_a_presence_event_must_be_whole() -> None:
    with pytest.raises(ValueError, match="malformed Joined"):
        decode_event({"event": "Joined", "room": "r"})
    with pytest.raises(ValueError, match="not a presence event"):
        decode_event({"event": "Gone"})


@pytest.mark.parametrize("bus", ["redis"], indirect=True)
async def test_the_redis_bus_keeps_a_message_only_a_short_while(
        bus: Bus, monkeypatch: pytest.MonkeyPatch) -> None:
    """What participants send each other crosses the bus: Redis does not keep it (the local
    bus keeps nothing once delivered)."""
    assert isinstance(bus, RedisBus)
    monkeypatch.setattr(rtcbus, "RETAIN", 0.05)
    await bus.publish(EVENTS, {"type": "app", "data": {"text": "said in the group"}})
    await asyncio.sleep(0.1)
    await bus.publish(EVENTS, {"type": "app", "data": {}})
    entries = await bus.redis.xrange(bus.prefix + EVENTS)
    assert len(entries) == 1 and b"said in the group" not in entries[0][1][b"m"]


async def test_back_on_another_worker_before_the_first_was_seen_dead() -> None:
    """A worker dies; its people join the room's next worker before the heartbeats show the
    death. The API hears each lost (at the dead worker's last heartbeat) before they are back,
    so a turn stands still for the time they were away, and the floor is set on the new one."""
    bus = LocalBus()
    control = BusRoomControl(bus)
    await control.start()
    commands = await bus.subscribe(rtcbus.COMMANDS)
    seen: list[PresenceEvent] = []
    control.add_listener(seen.append)
    try:
        await bus.publish(EVENTS, {**rtcbus.encode_event(Joined("r", "a", "member", "Dr a")),
                                   "worker": "w1", "boot": "one"})
        await eventually(lambda: control.participants("r") == ["a"], what="a on w1")
        control.set_floor("r", "a")
        control.workers_gone({"w1": "one", "w2": "two"}, {"w1": 1000.0, "w2": 1001.0})
        await bus.publish(EVENTS, {**rtcbus.encode_event(Joined("r", "a", "member", "Dr a")),
                                   "worker": "w2", "boot": "two"})
        await eventually(lambda: len(seen) == 3, what="lost, then back")
        assert [type(e).__name__ for e in seen] == ["Joined", "ConnectionLost", "Joined"]
        assert seen[1] == ConnectionLost("r", "a", 1000.0)
        sent = [m async for m in _take(commands, 2)]
        assert [m["command"] for m in sent] == ["set_floor", "set_floor"]  # set, then again
        control.workers_gone({"w2": "two"}, {"w1": 1000.0, "w2": 1002.0})  # w1 seen dead now
        assert len(seen) == 3  # nobody is lost twice
    finally:
        commands.close()
        await control.close()


async def _take(subscription: Any, n: int) -> AsyncIterator[dict[str, Any]]:
    async with asyncio.timeout(5):
        async for message in subscription:
            yield message
            n -= 1
            if n == 0:
                return
