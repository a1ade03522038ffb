"""The app with its rooms on a media worker (issue 16): the API (this process, on SQLite) places
the session's room on a `rounds media` worker process through Redis, grants name that worker,
the participants' aiortc clients join it there, and the facilitation runtime drives the room
over the bus (presence in, `state` events and answers to `app` messages out)."""

from __future__ import annotations

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
        finally:
            await stage.close()


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
        response = await stage.fac.http.post(
            f"/api/v1/sessions/{stage.session['id']}/join", json={"ground_rules_version": 1})
        assert response.status_code == 503
        assert response.json()["error"] == (
            "no_media_capacity" if bus == "no worker" else "media_bus_unavailable")
    finally:
        await stage.close()
