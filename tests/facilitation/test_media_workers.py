"""The app with its rooms on a media worker (issue 16): the API (this process, on SQLite) places
the session's room on a `rounds media` worker process through Redis, grants name that worker,
the participants' aiortc clients join it there, and the facilitation runtime drives the room
over the bus (presence in, `state` events and answers to `app` messages out)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from app.core.config import Settings
from rtc.bus import RedisBus
from tests.conftest import REDIS_URL
from tests.rtc.test_worker import SECRET, worker_process

from .stage import Stage, latest, state


@pytest.fixture
def prefix(redis_bus: RedisBus) -> str:
    return redis_bus.prefix


async def test_a_session_runs_on_a_media_worker(sqlite_template: Path, tmp_path: Path,
                                                prefix: str) -> None:
    path = tmp_path / "rounds.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", data_dir=tmp_path,
                        secret_key=SecretStr(SECRET), public_url="http://testserver",
                        media_bus=REDIS_URL, media_bus_prefix=prefix)
    async with worker_process("w1", prefix) as (_, port):
        stage = Stage(settings, media=f"http://127.0.0.1:{port}")
        await stage.start()
        try:
            await stage.build(members=1, co_facilitator=False)
            fac, member = stage.fac, stage.members[0]
            await stage.enter(fac)
            assert fac.path == "/rtc/w1"  # the worker the room was placed on
            await stage.enter(member)
            assert member.path == "/rtc/w1"
            everyone = {fac.id, member.id}
            seen = await state(fac, where=lambda d: set(d["names"]) == everyone, timeout=10)
            assert seen["names"][member.id] == member.name  # joins reached the API's runtime
            asked = await latest(member)  # an app message to the API, and its answer back
            assert set(asked["names"]) == everyone
            async with httpx.AsyncClient() as http:  # the app serves no /rtc of its own
                response = await http.get(f"{stage.base}/rtc")
                assert response.status_code == 404
                # the API's /metrics: placement's view of the workers, from their heartbeats
                for _ in range(50):
                    text = (await http.get(f"{stage.base}/metrics")).text
                    if 'rounds_placement_worker_rooms{worker="w1"} 1' in text:
                        break
                    await asyncio.sleep(0.1)
                assert 'rounds_placement_worker_rooms{worker="w1"} 1' in text
                assert 'rounds_placement_worker_draining{worker="w1"} 0' in text
                assert 'rounds_placement_worker_capacity{worker="w1"} ' in text
        finally:
            await stage.close()


def refusals(text: str, reason: str) -> float:
    """A reason's count of rooms refused placement, from /metrics text (0 if absent)."""
    line = f'rounds_placement_refused_total{{reason="{reason}"}} '
    return next((float(x[len(line):]) for x in text.splitlines() if x.startswith(line)), 0.0)


@pytest.mark.parametrize("bus", ["no worker", "no redis"])
async def test_without_a_media_worker_the_join_says_so(sqlite_template: Path, tmp_path: Path,
                                                        prefix: str, bus: str) -> None:
    path = tmp_path / "rounds.db"
    shutil.copy(sqlite_template, path)
    url = REDIS_URL if bus == "no worker" else "redis://127.0.0.1:1/0"  # nothing listens there
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", data_dir=tmp_path,
                        secret_key=SecretStr(SECRET), public_url="http://testserver",
                        media_bus=url, media_bus_prefix=prefix)
    stage = Stage(settings)
    await stage.start()
    try:
        await stage.build(members=0, co_facilitator=False)
        reason = "no_media_capacity" if bus == "no worker" else "media_bus_unavailable"
        before = refusals((await stage.fac.http.get("/metrics")).text, reason)
        response = await stage.fac.http.post(
            f"/api/v1/sessions/{stage.session['id']}/join", json={"ground_rules_version": 1})
        assert response.status_code == 503
        assert response.json()["error"] == reason
        assert refusals((await stage.fac.http.get("/metrics")).text, reason) == before + 1
    finally:
        await stage.close()
