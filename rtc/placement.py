"""Which media worker hosts a room (issue 16, step 3 of docs/architecture.md's "Many media
workers"), through Redis.

- Each worker writes a ``Heartbeat`` every second: its capacity and what it forwards (streams:
  one subscriber's copy of one published stream), the rooms it hosts, and whether it is
  draining; it expires ``EXPIRY`` seconds after the last, so a dead worker drops out by itself.
- ``Placement.place`` puts a room on the live, non-draining worker with the most headroom
  (capacity, minus streams forwarded, minus reservations; of two alike, the one with fewer
  rooms: a room whose people have not begun to send yet forwards nothing), in one Lua script,
  atomically, and
  reserves the room's expected streams there at once: ten rooms going live in the same second
  spread over the workers instead of all seeing the same idle one (Scalelite's thundering
  herd under pure least-load). A reservation lasts until the room shows in that worker's
  heartbeat, or ``RESERVE_FOR``. A room stays on its worker while the worker lives; with no
  worker that has room for it, ``place`` returns None (and live rooms are never squeezed).

The script reads keys it builds from the prefix (standalone Redis, not Redis Cluster).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HEARTBEAT = 1.0
"""Seconds between a worker's heartbeats."""
EXPIRY = 5.0
"""Seconds after its last heartbeat a worker counts as gone."""
RESERVE_FOR = 30.0
"""Seconds a placed room's streams count against its worker before they show in heartbeats."""


logger = logging.getLogger(__name__)


def expected_streams(seats: int) -> int:
    """Streams a room forwards when every seat is taken: each of ``seats`` people gets everyone
    else's audio and video."""
    return 2 * seats * (seats - 1)


_PLACE = """
local prefix, room, expected = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now, reserve = tonumber(ARGV[4]), tonumber(ARGV[5])
local workers, placed = prefix .. 'rounds:workers', prefix .. 'rounds:room:' .. room
local current = redis.call('GET', placed)
if current and redis.call('EXISTS', prefix .. 'rounds:worker:' .. current) == 1 then
  return current
end
local best, most, fewest = false, -1, 0
for _, w in ipairs(redis.call('SMEMBERS', workers)) do
  local key = prefix .. 'rounds:worker:' .. w
  local h = redis.call('HMGET', key, 'capacity', 'streams', 'draining', 'rooms')
  if not h[1] then
    redis.call('SREM', workers, w)
  elseif h[3] ~= '1' then
    local reservations = prefix .. 'rounds:reserved:' .. w
    local held = redis.call('HGETALL', reservations)
    local reserved = 0
    for i = 1, #held, 2 do
      local n, untl = string.match(held[i + 1], '(%d+):(%d+)')
      if tonumber(untl) < now or redis.call('SISMEMBER', key .. ':rooms', held[i]) == 1 then
        redis.call('HDEL', reservations, held[i])
      else
        reserved = reserved + tonumber(n)
      end
    end
    local headroom = tonumber(h[1]) - tonumber(h[2]) - reserved
    local rooms = tonumber(h[4] or '0')
    if headroom > most or (headroom == most and rooms < fewest) then
      best, most, fewest = w, headroom, rooms
    end
  end
end
if not best or most < expected then return false end
redis.call('HSET', prefix .. 'rounds:reserved:' .. best, room, expected .. ':' .. (now + reserve))
redis.call('SET', placed, best)
return best
"""


@dataclass
class Load:
    """What a worker reports in its heartbeat."""

    rooms: list[str]
    streams: int


class Heartbeat:
    """A worker's heartbeat: ``run`` writes it every ``HEARTBEAT`` seconds until cancelled."""

    def __init__(self, redis: Any, prefix: str, worker: str, *, address: str, capacity: int,
                 load: Callable[[], Load], expiry: float = EXPIRY) -> None:
        self.redis, self.prefix, self.worker = redis, prefix, worker
        self.address, self.capacity, self.load, self.expiry = address, capacity, load, expiry
        self.draining = False
        """Set on SIGTERM: placement skips this worker; its live rooms stay."""
        self.boot = secrets.token_hex(8)
        """This run of the worker: one started again under the same id holds none of the
        connections the last one held."""

    async def beat(self) -> None:
        load = self.load()
        key = f"{self.prefix}rounds:worker:{self.worker}"
        ms = int(self.expiry * 1000)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"address": self.address, "capacity": self.capacity,
                                    "boot": self.boot, "at": f"{time.time():.3f}",
                                    "streams": load.streams, "rooms": len(load.rooms),
                                    "draining": int(self.draining)})
            pipe.pexpire(key, ms)
            pipe.delete(key + ":rooms")
            if load.rooms:
                pipe.sadd(key + ":rooms", *load.rooms)
                pipe.pexpire(key + ":rooms", ms)
            pipe.sadd(f"{self.prefix}rounds:workers", self.worker)
            await pipe.execute()

    async def run(self) -> None:
        """Beat until cancelled; a beat that fails (Redis away: redis-py's own errors are not
        OSErrors) is tried again at the next."""
        failing = False
        while True:
            try:
                await self.beat()
                failing = False
            except Exception as exc:  # noqa: BLE001 - whatever Redis raises, beat on
                if not failing:
                    logger.warning("the heartbeat cannot reach Redis (%s); trying every %.0f s",
                                   type(exc).__name__, HEARTBEAT)
                failing = True
            await asyncio.sleep(HEARTBEAT)

    async def stop(self) -> None:
        """Leave at once (a worker shutting down), rather than when the heartbeat expires."""
        key = f"{self.prefix}rounds:worker:{self.worker}"
        await self.redis.delete(key, key + ":rooms")


class Placement:
    """The API's side: where a room is, or goes."""

    def __init__(self, redis: Any, prefix: str = "") -> None:
        self.redis, self.prefix = redis, prefix
        self._place = redis.register_script(_PLACE)

    async def place(self, room: str, seats: int, *, now: float | None = None) -> str | None:
        """The worker that hosts ``room`` (placed now if it is not, or its worker is gone);
        None if no live worker has room for ``seats`` more people."""
        at = int((time.time() if now is None else now) * 1000)
        worker = await self._place(args=[self.prefix, room, expected_streams(seats), at,
                                         int(RESERVE_FOR * 1000)])
        return None if worker is None else _text(worker)

    async def live(self) -> dict[str, str]:
        """Each live worker's boot (which run of it this is), by id."""
        return {worker: beat.get("boot", "") for worker, beat in (await self.workers()).items()}

    async def workers(self) -> dict[str, dict[str, str]]:
        """The live workers' heartbeats, by id."""
        found: dict[str, dict[str, str]] = {}
        for worker in await self.redis.smembers(f"{self.prefix}rounds:workers"):
            beat = await self.redis.hgetall(f"{self.prefix}rounds:worker:{_text(worker)}")
            if beat:
                found[_text(worker)] = {_text(k): _text(v) for k, v in beat.items()}
        return found


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
