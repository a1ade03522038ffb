"""Clocks honest across a crash (issue 17): `rounds serve` is killed (SIGKILL) mid-turn and
started again. Nobody could speak while it was down, so the speaker's clock must not have run:
after the restart their turn resumes with the time it had when the server died (within ±1 s:
the heartbeat is every second)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.deploy.services import free_port
from tests.facilitation.stage import Stage, eventually, latest, round_of_two, speaking, state

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ProcessStage(Stage):
    """The stage, served by `rounds serve` in its own process (so it can be killed)."""

    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    async def start(self) -> None:
        port = free_port()
        env = {**os.environ, "ROUNDS_DATABASE_URL": self.settings.db_url,
               "ROUNDS_SECRET_KEY": self.settings.secret_key.get_secret_value(),
               "ROUNDS_PUBLIC_URL": self.settings.public_url, "ROUNDS_HOST": "127.0.0.1",
               "ROUNDS_PORT": str(port), "ROUNDS_DATA_DIR": str(self.settings.data_dir)}
        assert self.log is not None
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: ASYNC220 (returns at once: it is a server)
                [sys.executable, "-m", "app.cli", "serve"], cwd=ROOT, env=env, stdout=out,
                stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=self.base) as probe:
            for _ in range(300):
                if self.process.poll() is not None:
                    raise RuntimeError(f"rounds serve exited: {self.log.read_text()[-2000:]}")
                try:
                    if (await probe.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        for person in self.people:
            person.http.base_url = httpx.URL(self.base)

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            await asyncio.to_thread(self.process.wait, 30)
        self.process = None


@pytest.fixture
async def process_stage(sqlite_stage: Stage, tmp_path: Path):  # type: ignore[no-untyped-def]
    await sqlite_stage.stop()  # only its database and settings are used
    built = ProcessStage(sqlite_stage.settings, log=tmp_path / "serve.log")
    await built.start()
    try:
        yield built
    finally:
        await built.close()


async def test_kill_mid_turn_the_clock_stands_still_for_the_outage(
    process_stage: ProcessStage,
) -> None:
    stage = process_stage
    fac, m1, m2 = await round_of_two(stage)
    await asyncio.sleep(1.5)
    before = await latest(m2)
    left_at_crash = before["round"]["remaining"] - (time.time() - before["server_time"])

    await stage.stop(signal.SIGKILL)  # no graceful stop: nothing is saved on the way down
    await asyncio.sleep(3.0)  # the outage
    await stage.start()
    for p in (fac, m2, m1):
        await stage.connect(p)
    restored = await state(m2, speaking(m1), timeout=10)
    assert restored["round"]["paused"] is False
    left_after = restored["round"]["remaining"] - (time.time() - restored["server_time"])
    print(f"\nremaining at the crash {left_at_crash:.3f} s, after the restart {left_after:.3f} s")
    assert abs(left_after - left_at_crash) <= 1.0


async def test_sigterm_says_shutdown_before_closing(process_stage: ProcessStage) -> None:
    stage = process_stage
    await stage.build(members=1, co_facilitator=False)
    for p in (stage.fac, *stage.members):
        await stage.enter(p)
    await stage.stop(signal.SIGTERM)
    for p in (stage.fac, *stage.members):
        log = p.rtc.messages
        await eventually(lambda log=log: log[-1]["type"] == "_closed", what="the socket closed")
        assert log[-1]["code"] == 1001
        assert log[-2]["type"] == "error" and log[-2]["code"] == "shutdown", log[-3:]


async def test_a_frame_over_the_limit_gets_too_large(process_stage: ProcessStage) -> None:
    import json

    import websockets

    # (`rounds serve` runs the rooms on its own media workers: a grant names one, and the app
    # relays its path there)
    url = process_stage.base.replace("http", "ws", 1) + "/rtc/local-1"
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "hello", "version": 1}))
        assert json.loads(await ws.recv())["type"] == "hello"
        await ws.send("x" * (2 << 20))  # 2 MiB: over the protocol's 1 MiB
        assert json.loads(await ws.recv())["code"] == "too_large"
        await ws.send(json.dumps({"type": "ping", "id": "still"}))
        assert json.loads(await ws.recv()) == {"type": "pong", "id": "still"}
