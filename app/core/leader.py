"""Which API replica leads (docs/architecture.md, "Several API replicas").

With media workers on Redis (``ROUNDS_MEDIA_BUS``) any number of API replicas may run, each
with the address the others reach it on (``ROUNDS_REPLICA_URL``). One of
them leads: it holds a lease in Redis, ``rounds:api:leader`` (its own address, with a
``LEASE``-second expiry renewed every ``RENEW`` seconds), and only the leader runs what lives in
memory: the facilitation runtime with every live session's task, the drop-in rooms, the
scheduler, the outbox and the reminders. The others serve what needs only the database and pass
the rest to the leader (``app.core.forward``). When the leader stops it lets the lease go and
another replica takes it within ``TRY`` seconds; when it dies the lease expires first.

A leader that cannot renew its lease for ``LOST_AFTER`` seconds may have been replaced: it
must stop at once, before the other writes over it (``on_lost``; the app exits the process).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from app.core.config import Settings, derived_key

log = logging.getLogger(__name__)

KEY = "rounds:api:leader"
REPLICA_HEADER = "x-rounds-replica"
"""Carries the replicas' shared key on a request one passes to another."""
LEASE = 10.0
"""Seconds the lease lasts unless renewed: how long a dead leader's sessions wait."""
RENEW = 3.0
"""Seconds between renewals."""
TRY = 1.0
"""Seconds between a follower's tries to take the lease."""
LOST_AFTER = LEASE - 2 * RENEW
"""Seconds without a renewal after which a leader counts itself replaced (before the lease
could have expired and been taken): the lease less two renewals."""

_TAKE = """
local held = redis.call('get', KEYS[1])
if held and held ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2])
return 1
"""
"""Take the lease if nobody holds it, or renew it if we do (the same replica started again
within the lease takes it back at once)."""
_LET_GO = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def replica_key(settings: Settings) -> str:
    """The key the replicas share to show a request was passed on by one of them."""
    return derived_key(settings, "api-replica").hex()


def from_replica(headers: list[tuple[bytes, bytes]], key: str) -> bool:
    """True if a request was passed on by another replica (it carries their shared key)."""
    for name, value in headers:
        if name == REPLICA_HEADER.encode():
            return hmac.compare_digest(value, key.encode())
    return False


class Leadership:
    """This replica's part in the lease: ``url`` is the address the other replicas reach it
    on (``Settings.replica_url``)."""

    def __init__(self, redis: Any, prefix: str, url: str, *, lease: float = LEASE,
                 renew: float = RENEW, clock: Callable[[], float] = time.monotonic) -> None:
        self.redis, self.key, self.url = redis, prefix + KEY, url
        self.lease, self.renew, self.clock = lease, renew, clock
        self.leading = False
        """True once this replica holds the lease and has started what the leader runs."""
        self._take = redis.register_script(_TAKE)
        self._let_go = redis.register_script(_LET_GO)

    async def take(self) -> bool:
        """Take (or renew) the lease; False if another replica holds it."""
        return bool(await self._take(keys=[self.key], args=[self.url, int(self.lease * 1000)]))

    async def leader(self) -> str | None:
        """The leader's address now (None while nobody holds the lease)."""
        held = await self.redis.get(self.key)
        return held.decode() if isinstance(held, bytes) else held

    async def run(self, lead: Callable[[], Awaitable[None]], on_lost: Callable[[], None]) -> None:
        """Follow until the lease can be taken, then ``lead`` and keep renewing it; call
        ``on_lost`` (and return) if it cannot be renewed in time."""
        while not self.leading:
            try:
                taken = await self.take()
            except Exception as exc:  # noqa: BLE001 - Redis away: a follower just waits
                log.warning("the leader's lease cannot be read (%s)", type(exc).__name__)
                taken = False
            if taken:
                try:
                    await lead()
                except Exception:
                    log.exception("this replica could not start leading")
                    on_lost()  # (what it started is half done: it must not go on)
                    return
                self.leading = True
                log.info("this replica leads")
                break
            await asyncio.sleep(TRY)
        renewed = self.clock()
        while True:
            await asyncio.sleep(self.renew)
            try:
                if not await self.take():
                    break
                renewed = self.clock()
            except Exception as exc:  # noqa: BLE001 - try again until LOST_AFTER
                log.warning("the leader's lease could not be renewed (%s)", type(exc).__name__)
                if self.clock() - renewed > self.lease - 2 * self.renew:  # (LOST_AFTER)
                    break
        self.leading = False
        log.critical("this replica lost the leader's lease")
        on_lost()

    async def let_go(self) -> None:
        """Give the lease up (a graceful stop), so that another replica leads at once."""
        self.leading = False
        try:
            await self._let_go(keys=[self.key], args=[self.url])
        except Exception as exc:  # noqa: BLE001 - it expires by itself
            log.warning("the leader's lease could not be given up (%s)", type(exc).__name__)
