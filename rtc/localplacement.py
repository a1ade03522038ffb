"""Placement on one machine without Redis (issue 16: the embedded default's own workers).

The same rules as rtc/placement.py, kept in the memory of the process that starts the workers:
each worker's ``BusHeartbeat`` goes over the bus (``HEARTBEATS``) instead of into Redis, and
``LocalPlacement`` hears them and places rooms as ``Placement``'s script does (the live,
non-draining worker with most headroom, reservations against the thundering herd, a room
staying on its worker while it lives; here also a room a worker already hosts, as after this
process started again). tests/rtc/test_placement.py runs the same cases against both.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from .bus import Bus
from .placement import EXPIRY, RESERVE_FOR, Heartbeat, expected_streams

HEARTBEATS = "rounds:heartbeats"
"""Every worker's heartbeats, on the bus."""


class BusHeartbeat(Heartbeat):
    """A worker's heartbeat, published on the bus."""

    def __init__(self, bus: Bus, worker: str, **kwargs: Any) -> None:
        super().__init__(None, "", worker, **kwargs)
        self.bus = bus

    async def beat(self) -> None:
        load = self.load()
        await self.bus.publish(HEARTBEATS, {
            "worker": self.worker, "address": self.address, "capacity": self.capacity,
            "boot": self.boot, "at": time.time(), "streams": load.streams,
            "rooms": sorted(load.rooms), "draining": self.draining, "expiry": self.expiry})

    async def stop(self) -> None:
        await self.bus.publish(HEARTBEATS, {"worker": self.worker, "gone": True})


class LocalPlacement:
    """``Placement``'s methods, from the heartbeats on a bus (``start``)."""

    def __init__(self) -> None:
        self._beats: dict[str, tuple[float, dict[str, Any]]] = {}
        """worker -> (when its last heartbeat came, monotonic; the heartbeat)"""
        self._placed: dict[str, str] = {}
        """room -> its worker"""
        self._reserved: dict[str, dict[str, tuple[int, float]]] = {}
        """worker -> room -> (streams, until when: Unix time)"""
        self._hearing: asyncio.Task[None] | None = None

    async def start(self, bus: Bus) -> None:
        subscription = await bus.subscribe(HEARTBEATS)

        async def hear() -> None:
            try:
                async for beat in subscription:
                    self.heard(beat)
            finally:
                subscription.close()

        self._hearing = asyncio.create_task(hear())

    async def close(self) -> None:
        if self._hearing is not None:
            self._hearing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._hearing

    def heard(self, beat: dict[str, Any]) -> None:
        worker = beat.get("worker")
        if not isinstance(worker, str):
            return
        if beat.get("gone"):
            self._beats.pop(worker, None)
        elif all(isinstance(beat.get(k), int | float)
                 for k in ("capacity", "streams", "at", "expiry")) \
                and isinstance(beat.get("rooms"), list):
            self._beats[worker] = (time.monotonic(), beat)

    def _live(self) -> dict[str, dict[str, Any]]:
        now = time.monotonic()  # a heartbeat counts as long as its worker says (Redis: pexpire)
        for worker in [w for w, (at, beat) in self._beats.items()
                       if at + float(beat.get("expiry", EXPIRY)) < now]:
            del self._beats[worker]
        return {worker: beat for worker, (_, beat) in self._beats.items()}

    async def place(self, room: str, seats: int, *, now: float | None = None) -> str | None:
        now = time.time() if now is None else now
        live = self._live()
        self._forget_empty(live, now)
        current = self._placed.get(room)
        if current not in live:  # (or this process started again, and its workers hold it)
            current = next((w for w, beat in live.items() if room in beat["rooms"]), None)
        if current is not None:
            self._placed[room] = current
            return current
        expected = expected_streams(seats)
        best, most, fewest = None, -1, 0
        for worker, beat in live.items():
            if beat.get("draining"):
                continue
            held = self._reserved.setdefault(worker, {})
            for reserved in [r for r, (_, until) in held.items()
                             if until < now or r in beat.get("rooms", ())]:
                del held[reserved]
            headroom = (int(beat.get("capacity", 0)) - int(beat.get("streams", 0))
                        - sum(n for n, _ in held.values()))
            rooms = len(beat.get("rooms", ()))
            if headroom > most or (headroom == most and rooms < fewest):
                best, most, fewest = worker, headroom, rooms
        if best is None or most < expected:
            return None
        self._reserved[best][room] = (expected, now + RESERVE_FOR)
        self._placed[room] = best
        return best

    def _forget_empty(self, live: dict[str, dict[str, Any]], now: float) -> None:
        """A room is on its worker while the worker lives and the room is in its heartbeat or
        reserved there; an empty room is placed afresh (and this memory stays bounded)."""
        for worker in [w for w in self._reserved if w not in live]:
            del self._reserved[worker]
        for room, worker in list(self._placed.items()):
            until = self._reserved.get(worker, {}).get(room, (0, 0.0))[1]
            if worker not in live or (room not in live[worker]["rooms"] and until < now):
                del self._placed[room]

    async def live(self) -> dict[str, str]:
        return {worker: str(beat.get("boot", "")) for worker, beat in self._live().items()}

    async def workers(self) -> dict[str, dict[str, str]]:
        """The live workers' heartbeats as Redis holds them (text, ``rooms`` a count)."""
        return {worker: {"address": str(beat.get("address", "")),
                         "capacity": str(beat.get("capacity", 0)),
                         "boot": str(beat.get("boot", "")), "at": f"{beat.get('at', 0):.3f}",
                         "streams": str(beat.get("streams", 0)),
                         "rooms": str(len(beat.get("rooms", ()))),
                         "draining": str(int(bool(beat.get("draining"))))}
                for worker, beat in self._live().items()}
