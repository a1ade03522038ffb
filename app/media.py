"""The media server of the app's rooms: rtc/ configured from the app's settings, in this
process (``LocalMedia``), on media workers over Redis (``WorkerMedia``, when
``ROUNDS_MEDIA_BUS`` is set), or on workers this process starts itself (``EmbeddedMedia``,
app/workers.py: `rounds serve`'s default; docs/architecture.md, "Many media workers")."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.exceptions import RedisError
from starlette.websockets import WebSocket

from app.core.config import Settings, derived_key
from app.core.errors import Unavailable
from app.groups.models import MAX_GROUP_SIZE
from app.members.models import MAX_FACILITATORS
from app.ops.metrics import REGISTRY
from rtc.bus import Bus, BusRoomControl, RedisBus
from rtc.config import IceServer, RTCConfig
from rtc.facade import RoomControl
from rtc.localplacement import LocalPlacement
from rtc.placement import HEARTBEAT, Placement
from rtc.server import RTCServer

log = logging.getLogger(__name__)

ROOM_SEATS = MAX_GROUP_SIZE + MAX_FACILITATORS
"""A full group and all its facilitators fit in the room."""

WORKER_FIGURES = {
    figure: REGISTRY.gauge(f"rounds_placement_worker_{figure}", help, labels=("worker",))
    for figure, help in (
        ("rooms", "Rooms on each live media worker, from its heartbeat"),
        ("streams", "Streams each live media worker forwards, from its heartbeat"),
        ("capacity", "Streams each live media worker takes before placement skips it"),
        ("draining", "1 for a live media worker that is draining (takes no new room)"),
    )}
REFUSED = REGISTRY.counter(
    "rounds_placement_refused_total", "Rooms that could not be placed on a media worker, by "
    "reason (no_media_capacity, media_bus_unavailable)", labels=("reason",))


def rtc_config(settings: Settings) -> RTCConfig:
    """The SFU's configuration: the join-token key app/ signs with, and only configured STUN."""
    stun = tuple(u for u in settings.ice_servers if u.startswith("stun"))
    return RTCConfig(
        join_secret=derived_key(settings, "join-token"),
        ice_servers=(IceServer(urls=stun),) if stun else (),
        max_participants=ROOM_SEATS,
        token_lifetime=settings.join_token_seconds,
        ping_after=settings.rtc_ping_after,
        drop_after=max(settings.rtc_drop_after, settings.rtc_ping_after + 1.0),
        join_timeout=settings.rtc_join_timeout,
        max_connections_per_address=settings.rtc_connections_per_address,
        max_unjoined_per_address=settings.rtc_unjoined_per_address,
        trusted_proxies=tuple(settings.trusted_proxies),
        shed_load=settings.rtc_shed_load,
        native_wire=settings.rtc_native_wire,
    )


class LocalMedia:
    """The rooms in this process: ``handle`` is the `/rtc` WebSocket route."""

    def __init__(self, settings: Settings) -> None:
        self.server = RTCServer(rtc_config(settings))
        self.hub = self.server.hub
        self.control: RoomControl = self.server.control

    async def start(self) -> None:
        pass

    async def handle(self, websocket: WebSocket) -> None:
        await self.server.handle(websocket)

    async def where(self, room: str, seats: int = ROOM_SEATS) -> str | None:
        """The media worker of ``room``: none, it is here."""
        return None

    async def close(self) -> None:
        await self.server.close()


class WorkerMedia:
    """The rooms on media workers: commands and presence over a bus, and each room placed on
    the worker with most headroom when its first grant is asked for. The workers' heartbeats
    are watched: whoever was on a worker that died has lost their connection (the pages come
    back with a new grant, which places the room again). ``on_redis``: workers anywhere, over
    Redis; app/workers.py: the embedded default's own, over a Unix socket."""

    def __init__(self, bus: Bus, placement: Placement | LocalPlacement) -> None:
        self.bus = bus
        self.control: RoomControl = BusRoomControl(bus)
        self.placement = placement
        self._watching: asyncio.Task[None] | None = None
        self._last_beat: dict[str, float] = {}
        """Each worker's last heartbeat seen (Unix time): a dead one's people are gone since."""

    @classmethod
    def on_redis(cls, settings: Settings) -> WorkerMedia:
        assert settings.media_bus is not None
        bus = RedisBus(settings.media_bus, prefix=settings.media_bus_prefix)
        return cls(bus, Placement(bus.redis, settings.media_bus_prefix))

    @property
    def redis(self) -> Any:
        """The bus's Redis client (None on a bus without Redis)."""
        return self.bus.redis if isinstance(self.bus, RedisBus) else None

    async def start(self) -> None:
        assert isinstance(self.control, BusRoomControl)
        await self.control.start()
        self._watching = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        assert isinstance(self.control, BusRoomControl)
        while True:
            try:
                beats = await self.placement.workers()
                for figure, gauge in WORKER_FIGURES.items():
                    gauge.set_all({w: _number(b.get(figure)) for w, b in beats.items()})
                # Judged by the heartbeats seen before these: whoever was on a worker started
                # again under the same id is lost at the old run's last heartbeat, not the new's.
                self.control.workers_gone({w: b.get("boot", "") for w, b in beats.items()},
                                          self._last_beat)
                for worker, beat in beats.items():
                    with contextlib.suppress(KeyError, ValueError):
                        self._last_beat[worker] = float(beat["at"])
            except RedisError:  # Redis away: nobody's heartbeat can be read, so none is judged
                log.warning("the media workers' heartbeats cannot be read just now")
            await asyncio.sleep(HEARTBEAT)

    async def where(self, room: str, seats: int = ROOM_SEATS) -> str | None:
        """The media worker that hosts ``room`` (placed now if it is not yet)."""
        try:
            worker = await self.placement.place(room, seats)
        except RedisError:
            REFUSED.inc(reason="media_bus_unavailable")
            raise Unavailable("media_bus_unavailable", "the media servers cannot be reached "
                              "just now: try again in a moment") from None
        if worker is None:
            REFUSED.inc(reason="no_media_capacity")
            raise Unavailable("no_media_capacity", "no media server has room for this session "
                              "now: try again in a few minutes, or tell your IT team")
        return worker

    async def close(self) -> None:
        assert isinstance(self.control, BusRoomControl)
        if self._watching is not None:
            self._watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watching
        await self.control.close()
        if isinstance(self.bus, RedisBus):
            await self.bus.close()


def _number(text: str | None) -> float:
    """A heartbeat's figure (0 if a worker of another version left it out)."""
    try:
        return float(text or 0)
    except ValueError:
        return 0.0
