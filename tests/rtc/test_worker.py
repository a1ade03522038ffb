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

import pytest
import websockets

from app.core.config import Settings, derived_key
from rtc import jointoken
from rtc.bus import BusRoomControl, RedisBus
from rtc.errors import ServerClosing, close_code
from rtc.facade import Joined
from rtc.placement import Placement
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
async def worker_process(worker: str, prefix: str) -> AsyncIterator[tuple[Process, int]]:
    port = free_port()
    env = {**os.environ, "ROUNDS_SECRET_KEY": SECRET, "ROUNDS_RTC_SHED_LOAD": "false"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", "media", "--id", worker, "--bus", REDIS_URL,
        "--bus-prefix", prefix, "--host", "127.0.0.1", "--port", str(port), env=env)
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

            process.send_signal(signal.SIGTERM)  # its rooms close, as the API's do
            assert await a.closed(timeout=15) == close_code(ServerClosing("-"))
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
            process.kill()
            assert await a.closed(timeout=10) is not None
        async with worker_process("w2", redis_prefix) as (_, port):  # the bus still works
            b, reply = await joined(port, "/rtc/w2", token("b", "w2", room="room-2"))
            assert reply["type"] == "joined"
            await eventually(lambda: control.participants("room-2") == ["b"], what="b known")
    finally:
        await control.close()
        await bus.close()
