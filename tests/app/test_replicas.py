"""Several API replicas (issue 16, docs/architecture.md "Several API replicas"): one leads,
holding a lease in Redis; a follower serves what needs only the database and passes the rest to
the leader, with the client's address; nobody leading is said plainly; a leader that stops lets
the lease go and a follower leads at once; a leader that loses its lease stops.

Two apps on one database (SQLite and PostgreSQL), each a real uvicorn server, on the local
Redis (the Chromium failover test kills and stops a leader mid-turn)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.requests import Request

from app.accounts.service import create_account
from app.checkout.router import _answered
from app.core.config import Settings
from app.core.db import create_engine, db_factory, transaction
from app.core.forward import LEADER_READS, MAX_BODY, needs_leader
from app.core.leader import KEY, REPLICA_HEADER, Leadership, replica_key
from app.core.rooms import get_live_rooms
from app.core.throttle import client_address
from app.dropin.router import _sittings
from app.facilitation.router import _runtime
from app.main import create_app
from app.pairing.router import _control
from rtc.bus import RedisBus
from tests.app.conftest import PASSWORD
from tests.conftest import REDIS_URL
from tests.live import free_port, serve

LEADERS_OWN = {_sittings, _control, _runtime, _answered, get_live_rooms}
"""The dependencies that read what only the leader holds in memory."""


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from _routes(route.original_router.routes)


def _calls(dependant: Any) -> Iterator[Any]:
    yield dependant.call
    for dependency in dependant.dependencies:
        yield from _calls(dependency)


def test_every_read_of_the_leaders_memory_is_passed_on() -> None:
    app = create_app(Settings())
    reads = [r for r in _routes(app.routes)
             if r.methods & {"GET"} and set(_calls(r.dependant)) & LEADERS_OWN]
    assert len(reads) >= 5  # (the walk found the routes at all)
    for route in reads:
        path = "/api/v1" + re.sub(r"\{[^}]+\}", "x", route.path)
        assert needs_leader("GET", path), f"GET {route.path} reads the leader's memory"
    assert needs_leader("POST", "/api/v1/auth/login")  # any change goes to the leader
    assert not needs_leader("GET", "/api/v1/groups")  # a read of the database is served here
    assert not needs_leader("GET", "/room") and not needs_leader("POST", "/rtc")
    assert LEADER_READS.match("/api/v1/sessions/x/state")


@pytest.fixture
async def prefix(redis_bus: RedisBus) -> str:
    return redis_bus.prefix


@contextlib.asynccontextmanager
async def replica(settings: Settings, prefix: str, port: int) -> AsyncIterator[Any]:
    """An app that is one of several replicas, served on ``port`` until the block ends."""
    app = create_app(settings.model_copy(update={
        "media_bus": REDIS_URL, "media_bus_prefix": prefix,
        "replica_url": f"http://127.0.0.1:{port}"}))
    with serve(app, port=port):
        yield app


async def wait_for(check: Any, what: str, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not check():  # noqa: ASYNC110 - another thread's server changes it
            await asyncio.sleep(0.05)


async def test_a_follower_passes_on_what_only_the_leader_answers(
        settings: Settings, prefix: str) -> None:
    engine = create_engine(settings.db_url)
    async for db in transaction(db_factory(engine)):
        await create_account(db, email="admin@trust.nhs.uk", display_name="Admin",
                             password=PASSWORD, is_admin=True)
    await engine.dispose()
    ports = free_port(), free_port()
    async with replica(settings, prefix, ports[0]) as leader:
        assert leader.state.leadership.leading  # the lease was free
        async with replica(settings, prefix, ports[1]) as follower:
            assert not follower.state.leadership.leading
            assert not hasattr(follower.state, "facilitation")  # it runs nothing in memory
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[1]}") as http:
                # a change (here, signing in) is passed on; its cookies come back
                response = await http.post("/api/v1/auth/login", json={
                    "email": "admin@trust.nhs.uk", "password": PASSWORD})
                assert response.status_code == 200, response.text
                csrf = http.cookies["rounds_csrf"]
                # a read of the database is served here; a read of the leader's memory is
                # passed on (the follower has none to read)
                assert (await http.get("/api/v1/groups")).status_code == 200
                networks = await http.get("/api/v1/peer-networks")
                assert networks.status_code == 200, networks.text
                # a refusal is the leader's answer, unchanged
                wrong = await http.post("/api/v1/groups", json={"name": ""},
                                        headers={"x-csrf-token": csrf})
                assert wrong.status_code == 422 and wrong.json()["error"] == "invalid_request"
                huge = await http.post("/api/v1/groups", content=b"x" * (MAX_BODY + 1),
                                       headers={"x-csrf-token": csrf})
                assert huge.status_code == 413 and huge.json()["error"] == "too_large"
                # a session's lobby stream, from the leader through the follower, as it happens
                group = (await http.post("/api/v1/groups", headers={"x-csrf-token": csrf}, json={
                    "name": "FY1 group", "cohort": "FY1",
                    "facilitator_id": response.json()["id"]})).json()
                start = (datetime.now(UTC) + timedelta(minutes=60)).isoformat()
                session = (await http.post(
                    f"/api/v1/groups/{group['id']}/sessions", headers={"x-csrf-token": csrf},
                    json={"scheduled_start": start, "duration_minutes": 60})).json()
                async with http.stream("GET", f"/api/v1/sessions/{session['id']}/events") as sse:
                    assert sse.headers["content-type"].startswith("text/event-stream")
                    lines = sse.aiter_lines()
                    assert await anext(lines) == "event: session"
                    opened = await http.patch(f"/api/v1/sessions/{session['id']}",
                                              headers={"x-csrf-token": csrf},
                                              json={"status": "open"})
                    assert opened.status_code == 200, opened.text
                    seen = ""
                    async with asyncio.timeout(5):
                        while '"open"' not in seen:
                            seen = await anext(lines)
                # the browser went away: the follower stopped reading the leader's stream
                streams = leader.state.facilitation.feed._listeners  # (what it holds open)
                await wait_for(lambda: session["id"] not in streams,
                               "the stream closed at the leader", 5.0)


async def test_a_leader_that_stops_hands_the_lead_over(settings: Settings, prefix: str) -> None:
    ports = free_port(), free_port()
    following = replica(settings, prefix, ports[1])
    async with replica(settings, prefix, ports[0]) as first:
        second = await following.__aenter__()
        assert first.state.leadership.leading and not second.state.leadership.leading
    try:  # the leader stopped: it let the lease go, and the other leads within a second or so
        await wait_for(lambda: second.state.leadership.leading, "the follower leads", 3.0)
        assert hasattr(second.state, "facilitation")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[1]}") as http:
            assert (await http.get("/api/v1/peer-networks")).status_code == 401  # its own answer
    finally:
        await following.__aexit__(None, None, None)


async def test_nobody_leading_is_said_plainly(settings: Settings, prefix: str,
                                              redis_bus: RedisBus) -> None:
    port = free_port()
    await redis_bus.redis.set(prefix + KEY, "http://127.0.0.1:1", px=60_000)  # gone away
    async with replica(settings, prefix, port) as app:
        assert not app.state.leadership.leading
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.post("/api/v1/auth/login", json={"email": "a@b.c",
                                                                   "password": "x"})
            assert response.status_code == 503
            assert response.json()["error"] == "leader_changing"
            assert response.headers["retry-after"] == "2"
            # a page's event stream is told to come back (an error would end it for good)
            stream = await http.get("/api/v1/sessions/x/events")
            assert stream.status_code == 200, stream.text
            assert stream.headers["content-type"] == "text/event-stream"
            assert stream.text == "retry: 2000\n\n"
            assert (await http.get("/api/v1/groups")).status_code == 401  # served here
        await redis_bus.redis.delete(prefix + KEY)  # the lease is free: this one leads
        await wait_for(lambda: app.state.leadership.leading, "it leads", 5.0)


def test_the_leader_counts_the_address_a_replica_found(settings: Settings) -> None:
    def request(*headers: tuple[bytes, bytes]) -> Request:
        return Request({"type": "http", "client": ("10.0.0.7", 5000), "headers": list(headers)})

    key = replica_key(settings).encode()
    found = (b"x-forwarded-for", b"203.0.113.9")
    assert client_address(request(found, (REPLICA_HEADER.encode(), key)), settings) \
        == "203.0.113.9"
    assert client_address(request(found), settings) == "10.0.0.7"  # anyone can say it
    assert client_address(request(found, (REPLICA_HEADER.encode(), b"guess")), settings) \
        == "10.0.0.7"


async def test_a_leader_that_loses_its_lease_stops(redis_bus: RedisBus) -> None:
    me = Leadership(redis_bus.redis, redis_bus.prefix, "http://a", renew=0.1)
    led, lost = asyncio.Event(), asyncio.Event()

    async def lead() -> None:
        led.set()

    running = asyncio.create_task(me.run(lead, lost.set))
    await asyncio.wait_for(led.wait(), 5)
    assert me.leading
    await redis_bus.redis.set(redis_bus.prefix + KEY, "http://b")  # another took it
    await asyncio.wait_for(lost.wait(), 5)
    assert not me.leading
    await running
