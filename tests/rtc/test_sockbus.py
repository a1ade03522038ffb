"""rtc/sockbus.py: the embedded default's bus, a ``LocalBus`` served on a Unix socket to the
worker processes (tests/rtc/test_bus.py runs the rooms' commands and events over it; here what
is its own: order, what a subscription gets, bad lines, the broker going)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rtc.bus import LocalBus
from rtc.sockbus import BusBroker, SocketBus


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[BusBroker]:
    served = BusBroker(LocalBus(), tmp_path / "bus.sock")
    await served.start()
    yield served
    await served.close()


async def take(subscription: object, n: int) -> list[dict[str, object]]:
    got: list[dict[str, object]] = []

    async def read() -> None:
        async for message in subscription:  # type: ignore[attr-defined]
            got.append(message)
            if len(got) == n:
                return

    await asyncio.wait_for(read(), 5)
    return got


async def test_both_ways_in_order_from_the_moment_of_subscribing(broker: BusBroker) -> None:
    worker = SocketBus(broker.path)
    try:
        on_worker = await worker.subscribe("commands")
        for n in range(200):  # at once after subscribe returned: none lost, in order
            await broker.bus.publish("commands", {"n": n})
        assert [m["n"] for m in await take(on_worker, 200)] == list(range(200))

        in_api = await broker.bus.subscribe("events")
        big = {"text": "x" * (1 << 20)}  # the protocol's largest app event fits a line
        await worker.publish("events", {"n": 1})
        await worker.publish("events", big)
        assert await take(in_api, 2) == [{"n": 1}, big]
    finally:
        await worker.close()


async def test_a_bad_line_is_dropped_and_the_socket_carries_on(broker: BusBroker) -> None:
    in_api = await broker.bus.subscribe("events")
    reader, writer = await asyncio.open_unix_connection(str(broker.path))
    writer.write(b"not json\n" + b'{"op": "pub"}\n' + b'{"op": "pub", "channel": "events", '
                 b'"message": "not an object"}\n' + b"[1]\n")
    writer.write(json.dumps({"op": "pub", "channel": "events", "message": {"ok": 1}}).encode()
                 + b"\n")
    await writer.drain()
    assert await take(in_api, 1) == [{"ok": 1}]
    writer.close()


async def test_a_worker_hears_when_the_broker_goes(broker: BusBroker) -> None:
    lost = asyncio.Event()
    worker = SocketBus(broker.path, lost=lost.set)
    await worker.subscribe("commands")
    await broker.close()  # the API that started the worker is gone
    await asyncio.wait_for(lost.wait(), 5)
    with pytest.raises(ConnectionError):
        await worker.publish("events", {"n": 1})
    await worker.close()
