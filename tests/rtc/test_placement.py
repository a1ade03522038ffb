"""rtc/placement.py (issue 16, step 3): workers' heartbeats and rooms placed on them, through
the local Redis (each test under its own key prefix); and the same cases against
rtc/localplacement.py (the embedded default's placement, heartbeats over a ``LocalBus``)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from rtc.bus import LocalBus, RedisBus
from rtc.localplacement import BusHeartbeat, LocalPlacement
from rtc.placement import RESERVE_FOR, Heartbeat, Load, Placement, expected_streams
from tests.conftest import redis_test_bus

ROOM = expected_streams(8)  # 112 streams: a room of eight, full


class OnRedis:
    def __init__(self, bus: RedisBus) -> None:
        self.redis, self.prefix = bus.redis, bus.prefix

    def worker(self, name: str, capacity: int, load: Load | None = None,
               expiry: float = 5.0) -> Heartbeat:
        now = load or Load(rooms=[], streams=0)
        return Heartbeat(self.redis, self.prefix, name, address=f"{name}:8101",
                         capacity=capacity, load=lambda: now, expiry=expiry)

    async def placement(self) -> Placement:
        await self.redis.delete(*[f"{self.prefix}rounds:reserved:{w}" for w in ("w1", "w2")])
        return Placement(self.redis, self.prefix)


class Heard(BusHeartbeat):
    """A heartbeat on the local bus, and the placement's task given the moment to hear it."""

    async def beat(self) -> None:
        await super().beat()
        await asyncio.sleep(0.01)


class OnLocalBus:
    def __init__(self) -> None:
        self.bus = LocalBus()
        self.placements: list[LocalPlacement] = []

    def worker(self, name: str, capacity: int, load: Load | None = None,
               expiry: float = 5.0) -> Heartbeat:
        now = load or Load(rooms=[], streams=0)
        return Heard(self.bus, name, address=f"unix:/{name}.sock", capacity=capacity,
                     load=lambda: now, expiry=expiry)

    async def placement(self) -> LocalPlacement:
        placement = LocalPlacement()
        await placement.start(self.bus)
        self.placements.append(placement)
        return placement


Side = OnRedis | OnLocalBus


@pytest.fixture(params=["redis", "local"])
async def side(request: pytest.FixtureRequest) -> AsyncIterator[Side]:
    if request.param == "redis":
        async with redis_test_bus() as bus:
            yield OnRedis(bus)
    else:
        local = OnLocalBus()
        yield local
        for placement in local.placements:
            await placement.close()


async def test_rooms_going_live_together_spread_over_the_workers(side: Side) -> None:
    """Ten rooms of eight placed at the same moment on two idle workers: the reservations
    count at once, so they split five and five rather than all going to the first idle one."""
    placement = await side.placement()
    for name in ("w1", "w2"):
        await side.worker(name, capacity=10 * ROOM).beat()
    placed = await asyncio.gather(*(placement.place(f"room-{i}", 8) for i in range(10)))
    assert sorted(placed) == ["w1"] * 5 + ["w2"] * 5  # type: ignore[type-var]
    assert await placement.place("room-3", 8) == placed[3]  # a room stays where it is


async def test_the_worker_with_most_headroom_and_not_draining(side: Side) -> None:
    placement = await side.placement()
    busy = side.worker("busy", capacity=1000, load=Load(rooms=["a", "b"], streams=800))
    idle = side.worker("idle", capacity=500)
    await busy.beat()
    await idle.beat()
    assert await placement.place("r1", 8) == "idle"
    idle.draining = True  # stopping: takes no new room, keeps r1
    await idle.beat()
    assert await placement.place("r2", 8) == "busy"
    assert await placement.place("r1", 8) == "idle"
    heartbeats = await placement.workers()
    assert heartbeats["busy"]["streams"] == "800" and heartbeats["idle"]["draining"] == "1"


async def test_of_two_alike_the_worker_with_fewer_rooms(side: Side) -> None:
    """A room whose people have not begun to send forwards nothing yet: two workers with the
    same headroom, one of them hosting it, and a new room goes to the other."""
    for name in ("w1", "w2"):  # whichever is listed first (Redis: its own order; here the
        placement = await side.placement()  # one hosting: the first to beat)
        hosting = Load(rooms=["live"], streams=0)
        for host in sorted(("w1", "w2"), key=lambda h: h != name):
            await side.worker(host, capacity=1000,
                              load=hosting if host == name else None).beat()
        assert await placement.place(f"new-{name}", 8) == ("w2" if name == "w1" else "w1")


async def test_no_room_anywhere_is_said_and_live_rooms_keep_theirs(side: Side) -> None:
    placement = await side.placement()
    await side.worker("w1", capacity=ROOM + 50, load=Load(rooms=["live"], streams=60)).beat()
    assert await placement.place("new", 8) is None  # 112 needed, 90 left
    assert await placement.place("small", 4) == "w1"  # 24 fits


async def test_a_reservation_ends_once_the_room_shows_in_the_heartbeat(side: Side) -> None:
    placement = await side.placement()
    load = Load(rooms=[], streams=0)
    w1 = side.worker("w1", capacity=ROOM + ROOM // 2, load=load)
    await w1.beat()
    assert await placement.place("r1", 8) == "w1"
    assert await placement.place("r2", 8) is None  # r1's reservation holds its place
    load.rooms, load.streams = ["r1"], 20  # r1 live, a few in it so far
    await w1.beat()
    now = time.time()
    assert await placement.place("r2", 8, now=now) == "w1"  # counted by what it forwards now
    assert await placement.place("r3", 8, now=now + 1) is None  # r2's place is held
    # a reservation whose room never came expires
    assert await placement.place("r3", 8, now=now + RESERVE_FOR + 1) == "w1"


async def test_a_dead_workers_room_is_placed_again(side: Side) -> None:
    placement = await side.placement()
    doomed = side.worker("doomed", capacity=10 * ROOM, expiry=0.3)
    await doomed.beat()
    assert await placement.place("r1", 8) == "doomed"
    await side.worker("spare", capacity=2 * ROOM).beat()
    assert await placement.place("r1", 8) == "doomed"  # alive: it stays
    await asyncio.sleep(0.5)  # no heartbeat: gone
    assert await placement.place("r1", 8) == "spare"
    assert set(await placement.workers()) == {"spare"}


async def test_a_heartbeat_outlives_redis_being_away() -> None:
    """redis-py's errors are not OSErrors: a heartbeat that cannot reach Redis beats on (a
    worker whose heartbeat stopped for good would count as dead while it hosts rooms)."""
    import redis.asyncio

    away = redis.asyncio.Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens there
    beat = Heartbeat(away, "test-away:", "w1", address="w1:8101", capacity=10,
                     load=lambda: Load(rooms=[], streams=0))
    running = asyncio.create_task(beat.run())
    try:
        await asyncio.sleep(2.5)  # two beats fail
        assert not running.done()
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await away.aclose()


async def test_the_local_placement_forgets_an_empty_room() -> None:
    """In the API's memory a room is kept on its worker while it is there (in the heartbeat)
    or reserved; once it is empty and its reservation has run out it is forgotten (so the
    memory stays bounded over months of sessions), and placed afresh if it is joined again."""
    local = OnLocalBus()
    placement = await local.placement()
    try:
        load = Load(rooms=[], streams=0)
        w1 = local.worker("w1", capacity=10 * ROOM, load=load)
        await w1.beat()
        now = time.time()
        assert await placement.place("r1", 8, now=now) == "w1"
        load.rooms = ["r1"]
        await w1.beat()
        assert await placement.place("r1", 8, now=now + RESERVE_FOR + 1) == "w1"
        assert "r1" in placement._placed
        load.rooms = []  # everyone left
        await w1.beat()
        await placement.place("other", 8, now=now + RESERVE_FOR + 2)
        assert "r1" not in placement._placed
    finally:
        await placement.close()
