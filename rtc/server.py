"""The entry point app/ mounts: ``RTCServer.handle`` is the WebSocket route at ``/rtc``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiortc import RTCPeerConnection
from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from .config import RTCConfig
from .connection import Connection
from .errors import ServerClosing
from .facade import RoomControl
from .forwarder import verify_aiortc_internals
from .hub import Hub

logger = logging.getLogger(__name__)
TESTPAGE = Path(__file__).parent / "testpage"
STATIC = Path(__file__).resolve().parents[1] / "frontend" / "static"
"""Where the browser side of the protocol (protocol.js) lives; the test page imports it."""


class RTCServer:
    """Signalling and forwarding for every room; ``control`` is app/'s facade."""

    def __init__(self, config: RTCConfig) -> None:
        self.config = config
        self.hub = Hub(config)
        self.control = RoomControl(self.hub)
        self._tasks: set[asyncio.Task[None]] = set()
        self._checked = False

    async def handle(self, websocket: WebSocket) -> None:
        """Serve one WebSocket client (mount at ``/rtc``)."""
        if not self._checked:
            await check_aiortc()
            self._checked = True
        connection = Connection(self.hub, websocket)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await connection.run()
        finally:
            self._tasks.discard(task)

    async def close(self) -> None:
        """Close every room and peer connection (app lifespan shutdown)."""
        for room_id in list(self.hub.rooms):
            room = self.hub.rooms.pop(room_id)
            room.close(ServerClosing("the server is shutting down"))
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5.0)


async def check_aiortc() -> None:
    """Fail loudly if the aiortc internals the forwarder uses have moved."""
    pc = RTCPeerConnection(configuration=RTCConfig(join_secret=b"-").rtc_configuration())
    try:
        verify_aiortc_internals(pc.addTransceiver("video"))
    finally:
        await pc.close()


def create_asgi(config: RTCConfig, *, serve_testpage: bool = True) -> Starlette:
    """A standalone app for tests and the benchmark: ``/rtc`` plus the test page."""
    server = RTCServer(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await server.close()

    routes: list[WebSocketRoute | Mount] = [WebSocketRoute("/rtc", server.handle)]
    if serve_testpage:
        routes.append(Mount("/testpage", StaticFiles(directory=TESTPAGE, html=True)))
        routes.append(Mount("/static", StaticFiles(directory=STATIC)))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.rtc = server
    return app
