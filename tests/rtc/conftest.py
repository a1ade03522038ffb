"""Fixtures for tests/rtc: a real uvicorn server on a free loopback port running create_asgi."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
import uvicorn
from hypothesis import Phase, given, settings

from rtc import jointoken
from rtc.config import RTCConfig
from rtc.server import RTCServer, create_asgi
from tests.live import free_port

SECRET = b"test-secret-for-rtc-only"


@dataclass
class Live:
    url: str
    http: str
    server: RTCServer
    config: RTCConfig

    def token(
        self,
        participant: str,
        room: str = "room-1",
        role: str = "member",
        ttl: float = 300.0,
        secret: bytes = SECRET,
    ) -> str:
        claims = jointoken.JoinClaims(
            room=room,
            participant=participant,
            role=role,  # type: ignore[arg-type]
            name=f"Dr {participant}",
            expires_at=int(time.time() + ttl),
        )
        return jointoken.issue(secret, claims)




@contextlib.asynccontextmanager
async def serve(config: RTCConfig) -> AsyncIterator[Live]:
    app = create_asgi(config)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            ws_max_size=4 << 20,
        )
    )
    task = asyncio.ensure_future(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event)
        await asyncio.sleep(0.02)
    try:
        yield Live(f"ws://127.0.0.1:{port}/rtc", f"http://127.0.0.1:{port}", app.state.rtc, config)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)


@pytest.fixture
def rtc_config() -> RTCConfig:
    # the peers share this process: their sockets' backlog is not the server's (rtc/overload.py)
    return RTCConfig(join_secret=SECRET, ice_servers=(), shed_load=False)


@pytest.fixture
async def live(rtc_config: RTCConfig) -> AsyncIterator[Live]:
    async with serve(rtc_config) as running:
        yield running


@pytest.fixture
def configure() -> Callable[..., RTCConfig]:
    def make(**changes: object) -> RTCConfig:
        changes.setdefault("shed_load", False)  # as in rtc_config
        return replace(RTCConfig(join_secret=SECRET), **changes)  # type: ignore[arg-type]

    return make


async def eventually(
    check: Callable[[], bool],
    timeout: float = 20.0,  # noqa: ASYNC109
    step: float = 0.1,
    what: str = "condition",
) -> None:
    """Poll until ``check()`` is true, or fail with ``what``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(step)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: needs /usr/bin/chromium (skipped without it)")


def drawn(strategy: Any, count: int) -> list[Any]:
    """``count`` values of ``strategy``, the same on every run."""
    out: list[Any] = []

    @settings(max_examples=count, derandomize=True, database=None, phases=[Phase.generate])
    @given(strategy)
    def draw(value: Any) -> None:
        out.append(value)

    draw()
    return out
