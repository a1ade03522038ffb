"""A media worker in its own process (`rounds media`, issue 16 step 2), driven over Redis from
this process as the API would be: real processes, the real WebSocket, the real bus."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from asyncio.subprocess import Process
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from app.core.config import Settings, derived_key
from rtc import jointoken
from rtc.bus import COMMANDS, BusRoomControl, RedisBus
from rtc.errors import Moved, RoomClosed, close_code
from rtc.facade import ConnectionLost, Joined
from rtc.placement import EXPIRY, Placement
from tests.conftest import REDIS_URL
from tests.live import free_port

from .conftest import eventually
from .test_signalling import Raw

SECRET = "a-test-secret-for-the-media-worker-0123456789"


def token(participant: str, worker: str | None, room: str = "room-1") -> str:
    key = derived_key(Settings(secret_key=SECRET), "join-token")  # type: ignore[arg-type]
    return jointoken.issue(key, jointoken.JoinClaims(
        room=room, participant=participant, role="member", name=f"Dr {participant}",
        expires_at=int(time.time() + 300), worker=worker))


@contextlib.asynccontextmanager
async def worker_process(worker: str, prefix: str, *, drain: float = 60.0,
                         secret: str = SECRET) -> AsyncIterator[tuple[Process, int]]:
    port = free_port()
    env = {**os.environ, "ROUNDS_SECRET_KEY": secret, "ROUNDS_RTC_SHED_LOAD": "false"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", "media", "--id", worker, "--bus", REDIS_URL,
        "--bus-prefix", prefix, "--host", "127.0.0.1", "--port", str(port),
        "--drain", str(drain), env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                if process.returncode is not None or time.monotonic() > deadline:
                    raise AssertionError("the media worker did not start") from None
                await asyncio.sleep(0.1)
        yield process, port
    finally:
        if process.returncode is None:
            process.kill()
        await asyncio.wait_for(process.wait(), 10)


async def joined(port: str | int, path: str, tok: str) -> tuple[Raw, dict[str, Any]]:
    raw = Raw(await websockets.connect(f"ws://127.0.0.1:{port}{path}"))
    assert (await raw.call({"type": "hello", "version": 1}))["type"] == "hello"
    return raw, await raw.call({"type": "join", "token": tok})


@pytest.fixture
def redis_prefix(redis_bus: RedisBus) -> str:
    return redis_bus.prefix


async def draining(placement: Placement, worker: str) -> bool:
    return (await placement.workers()).get(worker, {}).get("draining") == "1"


async def eventually_async(check: Any, timeout: float = 10.0, what: str = "") -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.1)


async def test_a_worker_process_hosts_rooms_the_api_drives_over_redis(redis_prefix: str) -> None:
    bus = RedisBus(REDIS_URL, prefix=redis_prefix)
    control = BusRoomControl(bus)
    await control.start()
    try:
        async with worker_process("w1", redis_prefix) as (process, port):
            seen: list[Any] = []
            control.add_listener(seen.append)
            a, reply = await joined(port, "/rtc/w1", token("a", "w1"))
            assert reply["type"] == "joined", reply
            await eventually(lambda: control.participants("room-1") == ["a"],
                             what="a's join known to the API process")
            assert [e.name for e in seen if isinstance(e, Joined)] == ["Dr a"]
            assert control.send_event("room-1", {"kind": "state", "turn": 1}) == 1
            while (event := await a.recv())["type"] != "event":
                pass
            assert event["data"] == {"turn": 1}

            for tok in (token("b", "w2"), token("b", None)):  # another worker's, or the API's
                _, refused = await joined(port, "/rtc/w1", tok)
                assert refused["type"] == "error" and refused["code"] == "bad_token"
                assert "another media server" in refused["detail"]

            placement = Placement(bus.redis, redis_prefix)
            for _ in range(50):  # its heartbeat, for placement, once a second
                beat = (await placement.workers()).get("w1", {})
                if beat.get("rooms") == "1":
                    break
                await asyncio.sleep(0.1)
            assert (beat["address"], beat["rooms"], beat["capacity"]) == (
                f"127.0.0.1:{port}", "1", "1000")
            assert await placement.place("room-2", 8) == "w1"
            async with httpx.AsyncClient() as http:  # its own /metrics, for Prometheus
                scraped = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            assert 'rounds_media_worker{worker="w1"} 1' in scraped
            assert "rounds_participants 1" in scraped.splitlines()

            process.send_signal(signal.SIGTERM)  # it drains: no new room, its rooms go on
            await eventually_async(lambda: draining(placement, "w1"), what="w1 draining")
            assert await placement.place("room-3", 8) is None  # (no other worker)
            assert await placement.place("room-2", 8) == "w1"  # a placed room stays
            assert control.send_event("room-1", {"kind": "state", "turn": 2}) == 1
            while (event := await a.recv())["type"] != "event":
                pass
            assert event["data"] == {"turn": 2}  # a's room still runs
            control.close_room("room-1")  # its last room ends: the worker stops
            assert await a.closed(timeout=15) == close_code(RoomClosed("-"))
            status = await asyncio.wait_for(process.wait(), 15)
            assert status in (0, -signal.SIGTERM)  # (uvicorn raises the signal again)
            assert await placement.workers() == {}  # and it left placement at once
    finally:
        await control.close()
        await bus.close()


async def test_a_killed_worker_drops_its_clients_and_the_api_carries_on(
        redis_prefix: str) -> None:
    bus = RedisBus(REDIS_URL, prefix=redis_prefix)
    control = BusRoomControl(bus)
    await control.start()
    try:
        async with worker_process("w1", redis_prefix) as (process, port):
            a, _ = await joined(port, "/rtc/w1", token("a", "w1"))
            await eventually(lambda: control.participants("room-1") == ["a"], what="a known")
            placement = Placement(bus.redis, redis_prefix)
            boot = (await placement.live())["w1"]
            process.kill()
            killed = time.monotonic()
            assert await a.closed(timeout=10) is not None
            control.workers_gone({"w1": boot})  # (the API's watch, app/media.py): alive yet
            assert control.participants("room-1") == ["a"]
            seen: list[Any] = []
            control.add_listener(seen.append)
            while control.participants("room-1"):  # until its heartbeat expires
                assert time.monotonic() - killed < EXPIRY + 1
                control.workers_gone(await placement.live())
                await asyncio.sleep(0.1)
            assert [type(e) for e in seen] == [ConnectionLost]  # a may come back elsewhere
            print(f"\nthe API knew w1 gone {time.monotonic() - killed:.1f} s after kill -9")
        async with worker_process("w2", redis_prefix) as (_, port):  # the bus still works
            b, reply = await joined(port, "/rtc/w2", token("b", "w2", room="room-2"))
            assert reply["type"] == "joined"
            await eventually(lambda: control.participants("room-2") == ["b"], what="b known")
    finally:
        await control.close()
        await bus.close()


async def test_a_drained_worker_hands_its_room_over_when_the_time_is_up(
        redis_prefix: str) -> None:
    """SIGTERM with a room still live after the drain time: the API hears that its people's
    connections were lost, they are told `moved`, the room is placed on the other worker, and
    its floor is set there again when they join it."""
    bus = RedisBus(REDIS_URL, prefix=redis_prefix)
    control = BusRoomControl(bus)
    await control.start()
    placement = Placement(bus.redis, redis_prefix)
    commands = await bus.subscribe(COMMANDS)
    floors: list[dict[str, Any]] = []

    async def read_commands() -> None:
        async for message in commands:
            if message.get("command") == "set_floor":
                floors.append(message)

    reading = asyncio.create_task(read_commands())
    try:
        async with worker_process("w1", redis_prefix, drain=2) as (p1, port1), \
                worker_process("w2", redis_prefix, drain=2) as (p2, port2):
            await eventually_async(lambda: live(placement, {"w1", "w2"}), what="heartbeats")
            first = await placement.place("room-1", 4)
            assert first in ("w1", "w2")
            other = "w2" if first == "w1" else "w1"
            process, port = {"w1": (p1, port1), "w2": (p2, port2)}[first]
            seen: list[Any] = []
            control.add_listener(seen.append)
            a, reply = await joined(port, f"/rtc/{first}", token("a", first))
            assert reply["type"] == "joined"
            await eventually(lambda: control.participants("room-1") == ["a"], what="a known")
            control.set_floor("room-1", "a")

            process.send_signal(signal.SIGTERM)
            told = time.monotonic()
            assert await a.closed(timeout=10) == close_code(Moved("-"))
            print(f"\nhanded over {time.monotonic() - told:.1f} s after SIGTERM (drain 2 s)")
            assert isinstance(seen[-1], ConnectionLost) and seen[-1].participant == "a"
            assert control.participants("room-1") == []
            assert await asyncio.wait_for(process.wait(), 15) in (0, -signal.SIGTERM)
            assert await placement.place("room-1", 4) == other  # the room's next worker

            floors.clear()
            port = {"w1": port1, "w2": port2}[other]
            _, reply = await joined(port, f"/rtc/{other}", token("a", other))
            assert reply["type"] == "joined"
            await eventually(lambda: control.participants("room-1") == ["a"],
                             what="a back, on the other worker")
            await eventually(lambda: bool(floors), what="the floor set again")
            assert floors == [{"command": "set_floor", "room": "room-1", "participant": "a"}]
    finally:
        reading.cancel()
        commands.close()
        await control.close()
        await bus.close()


async def live(placement: Placement, workers: set[str]) -> bool:
    return set(await placement.live()) == workers
