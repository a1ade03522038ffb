"""The embedded default's own media workers (issue 16): `rounds serve` runs the rooms in worker
processes it starts itself, one per core (``ROUNDS_MEDIA_WORKERS``), with no Redis.

- The bus is this process's ``LocalBus``, served to the workers on a Unix socket
  (rtc/sockbus.py); their heartbeats come over it to a ``LocalPlacement``
  (rtc/localplacement.py), which places rooms as the Redis one does. From there on it is
  ``WorkerMedia``, the same as with workers on other machines.
- Each worker is `rounds media --bus unix:… --uds …` and serves its signalling on a Unix socket
  beside the bus's, in a directory only this user can open. The pages cannot reach those, so
  the API relays `/rtc/{worker}` (the path a join grant names) to the worker, with the
  client's address (``relay``): one public port, as before.
- A worker that stops (killed, crashed) is started again under the same id (a new boot, so
  whoever was on it counts as lost, and their pages come back with a new grant). The workers
  stop with this process: at its shutdown they are told to (SIGINT: everyone hears
  `shutdown`), and if it dies they see the bus close and stop by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx
from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.asyncio.client import ClientConnection, unix_connect
from websockets.exceptions import ConnectionClosed

from app.core.config import Settings
from app.core.throttle import forwarded_client
from app.media import WorkerMedia
from rtc.bus import LocalBus
from rtc.localplacement import LocalPlacement
from rtc.sockbus import BusBroker

log = logging.getLogger(__name__)

READY_WITHIN = 30.0
"""Seconds start-up waits for every worker's first heartbeat."""
STOP_WITHIN = 10.0
"""Seconds a worker told to stop has before it is killed."""
REACH_WITHIN = 5.0
"""Seconds the relay tries to reach a worker (one started again is up in about two)."""
FRAME = 4 << 20
"""Bytes a relayed frame may have (the API's own WebSocket limit)."""
LOST = 1012
"""Close code a page hears when its worker vanished (WebSocket "service restart": it joins
again, with a new grant)."""


class EmbeddedMedia(WorkerMedia):
    """``count`` media workers started and watched over by this process."""

    def __init__(self, settings: Settings, count: int) -> None:
        bus = LocalBus()
        super().__init__(bus, LocalPlacement())
        self.settings, self.count = settings, count
        self.dir = Path(tempfile.mkdtemp(prefix="rounds-media-"))  # 0700: only this user
        self.broker = BusBroker(bus, self.dir / "bus.sock")
        self.workers = [f"local-{n}" for n in range(1, count + 1)]
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self._watching_over: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self) -> None:
        assert isinstance(self.placement, LocalPlacement)
        await self.broker.start()
        await self.placement.start(self.bus)
        self._watching_over = [asyncio.create_task(self._run(w)) for w in self.workers]
        deadline = time.monotonic() + READY_WITHIN
        while len(await self.placement.live()) < self.count:
            if time.monotonic() > deadline:
                log.warning("%d of %d media workers are up", len(await self.placement.live()),
                            self.count)
                break
            await asyncio.sleep(0.1)
        await super().start()

    def socket(self, worker: str) -> Path:
        return self.dir / f"{worker}.sock"

    async def _run(self, worker: str) -> None:
        """Run ``worker``, and start it again whenever it stops (at once the first time after
        a long run, then waiting longer each time it stops soon after starting)."""
        wait = 0.0
        while not self._stopping:
            started = time.monotonic()
            # In a session of its own: a terminal's Ctrl+C stops this process, which then
            # stops the workers in order (both at once, it would start them again)
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "app.cli", "media", "--id", worker,
                "--bus", f"unix:{self.broker.path}", "--uds", str(self.socket(worker)),
                start_new_session=True)
            self.processes[worker] = process
            code = await process.wait()
            if self._stopping:
                return
            wait = 0.0 if time.monotonic() - started > 60 else min(max(wait * 2, 0.5), 30.0)
            log.warning("media worker %s stopped (exit %s); starting it again in %.1f s",
                        worker, code, wait)
            await asyncio.sleep(wait)

    async def relay(self, websocket: WebSocket) -> None:
        """`/rtc/{worker}`: the page's signalling, passed to and from its worker's socket."""
        worker = websocket.path_params["worker"]
        if worker not in self.workers or not self.socket(worker).exists():
            await websocket.close(1013)  # refused at the handshake: the page asks again
            return
        client = forwarded_client(websocket.client.host if websocket.client else "unknown",
                                  websocket.headers.getlist("x-forwarded-for"),
                                  self.settings.trusted_proxies)
        deadline = time.monotonic() + REACH_WITHIN
        while True:  # (a worker being started again: the page waits here, not in a backoff)
            try:
                upstream = await unix_connect(
                    str(self.socket(worker)), f"ws://localhost/rtc/{worker}",
                    additional_headers={"X-Forwarded-For": client}, max_size=FRAME,
                    ping_interval=None, compression=None, open_timeout=REACH_WITHIN)
                break
            except (OSError, TimeoutError, ConnectionClosed, ValueError) as exc:
                if time.monotonic() > deadline or self._stopping:
                    log.warning("media worker %s cannot be reached (%s)", worker,
                                type(exc).__name__)
                    await websocket.close(1013)
                    return
                await asyncio.sleep(0.1)
        await websocket.accept()
        forth = asyncio.create_task(_to_worker(websocket, upstream))
        back = asyncio.create_task(_to_page(upstream, websocket))
        try:
            await asyncio.wait({forth, back}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            forth.cancel()
            await upstream.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait({forth, back}, timeout=5.0)

    async def metrics(self) -> dict[str, str]:
        """Each worker's own `/metrics` (its rooms, forwarding, shedding), by id: the app's
        `/metrics` adds them, as nothing else can reach the workers' sockets."""
        found: dict[str, str] = {}
        for worker in self.workers:
            transport = httpx.AsyncHTTPTransport(uds=str(self.socket(worker)))
            async with httpx.AsyncClient(transport=transport, timeout=2.0) as client:
                with contextlib.suppress(httpx.HTTPError):
                    found[worker] = (await client.get("http://localhost/metrics")).text
        return found

    async def close(self) -> None:
        self._stopping = True
        running = {w: p for w, p in self.processes.items() if p.returncode is None}
        for process in running.values():  # all at once: their rooms close together
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STOP_WITHIN
        for worker, process in running.items():
            try:
                await asyncio.wait_for(process.wait(), max(deadline - time.monotonic(), 0.1))
            except TimeoutError:
                log.warning("media worker %s did not stop: killed", worker)
                process.kill()
                await process.wait()
        for task in self._watching_over:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().close()
        assert isinstance(self.placement, LocalPlacement)
        await self.placement.close()
        await self.broker.close()
        shutil.rmtree(self.dir, ignore_errors=True)


async def _to_worker(websocket: WebSocket, upstream: ClientConnection) -> None:
    """What the page says, to the worker, until the page goes."""
    with contextlib.suppress(ConnectionClosed, WebSocketDisconnect):
        while (message := await websocket.receive())["type"] != "websocket.disconnect":
            text = message.get("text")
            await upstream.send(text if text is not None else message["bytes"])


async def _to_page(upstream: ClientConnection, websocket: WebSocket) -> None:
    """What the worker says, to the page; then its close (its code, or ``LOST`` if the worker
    went without one)."""
    try:
        async for message in upstream:
            if isinstance(message, str):
                await websocket.send_text(message)
            else:
                await websocket.send_bytes(message)
    except ConnectionClosed:
        pass
    code = upstream.close_code
    with contextlib.suppress(Exception):  # the page may be gone already
        if code is None or code in (1005, 1006):
            await websocket.close(LOST)
        else:
            await websocket.close(code, upstream.close_reason or "")
