"""Throttles: how often one client address, or one account, may do something.

Counts are kept by the `limits` library in moving windows, in this process's memory (Rounds is
one process; the counts start afresh when it restarts). A refusal is ``TooManyRequests`` (429)
whose ``Retry-After`` is when the oldest counted request leaves the window: never longer than
the window.

Two ways to count:

- ``Throttle.hit``: every request counts (invite links).
- ``Throttle.attempt``: only failures count (sign-in), but attempts still in progress hold a
  place, so a burst of parallel guesses cannot all pass the check before the first fails.

The client address is the peer's (``request.client.host``); ``X-Forwarded-For`` is believed only
from the proxies that ``trusted_proxies`` lists (``forwarded_client``).
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from math import ceil
from time import time
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from app.core.config import Settings
from app.core.deps import SettingsDep
from app.core.errors import TooManyRequests
from app.core.leader import from_replica, replica_key

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``amount`` in any ``seconds``; ``name`` keeps its counts apart from others'."""

    name: str
    amount: int
    seconds: int
    code: str = "too_many_requests"
    """The error code of a refusal."""
    what: str = "too many requests"
    """The start of a refusal's detail (the wait is added)."""

    @property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.amount, self.seconds, namespace=self.name)

    def refusal(self, retry_after: int) -> TooManyRequests:
        return TooManyRequests(
            self.code, f"{self.what}; try again in {retry_after} s", retry_after=retry_after
        )


class Attempt:
    """One attempt inside ``Throttle.attempt``: call ``failed()`` to count it."""

    def __init__(self) -> None:
        self.counts = False

    def failed(self) -> None:
        self.counts = True


class Throttle:
    """The counts of one app (``get_throttle`` keeps one on ``app.state``)."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._pending: Counter[tuple[str, str]] = Counter()

    async def _wait(self, limit: Limit, key: str, extra: int = 0) -> int | None:
        """Seconds until ``limit`` allows one more for ``key`` (None: now), counting ``extra``
        requests that are not in the window yet."""
        reset, remaining = await self._limiter.get_window_stats(limit.item, key)
        if remaining - extra > 0:
            return None
        if remaining > 0:  # only attempts in progress hold the places: they end soon
            return 1
        return max(1, ceil(reset - time()))

    async def hit(self, limit: Limit, key: str) -> None:
        """Count one request, or refuse it (it is then not counted)."""
        if not await self._limiter.hit(limit.item, key):
            raise limit.refusal(await self._wait(limit, key) or 1)

    async def clear(self, limit: Limit, key: str) -> None:
        """Forget ``key``'s count (a successful sign-in clears its account's failures)."""
        await self._limiter.clear(limit.item, key)

    @asynccontextmanager
    async def attempt(self, checks: Sequence[tuple[Limit, str]]) -> AsyncIterator[Attempt]:
        """Refuse if any limit has no place left for its key; else hold a place in each while
        the block runs, and count a failure in each if the block calls ``failed()``."""
        waits = [await self._wait(lim, key, self._pending[(lim.name, key)]) for lim, key in checks]
        refused = [(wait, lim) for wait, (lim, _) in zip(waits, checks, strict=True) if wait]
        if refused:
            wait, lim = max(refused, key=lambda r: r[0])
            raise lim.refusal(wait)
        places = [(lim.name, key) for lim, key in checks]
        self._pending.update(places)
        outcome = Attempt()
        try:
            yield outcome
        finally:
            try:
                if outcome.counts:
                    for lim, key in checks:
                        await self._limiter.hit(lim.item, key)
            finally:
                self._pending.subtract(places)
                for place in places:
                    if self._pending[place] <= 0:
                        del self._pending[place]


def get_throttle(request: Request) -> Throttle:
    """The app's throttle, made at its first use."""
    state = request.app.state
    throttle: Throttle | None = getattr(state, "throttle", None)
    if throttle is None:
        throttle = state.throttle = Throttle()
    return throttle


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def forwarded_client(peer: str, forwarded_for: Sequence[str], trusted: Sequence[str]) -> str:
    """The client's address: the peer, unless it is a trusted proxy; then the nearest address
    in ``X-Forwarded-For`` (read from the right) that is not a trusted proxy."""
    networks = _networks(tuple(trusted))
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        client = hop
        if not _trusted(hop, networks):
            break
    return client


def client_address(request: Request, settings: Settings) -> str:
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.getlist("x-forwarded-for")
    if forwarded and from_replica(request.headers.raw, replica_key(settings)):
        return forwarded[-1]  # another API replica passed it on, and found the address
    return forwarded_client(
        peer, request.headers.getlist("x-forwarded-for"), settings.trusted_proxies
    )


def _client_address(request: Request, settings: SettingsDep) -> str:
    return client_address(request, settings)


ThrottleDep = Annotated[Throttle, Depends(get_throttle)]
ClientAddress = Annotated[str, Depends(_client_address)]
"""The address the per-address limits count by."""
