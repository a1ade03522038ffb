"""A media worker (issue 16, step 2): rtc/ alone in its own process, its rooms driven over the
bus (rtc/bus.py). Signalling on ``/rtc/{worker}`` (the path a proxy routes by) and ``/rtc``;
it admits only join tokens that name it, and never touches the database.

``rounds media`` (app/cli.py) builds the ``RTCConfig`` from the same settings as the API, for the
join-token key, and calls ``serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Callable

import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from .bus import Bus, RedisBus, WorkerEnd
from .config import RTCConfig
from .placement import Heartbeat, Load
from .server import RTCServer

logger = logging.getLogger(__name__)


def create_worker_asgi(config: RTCConfig, bus: Bus,
                       heartbeat: Callable[[RTCServer], Heartbeat] | None = None) -> Starlette:
    """The worker's app: signalling, its rooms on the bus, and its heartbeat (placement) from
    start-up to shutdown."""
    if config.worker is None:
        raise ValueError("a media worker needs an id (RTCConfig.worker)")
    server = RTCServer(config)
    end = WorkerEnd(bus, server.control, config.worker)
    beat = heartbeat(server) if heartbeat is not None else None

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await end.start()
        beating = asyncio.create_task(beat.run()) if beat is not None else None
        try:
            yield
        finally:
            if beating is not None and beat is not None:
                beating.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beating
                with contextlib.suppress(OSError, ConnectionError):
                    await beat.stop()
            await server.close()
            await end.close()

    app = Starlette(routes=[WebSocketRoute(f"/rtc/{config.worker}", server.handle),
                            WebSocketRoute("/rtc", server.handle)], lifespan=lifespan)
    app.state.rtc = server
    return app


def serve(config: RTCConfig, bus_url: str, *, host: str, port: int, prefix: str = "",
          address: str = "", capacity: int = 1000) -> None:
    """Run a worker until SIGTERM or SIGINT (its rooms close, as the API's do at shutdown),
    with its heartbeat: ``address`` (where the proxy reaches it) and ``capacity`` (streams it
    forwards at most: rtc/placement.py)."""
    bus = RedisBus(bus_url, prefix=prefix)
    worker = config.worker or ""

    def heartbeat(server: RTCServer) -> Heartbeat:
        def load() -> Load:
            return Load(rooms=list(server.hub.rooms), streams=server.hub.forwarder.streams())

        return Heartbeat(bus.redis, prefix, worker, address=address or f"{host}:{port}",
                         capacity=capacity, load=load)

    app = create_worker_asgi(config, bus, heartbeat)

    class Server(uvicorn.Server):
        """On SIGTERM everyone in a room hears `shutdown` (close 1001), as from the API's own
        rooms, before uvicorn closes what sockets are left (1012)."""

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            await app.state.rtc.close()
            await super().shutdown(sockets)

    logger.info("media worker on port %d", port)
    Server(uvicorn.Config(app, host=host, port=port, access_log=False, log_config=None,
                          ws_max_size=4 << 20, proxy_headers=True)).run()
