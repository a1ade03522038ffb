"""The entry point app/ mounts: ``RTCServer.handle`` is the WebSocket route at ``/rtc``.

Before a connection gets its task, ``handle`` counts what its client address already holds: more
than ``max_connections_per_address`` open sockets, or ``max_unjoined_per_address`` that have not
joined a room (not shown a valid join token), and the new one is closed at once with a
``too_many_connections`` error (close code 4005). A socket that has not joined within
``join_timeout`` is closed by its own task with ``timeout`` (4004), so unjoined places free
themselves. The address is the peer's, or ``X-Forwarded-For``'s when the peer is one of
``trusted_proxies`` or comes through a Unix socket (an embedded worker's: only the API that
started it can open it, and it relays the browsers' signalling).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from aiortc import RTCPeerConnection
from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from . import messages as m
from . import srtpwire
from .config import RTCConfig
from .connection import Connection
from .errors import RTCError, ServerClosing, TooManyConnections, close_code
from .facade import RoomControl
from .forwarder import verify_aiortc_internals
from .hub import Hub
from .overload import LoopWatch

logger = logging.getLogger(__name__)
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
TESTPAGE = Path(__file__).parent / "testpage"
STATIC = Path(__file__).resolve().parents[1] / "frontend" / "static"
"""Where the browser side of the protocol (protocol.js) lives; the test page imports it."""


class RTCServer:
    """Signalling and forwarding for every room; ``control`` is app/'s facade."""

    def __init__(self, config: RTCConfig) -> None:
        self.config = config
        self.hub = Hub(config)
        self.control = RoomControl(self.hub)
        self.loop_watch = LoopWatch(self.hub.overload)
        """Samples the sockets' backlog into ``hub.overload``: started with the first connection
        (the loop is running then) if ``config.shed_load``, stopped by ``close``."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._checked = False
        self._proxies = tuple(ipaddress.ip_network(p, strict=False) for p in config.trusted_proxies)
        self._by_address: dict[str, set[Connection]] = {}
        """The open connections of each client address."""

    async def handle(self, websocket: WebSocket) -> None:
        """Serve one WebSocket client (mount at ``/rtc``)."""
        if not self._checked:
            await check_aiortc()
            self._checked = True
            if self.config.native_wire and not srtpwire.AVAILABLE:
                logger.warning("rtc/_srtpwire.c is not built (no C compiler at install): "
                               "SRTP and sends go through pylibsrtp, at more CPU per packet")
            if self.config.shed_load:
                self.loop_watch.start()
        address = self.client_address(websocket)
        refusal = self._refusal(address)
        if refusal is not None:
            await _refuse(websocket, refusal)
            return
        connection = Connection(self.hub, websocket)
        held = self._by_address.setdefault(address, set())
        held.add(connection)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await connection.run()
        finally:
            self._tasks.discard(task)
            held.discard(connection)
            if not held:
                self._by_address.pop(address, None)

    def client_address(self, websocket: WebSocket) -> str:
        """The peer's address, or the nearest untrusted one in ``X-Forwarded-For`` when the
        peer is a trusted proxy."""
        hops = [
            hop.strip()
            for value in websocket.headers.getlist("x-forwarded-for")
            for hop in value.split(",")
            if hop.strip()
        ]
        if websocket.client is None:  # a Unix socket: only the process that started this
            return hops[-1] if hops else "unknown"  # worker reaches it, and names the client
        peer = websocket.client.host
        if not self._proxies or not _within(peer, self._proxies):
            return peer
        client = peer
        for hop in reversed(hops):
            client = hop
            if not _within(hop, self._proxies):
                break
        return client

    def _refusal(self, address: str) -> RTCError | None:
        """Why a new connection from ``address`` is refused, if it is."""
        held = self._by_address.get(address, set())
        most = self.config.max_connections_per_address
        if most is not None and len(held) >= most:
            return TooManyConnections(f"too many connections from this address (at most {most})")
        most = self.config.max_unjoined_per_address
        if most is not None and sum(c.stage is not m.Stage.JOINED for c in held) >= most:
            return TooManyConnections(
                f"too many connections from this address that have not joined (at most {most})"
            )
        return None

    async def close(self, error: RTCError | None = None) -> None:
        """Close every room and peer connection (app lifespan shutdown), telling everyone
        ``error`` (default: ``shutdown``)."""
        for room_id in list(self.hub.rooms):
            room = self.hub.rooms.pop(room_id)
            room.close(error or ServerClosing("the server is shutting down"))
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5.0)
        await self.loop_watch.stop()


def _within(address: str, networks: Sequence[_Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


async def _refuse(websocket: WebSocket, error: RTCError) -> None:
    """Accept, say why in an ``error`` message, and close (so the client sees code and why)."""
    with contextlib.suppress(Exception):
        await websocket.accept()
        await websocket.send_text(m.dump(m.Error(code=error.code, detail=error.detail)))
        await websocket.close(close_code(error), reason=error.code)


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
