"""WebSocket connections per client address: how many open, how many not yet joined, and how
long one may stay without joining (rtc/server.py)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import websockets
from starlette.websockets import WebSocket

from rtc.server import RTCServer

from .conftest import Live, serve


class Socket:
    """A bare WebSocket speaking JSON."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, live: Live, forwarded_for: str | None = None) -> Socket:
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
        return cls(await websockets.connect(live.url, additional_headers=headers))

    async def call(self, message: dict[str, Any]) -> dict[str, Any]:
        await self.ws.send(json.dumps(message))
        return await self.recv()

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        reply: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        return reply

    async def greeted(self) -> Socket:
        assert (await self.call({"type": "hello", "version": 1}))["type"] == "hello"
        return self

    async def joined(self, live: Live, pid: str) -> Socket:
        await self.greeted()
        reply = await self.call({"type": "join", "token": live.token(pid)})
        assert reply["type"] == "joined", reply
        return self

    async def refused(self, code: str = "too_many_connections", close: int = 4005) -> str:
        """The error the server sent before it closed the socket with ``close``: its detail."""
        error = await self.recv()
        assert error["type"] == "error" and error["code"] == code, error
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), 5.0)
        except websockets.ConnectionClosed:
            pass
        assert self.ws.close_code == close, self.ws.close_code
        detail: str = error["detail"]
        return detail

    async def leave(self) -> None:
        await self.ws.send(json.dumps({"type": "leave"}))
        await self.ws.wait_closed()


async def _gone(live: Live, count: int) -> None:
    """Wait until the server holds ``count`` connections (a closed one is let go at once)."""
    deadline = time.monotonic() + 5
    while sum(len(held) for held in live.server._by_address.values()) != count:
        assert time.monotonic() < deadline, "the server still holds a closed connection"
        await asyncio.sleep(0.02)


async def test_one_address_holds_at_most_so_many_connections(configure: Any) -> None:
    async with serve(configure(max_connections_per_address=2)) as live:
        a = await (await Socket.open(live)).joined(live, "a")
        b = await (await Socket.open(live)).joined(live, "b")
        third = await Socket.open(live)
        assert "too many connections from this address" in await third.refused()
        await a.leave()
        await _gone(live, 1)
        c = await (await Socket.open(live)).joined(live, "c")  # a place came free
        assert b.ws.close_code is None and c.ws.close_code is None


async def test_connections_that_never_join_are_capped(configure: Any) -> None:
    async with serve(configure(max_unjoined_per_address=2, max_connections_per_address=10)) as live:
        first = await (await Socket.open(live)).greeted()
        second = await (await Socket.open(live)).greeted()
        third = await Socket.open(live)  # has said nothing yet: not joined either
        assert "have not joined" in await third.refused()
        await first.call({"type": "join", "token": live.token("a")})  # joined: no longer counted
        fourth = await (await Socket.open(live)).joined(live, "b")
        assert second.ws.close_code is None and fourth.ws.close_code is None


async def test_a_socket_that_does_not_join_in_time_is_closed(configure: Any) -> None:
    async with serve(configure(join_timeout=1.0)) as live:
        member = await (await Socket.open(live)).joined(live, "a")
        idle = await (await Socket.open(live)).greeted()
        start = time.monotonic()
        assert await idle.refused(code="timeout", close=4004) == "no join in time"
        assert time.monotonic() - start < 4
        await asyncio.sleep(0.3)  # past the deadline: the joined one is untouched
        assert (await member.call({"type": "ping", "id": "x"})) == {"type": "pong", "id": "x"}


async def test_forwarded_for_counts_only_from_a_trusted_proxy(configure: Any) -> None:
    trusting = configure(max_connections_per_address=1, trusted_proxies=("127.0.0.0/8",))
    async with serve(trusting) as live:
        held = [
            await (await Socket.open(live, "203.0.113.1")).joined(live, "a"),
            await (await Socket.open(live, "203.0.113.2")).joined(live, "b"),
        ]
        await (await Socket.open(live, "203.0.113.1")).refused()
        assert all(s.ws.close_code is None for s in held)


def _websocket(peer: str, forwarded_for: str | None = None) -> WebSocket:
    headers = [(b"x-forwarded-for", forwarded_for.encode())] if forwarded_for else []
    scope = {"type": "websocket", "path": "/rtc", "client": (peer, 50000), "headers": headers}
    return WebSocket(scope, receive=_never, send=_never)


async def _never(*_: Any) -> Any:
    raise AssertionError("not used")


def test_the_client_address(configure: Any) -> None:
    """(uvicorn itself believes X-Forwarded-For from 127.0.0.1, so this is a unit test.)"""
    plain = RTCServer(configure())
    assert plain.client_address(_websocket("172.18.0.3", "203.0.113.1")) == "172.18.0.3"
    behind = RTCServer(configure(trusted_proxies=("172.18.0.0/16",)))
    assert behind.client_address(_websocket("172.18.0.3", "203.0.113.1")) == "203.0.113.1"
    assert behind.client_address(_websocket("172.18.0.3", "198.51.100.7, 203.0.113.1")) == (
        "203.0.113.1"  # the hop the proxy saw; what the client wrote before it is not believed
    )
    assert behind.client_address(_websocket("203.0.113.9", "172.18.0.5")) == "203.0.113.9"
    assert behind.client_address(_websocket("172.18.0.3")) == "172.18.0.3"
