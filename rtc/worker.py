"""A media worker (issue 16, steps 2 and 5): rtc/ alone in its own process, its rooms driven
over the bus (rtc/bus.py). Signalling on ``/rtc/{worker}`` (the path a proxy routes by) and
``/rtc``; it admits only join tokens that name it, and never touches the database.

On SIGTERM it drains: its heartbeat says so (placement puts no new room on it), its live rooms
go on until they end or ``drain`` seconds pass, and then it hands over what is left: it leaves
placement, the API hears that everyone's connection was lost, and everyone is told ``moved``
(4010), so the pages join again at once with a new grant, which places the room on another
worker. A second SIGTERM hands over at once; SIGINT stops at once (``shutdown``, 1001).

``rounds media`` (app/cli.py) builds the ``RTCConfig`` from the same settings as the API, for the
join-token key, and calls ``serve``. With a ``unix:`` bus (the embedded default's own workers,
started by `rounds serve`: app/workers.py) the bus is that process's socket (rtc/sockbus.py),
the heartbeat goes over it (rtc/localplacement.py), signalling is served on a Unix socket
beside it, and the worker stops when the bus closes (the process that started it is gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from types import FrameType

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute, WebSocketRoute

from .bus import Bus, RedisBus, WorkerEnd
from .config import RTCConfig
from .errors import Moved
from .localplacement import BusHeartbeat
from .placement import Heartbeat, Load
from .server import RTCServer
from .sockbus import SocketBus

logger = logging.getLogger(__name__)
SHUTDOWN_WITHIN = 5
"""Seconds a stopping worker waits for connections to close before it cancels them."""


class Worker:
    """A worker's rooms and its ends: the signalling server, the bus, the heartbeat."""

    def __init__(self, config: RTCConfig, bus: Bus,
                 heartbeat: Callable[[RTCServer], Heartbeat] | None = None) -> None:
        if config.worker is None:
            raise ValueError("a media worker needs an id (RTCConfig.worker)")
        self.server = RTCServer(config)
        self.beat = heartbeat(self.server) if heartbeat is not None else None
        self.end = WorkerEnd(bus, self.server.control, config.worker,
                             boot=self.beat.boot if self.beat is not None else "")
        self._beating: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.end.start()
        if self.beat is not None:
            self._beating = asyncio.create_task(self.beat.run())

    async def drain(self, seconds: float, hurry: Callable[[], bool] = lambda: False) -> None:
        """Take no new room; when the last room ends, or after ``seconds`` (or once ``hurry()``
        says so), hand over what is left."""
        logger.info("draining: %d rooms, handed over in %.0f s at most",
                    len(self.server.hub.rooms), seconds)
        if self.beat is not None:
            self.beat.draining = True
            with contextlib.suppress(Exception):  # Redis away: the next beat says it
                await self.beat.beat()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while self.server.hub.rooms and not hurry():  # noqa: ASYNC110 - a signal sets it
                    await asyncio.sleep(0.2)
        await self.hand_over()

    async def hand_over(self) -> None:
        """Leave placement, tell the API everyone's connection is lost, then tell everyone
        their room has moved (they join its next worker with a new grant)."""
        if self.server.hub.rooms:
            logger.info("handing over %d rooms", len(self.server.hub.rooms))
        await self._stop_beating()
        self.end.lose_everyone()
        await self.end.flush()
        await self.server.close(Moved("this room moves to another media server"))

    async def _stop_beating(self) -> None:
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
            self._beating = None
        if self.beat is not None:
            with contextlib.suppress(Exception):  # Redis away: it leaves by expiry
                await self.beat.stop()

    async def close(self) -> None:
        await self._stop_beating()
        await self.server.close()
        await self.end.flush()
        await self.end.close()


def create_worker_asgi(config: RTCConfig, bus: Bus,
                       heartbeat: Callable[[RTCServer], Heartbeat] | None = None,
                       routes: Callable[[RTCServer], Sequence[BaseRoute]] = lambda _: ()
                       ) -> Starlette:
    """The worker's app: signalling, its rooms on the bus, and its heartbeat (placement) from
    start-up to shutdown (``app.state.worker``); ``routes``: more routes for its server (the
    app's `/metrics`)."""
    worker = Worker(config, bus, heartbeat)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await worker.start()
        try:
            yield
        finally:
            await worker.close()

    app = Starlette(routes=[WebSocketRoute(f"/rtc/{config.worker}", worker.server.handle),
                            WebSocketRoute("/rtc", worker.server.handle),
                            *routes(worker.server)], lifespan=lifespan)
    app.state.rtc = worker.server
    app.state.worker = worker
    return app


def serve(config: RTCConfig, bus_url: str, *, host: str = "", port: int = 0,
          uds: str | None = None, prefix: str = "", address: str = "", capacity: int = 1000,
          drain: float = 3600.0,
          routes: Callable[[RTCServer], Sequence[BaseRoute]] = lambda _: ()) -> None:
    """Run a worker until SIGTERM (it drains: ``drain`` seconds at most) or SIGINT (its rooms
    close at once, as the API's do at shutdown), with its heartbeat: ``address`` (where the
    proxy reaches it) and ``capacity`` (streams it forwards at most: rtc/placement.py).
    ``bus_url``: redis://host:port/db, or unix:/path of a ``BusBroker``'s socket (then it
    serves on the Unix socket ``uds`` and stops when the bus closes)."""
    worker = config.worker or ""
    where = address or (f"unix:{uds}" if uds else f"{host}:{port}")
    bus: RedisBus | SocketBus
    if bus_url.startswith("unix:"):
        bus = SocketBus(Path(bus_url.removeprefix("unix:")), lost=lambda: server.lost())
    else:
        bus = RedisBus(bus_url, prefix=prefix)

    def heartbeat(rtc: RTCServer) -> Heartbeat:
        def load() -> Load:
            return Load(rooms=list(rtc.hub.rooms), streams=rtc.hub.forwarder.streams())

        if isinstance(bus, SocketBus):
            return BusHeartbeat(bus, worker, address=where, capacity=capacity, load=load)
        return Heartbeat(bus.redis, prefix, worker, address=where, capacity=capacity, load=load)

    app = create_worker_asgi(config, bus, heartbeat, routes)

    class Server(uvicorn.Server):
        """SIGTERM drains (the worker goes on serving meanwhile: a participant whose network
        drops may come back to its room); a second one hurries the drain. At shutdown anyone
        still in a room hears `shutdown` (close 1001), as from the API's own rooms, before
        uvicorn closes what sockets are left (1012)."""

        draining: asyncio.Task[None] | None = None
        asked = hurried = False

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if sig != signal.SIGTERM or self.should_exit:
                super().handle_exit(sig, frame)
            elif self.asked:
                self.hurried = True
            else:
                self._captured_signals.append(sig)  # raised again at exit, as uvicorn does
                self.asked = True  # the drain starts at the next tick, on the loop

        async def on_tick(self, counter: int) -> bool:
            if self.asked and self.draining is None:
                self.draining = asyncio.create_task(self._drain())
            return await super().on_tick(counter)

        async def _drain(self) -> None:
            await app.state.worker.drain(drain, lambda: self.hurried)
            self.should_exit = True

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            await app.state.rtc.close()
            await super().shutdown(sockets)

        def lost(self) -> None:
            """The bus is gone, and with it whoever drives the rooms: stop."""
            logger.warning("stopping: the bus closed")
            self.should_exit = True

    logger.info("media worker on %s", where)
    # After the hand-over nothing is left to wait for: a connection that lingers (a page
    # coming back to the old worker in the moment before it stops listening) must not keep
    # the process alive (seen once in CI: a drained worker still running 15 s later).
    server = Server(uvicorn.Config(app, host=host, port=port, uds=uds, access_log=False,
                                   log_config=None, ws_max_size=4 << 20, proxy_headers=True,
                                   timeout_graceful_shutdown=SHUTDOWN_WITHIN))
    with contextlib.suppress(KeyboardInterrupt):  # (SIGINT, raised again at exit: as uvicorn.run)
        server.run()
