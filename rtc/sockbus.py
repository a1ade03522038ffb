"""The bus on one machine without Redis (issue 16: the embedded default's own media workers).

``BusBroker`` serves a ``LocalBus`` on a Unix socket: the process that holds it (the API of
`rounds serve`) uses the ``LocalBus`` itself, and each worker it starts connects with a
``SocketBus``, which is a ``Bus`` like the others. Over the socket, one JSON object per line:

- to the broker: ``{"op": "pub", "channel": c, "message": m}``; ``{"op": "sub", "channel": c,
  "sub": n}``, answered ``{"subscribed": n}`` once the subscription is made (so a ``subscribe``
  that has returned gets everything published after it, as ``Bus`` promises);
- from the broker: ``{"sub": n, "message": m}``.

The socket lives in a directory only its owner can open (the API makes it: ``0700``), so only
that user's processes can speak on the bus. Unlike Redis streams, nothing is kept for a reader
that was away: a worker whose bus closes has lost the API that started it, and stops
(``SocketBus.lost``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from .bus import LocalBus, _LocalSubscription

logger = logging.getLogger(__name__)

LIMIT = 8 << 20
"""Bytes one line may have (an app event is at most the protocol's 1 MiB)."""


class BusBroker:
    """``bus`` served on the Unix socket ``path`` (``start``, ``close``)."""

    def __init__(self, bus: LocalBus, path: Path) -> None:
        self.bus, self.path = bus, path
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.path),
                                                       limit=LIMIT)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._clients):
            task.cancel()
        if self._clients:
            await asyncio.wait(list(self._clients), timeout=2.0)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        pumps: list[asyncio.Task[None]] = []
        try:
            while line := await reader.readline():
                try:
                    request = json.loads(line)
                    op = request["op"]
                    channel = str(request["channel"])
                except (ValueError, KeyError, TypeError):
                    logger.warning("a malformed line on the bus socket")
                    continue
                if op == "pub" and isinstance(request.get("message"), dict):
                    await self.bus.publish(channel, request["message"])
                elif op == "sub":
                    subscription = await self.bus.subscribe(channel)
                    pumps.append(asyncio.create_task(
                        _pump(subscription, request.get("sub"), writer)))
                    _write(writer, {"subscribed": request.get("sub")})
                    await writer.drain()
        except (ConnectionError, ValueError):  # (a line over LIMIT: ValueError)
            pass
        finally:
            for pump in pumps:
                pump.cancel()
            writer.close()
            self._clients.discard(task)


async def _pump(subscription: _LocalSubscription, sub: Any, writer: asyncio.StreamWriter
                ) -> None:
    try:
        async for message in subscription:
            _write(writer, {"sub": sub, "message": message})
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        subscription.close()


def _write(writer: asyncio.StreamWriter, obj: dict[str, Any]) -> None:
    writer.write(json.dumps(obj).encode() + b"\n")


class SocketBus:
    """A ``Bus`` through a ``BusBroker``'s socket (connected at first use). ``lost`` is called
    once if the broker goes (the process that started this one is gone): it is not reached
    again."""

    def __init__(self, path: Path, lost: Callable[[], None] = lambda: None) -> None:
        self.path, self.lost = path, lost
        self._writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._queues: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._made: dict[int, asyncio.Future[None]] = {}

    async def _connected(self) -> asyncio.StreamWriter:
        if self._writer is None:
            reader, self._writer = await asyncio.open_unix_connection(str(self.path),
                                                                      limit=LIMIT)
            self._reading = asyncio.create_task(self._read(reader))
        if self._writer.is_closing():
            raise ConnectionError("the bus socket is closed")
        return self._writer

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while line := await reader.readline():
                message = json.loads(line)
                if not isinstance(message, dict):
                    continue
                if "subscribed" in message:
                    made = self._made.pop(message["subscribed"], None)
                    if made is not None and not made.done():
                        made.set_result(None)
                elif (queue := self._queues.get(message.get("sub", 0))) is not None:
                    queue.put_nowait(message["message"])
        except (ConnectionError, ValueError):
            pass
        logger.warning("the bus socket closed")
        if self._writer is not None:
            self._writer.close()
        self.lost()

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        writer = await self._connected()
        _write(writer, {"op": "pub", "channel": channel, "message": message})
        await writer.drain()

    async def subscribe(self, channel: str) -> _SocketSubscription:
        writer, sub = await self._connected(), next(self._ids)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._queues[sub] = queue
        made = self._made[sub] = asyncio.get_running_loop().create_future()
        _write(writer, {"op": "sub", "channel": channel, "sub": sub})
        await writer.drain()
        await asyncio.wait_for(made, 5.0)
        return _SocketSubscription(queue, lambda: self._queues.pop(sub, None))

    async def close(self) -> None:
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading
        if self._writer is not None:
            self._writer.close()


class _SocketSubscription:
    def __init__(self, queue: asyncio.Queue[dict[str, Any]], close: Callable[[], Any]) -> None:
        self._queue, self._close = queue, close

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield await self._queue.get()

    def close(self) -> None:
        self._close()
