"""Benchmark: how fast a facilitator's action reaches every participant as a `state` event.

    .venv/bin/python bench/fanout.py                      # 12 participants, 200 actions, SQLite
    .venv/bin/python bench/fanout.py --actions 500 --db postgresql+asyncpg://postgres@127.0.0.1/x

The app runs in a subprocess (uvicorn, the real app: REST, `/rtc`, the facilitation runtime
saving every change to the database before it broadcasts). It is set up through its REST API:
a facilitator, 11 members admitted from the lobby, a session run with the check-in template.
All 12 participants join the room signalling-only (``Client.connect(publish=False)``) from this
process. The facilitator starts the phase, sets up the round and starts it, then sends N round
actions one after the other (pause / resume / extend, each a state change), waiting for every
participant to receive the resulting `state` (matched by its ``version``) before the next.

Measured per delivery: the time from just before the facilitator's `send` to the moment the
participant's client appended the `state` message to its log (after JSON parsing and protocol
validation in this process). Printed: p50 / p99 / max over all deliveries, and the same for the
time until the *last* participant had it. All 12 clients share one event loop and the server
shares the machine (2 cores here), so the figures include that contention. Target: p99 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from app.accounts.service import create_account  # noqa: E402
from app.core.db import create_engine, db_factory, transaction  # noqa: E402
from app.core.migrate import upgrade  # noqa: E402
from rtc.client import Client  # noqa: E402

PASSWORD = "correct horse battery staple"
RULES = {"ground_rules_version": 1}


class Stamped(list[dict[str, Any]]):
    """A client's message log that notes when each message arrived."""

    def append(self, message: dict[str, Any]) -> None:
        message["_at"] = time.perf_counter()
        super().append(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _admin(db_url: str) -> None:
    engine = create_engine(db_url)
    async for db in transaction(db_factory(engine)):
        await create_account(db, email="admin@bench.nhs.uk", display_name="Admin",
                             password=PASSWORD, is_admin=True)
    await engine.dispose()


def browser(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=30.0)

    async def csrf(request: httpx.Request) -> None:
        token = client.cookies.get("rounds_csrf")
        if token and request.method not in {"GET", "HEAD", "OPTIONS"}:
            request.headers["x-csrf-token"] = token

    client.event_hooks["request"].append(csrf)
    return client


async def ok(request: Any) -> Any:
    response = await request
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    return response.json()


async def setup(base: str, members: int) -> tuple[list[str], list[str]]:
    """Through the REST API: the people and a live session; returns join tokens and ids."""
    admin = browser(base)
    await ok(admin.post("/api/v1/auth/login",
                        json={"email": "admin@bench.nhs.uk", "password": PASSWORD}))
    fac_id = (await ok(admin.post("/api/v1/accounts", json={
        "email": "fac@bench.nhs.uk", "display_name": "Dr F", "password": PASSWORD})))["id"]
    group = await ok(admin.post("/api/v1/groups", json={"name": "Bench group",
                                                        "facilitator_id": fac_id}))
    fac = browser(base)
    await ok(fac.post("/api/v1/auth/login", json={"email": "fac@bench.nhs.uk",
                                                  "password": PASSWORD}))
    session = await ok(fac.post(f"/api/v1/groups/{group['id']}/sessions", json={
        "scheduled_start": "2030-01-01T12:00:00Z", "duration_minutes": 60}))
    sid = session["id"]
    await ok(fac.post(f"/api/v1/sessions/{sid}/facilitation",
                      json={"template_id": "default:check-in-round"}))
    tokens, ids = [], []
    grant = await ok(fac.post(f"/api/v1/sessions/{sid}/join", json=RULES))
    tokens.append(grant["token"])
    ids.append(grant["participant_id"])
    browsers = [admin, fac]
    for i in range(members):
        link = (await ok(fac.post(f"/api/v1/groups/{group['id']}/invites", json={})))["link"]
        doc = browser(base)
        browsers.append(doc)
        joined = await ok(doc.post("/api/v1/invites/accept", json={
            "token": link.split("#", 1)[1], "display_name": f"Dr Member {i + 1:02d}"}))
        waiting = await doc.post(f"/api/v1/sessions/{sid}/join", json=RULES)
        assert waiting.status_code == 202, waiting.text
        await ok(fac.post(f"/api/v1/sessions/{sid}/lobby/{joined['member_id']}/admit"))
        grant = await ok(doc.post(f"/api/v1/sessions/{sid}/join", json=RULES))
        tokens.append(grant["token"])
        ids.append(grant["participant_id"])
    for b in browsers:
        await b.aclose()
    return tokens, ids


async def act(clients: list[Client], kind: str, data: dict[str, Any], version: int,
              timeout: float = 10.0) -> list[float]:  # noqa: ASYNC109
    """Send one action as the facilitator; seconds until each client had the new state."""
    marks = [c.mark() for c in clients]
    sent = time.perf_counter()
    await clients[0].send({"type": "app", "kind": kind, "data": data})
    delays = []
    for client, mark in zip(clients, marks, strict=True):
        msg = await client.expect(
            "event", timeout=timeout, since=mark,
            where=lambda m: m["kind"] == "state" and m["data"]["version"] >= version)
        delays.append(msg["_at"] - sent)
    return delays


async def run(base: str, participants: int, actions: int, gap: float) -> None:
    tokens, ids = await setup(base, participants - 1)
    ws = base.replace("http", "ws", 1) + "/rtc"
    clients = []
    for token in tokens:
        client = Client(ws, token)
        client.messages = Stamped()
        await client.connect(publish=False)
        clients.append(client)
    try:
        fac = clients[0]
        await fac.send({"type": "app", "kind": "state", "data": {}})
        first = await fac.expect("event", where=lambda m: m["kind"] == "state", since=0)
        version = first["data"]["version"]
        setup_actions: list[tuple[str, dict[str, Any]]] = [("phase", {"action": "start"}),
                         ("round", {"action": "setup", "rule": "manual", "order": ids[1:]}),
                         ("round", {"action": "start"})]
        for kind, data in setup_actions:
            version += 1
            await act(clients, kind, data, version)
        cycle: list[dict[str, Any]] = [
            {"action": "pause"},
            {"action": "resume"},
            {"action": "extend", "seconds": 30},
        ]
        deliveries: list[float] = []
        last: list[float] = []
        for i in range(actions):
            version += 1
            delays = await act(clients, "round", cycle[i % len(cycle)], version)
            deliveries += delays
            last.append(max(delays))
            await asyncio.sleep(gap)
        ms = [d * 1000 for d in deliveries]
        last_ms = [d * 1000 for d in last]
        print(f"{participants} participants, {actions} actions, {len(ms)} deliveries")
        print(f"  send -> state at each participant: p50 {statistics.median(ms):.1f} ms, "
              f"p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms")
        print(f"  send -> state at the last one:     p50 {statistics.median(last_ms):.1f} ms, "
              f"p99 {percentile(last_ms, 0.99):.1f} ms, max {max(last_ms):.1f} ms")
    finally:
        for client in clients:
            await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=12)
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between actions")
    parser.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.db or f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(db_url)
        asyncio.run(_admin(db_url))
        port = free_port()
        env = {**os.environ, "ROUNDS_DATABASE_URL": db_url, "ROUNDS_DATA_DIR": tmp,
               "ROUNDS_SECRET_KEY": "b" * 40, "ROUNDS_PUBLIC_URL": f"http://127.0.0.1:{port}"}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env, cwd=Path(__file__).resolve().parent.parent)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the app did not start")
                time.sleep(0.1)
            asyncio.run(run(base, args.participants, args.actions, args.gap))
        finally:
            server.terminate()
            server.wait(15)


if __name__ == "__main__":
    main()
