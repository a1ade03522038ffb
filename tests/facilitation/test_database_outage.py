"""PostgreSQL stopped under a live round: live rooms keep their media and clocks, writes resume,
nothing is lost.

A private PostgreSQL (initdb into a temporary directory, its own port on 127.0.0.1 and its own
socket directory; the machine's server is not touched) is migrated and the app is served on it
in-process (``Stage``). A facilitator publishes a tone (and the tiny camera rtc/ requires), three
members join (a fourth has not yet), a round of turns runs with two of them. Then PostgreSQL is
stopped (``pg_ctl stop -m fast``) for ``ROUNDS_TEST_OUTAGE_SECONDS`` (default 8 s; the published
figure uses 60 s).

During the outage the room must go on from memory: every facilitator's and member's action
(extend, pause, resume, finish, next, raise and lower a hand, remove someone) changes the state
that everyone receives, a dropped member reconnects with their join token, the turn and phase
clocks keep counting, and the facilitator's audio keeps reaching the members. The REST API needs
the database: its calls must fail with a JSON error (503) within a bound, never hang; a new
member's join is one of them.

PostgreSQL is then started again. Without any further action, the live state the clients last
received must be saved (the same ``version`` in ``live_states``, read with an engine of its own),
the heartbeat must write again, REST must answer, the member who could not join now joins, and
one more change is saved too. The figures (actions during the outage, the slowest state
broadcast, the longest gap in the audio, the time until the first save once PostgreSQL is back)
are printed (run with ``-s`` to see them), with the longest stall of the server's event loop and
of the test's (which runs the rtc clients) so that a slow broadcast can be told apart from a
stalled test process.

    ROUNDS_TEST_OUTAGE_SECONDS=60 CI=true .venv/bin/python -m pytest -s -p no:cacheprovider \
        tests/facilitation/test_database_outage.py
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from app.core.config import Settings
from app.core.db import create_engine, utcnow
from app.core.migrate import upgrade_async
from app.facilitation.models import LiveState, Revocation
from tests.conftest import _pg_admin, unavailable
from tests.deploy.services import free_port
from tests.facilitation.stage import Person, Stage, eventually, latest, send, state
from tests.facilitation.test_restart_and_clocks import speaking
from tests.rtc.media import PatternVideo, ToneAudio

OUTAGE = float(os.environ.get("ROUNDS_TEST_OUTAGE_SECONDS", "8"))
REST_BOUND = 10.0
"""Seconds a REST call may take to fail while the database is down."""
BROADCAST_BOUND = 2.0
"""Seconds an action's new state may take to reach everyone while the database is down."""
SAVED_WITHIN = 15.0
"""Seconds after PostgreSQL is back by which the last state must be saved."""


class PrivatePostgres:
    """A PostgreSQL server of the test's own, run as the ``postgres`` user when we are root
    (initdb and postgres refuse to run as root). Its directory is made with ``tempfile`` rather
    than in ``tmp_path``: pytest's base directory is private to root, so ``postgres`` could not
    reach it."""

    def __init__(self) -> None:
        self.bin = {name: shutil.which(name) for name in ("initdb", "pg_ctl", "postgres")}
        if not all(self.bin.values()):
            unavailable("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.as_user: list[str] = []
        self.owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError:
                unavailable("running as root and there is no postgres user to run PostgreSQL")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.root = Path(tempfile.mkdtemp(prefix="rounds-pg-"))
        if self.owner is not None:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        self.data = self.root / "data"
        self.port = free_port()
        self.log = self.root / "postgres.log"

    def _run(self, *args: str, timeout: float = 60.0) -> None:
        subprocess.run([*self.as_user, *args], check=True, timeout=timeout,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def init(self) -> None:
        self._run(str(self.bin["initdb"]), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} "
                   f"-c unix_socket_directories={self.root} -c fsync=off")
        self._run(str(self.bin["pg_ctl"]), "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", "60", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin["pg_ctl"]), "-D", str(self.data), "-m", mode, "-w", "-t", "60",
                  "stop")

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    pg = PrivatePostgres()
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        pg.remove()


@pytest.fixture
async def outage_stage(private_postgres: PrivatePostgres, tmp_path: Path
                       ) -> AsyncIterator[Stage]:
    await _pg_admin(private_postgres.url("postgres"), 'CREATE DATABASE "rounds"')
    url = private_postgres.url("rounds")
    await upgrade_async(url)
    settings = Settings(database_url=url, data_dir=tmp_path, secret_key=SecretStr("t" * 40),
                        public_url="http://testserver")
    built = Stage(settings)
    await built.start()
    try:
        yield built
    finally:
        await built.close()


async def _saved(url: str) -> tuple[int, dict[str, Any], float]:
    """The saved live state's version, state and age of its heartbeat (seconds), read with an
    engine of its own."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(LiveState.version, LiveState.state,
                                              LiveState.updated_at))).all()
    finally:
        await engine.dispose()
    assert len(rows) == 1, rows
    version, saved, updated_at = rows[0]
    return version, saved, (utcnow() - updated_at).total_seconds()


class Audio:
    """Counts the facilitator's audio frames at each member every 50 ms, and keeps the longest
    time between new frames at any of them within a window (to the 50 ms it samples at)."""

    def __init__(self, source: Person, listeners: list[Person]) -> None:
        self.source, self.listeners = source, listeners
        self.window: tuple[float, float] | None = None
        self.longest_gap = 0.0
        self.frames_in_window = 0
        self.away: set[int] = set()
        """Listeners reconnecting (``id(person)``): their gap is not the room's."""
        self._task = asyncio.get_running_loop().create_task(self._sample())

    def count(self, listener: Person) -> int:
        return listener.rtc.frames_from(self.source.id, "audio")

    async def _sample(self) -> None:
        last = {id(p): (time.monotonic(), -1) for p in self.listeners}
        while True:
            now = time.monotonic()
            inside = self.window is not None and self.window[0] <= now and (
                self.window[1] <= 0 or now <= self.window[1])
            for p in self.listeners:
                if p.client is None or id(p) in self.away:  # its new connection starts at 0
                    last[id(p)] = (now, -1)
                    continue
                n = self.count(p)
                at, seen = last[id(p)]
                if n != seen:
                    if inside and seen >= 0 and n > seen:
                        self.frames_in_window += n - seen
                        self.longest_gap = max(self.longest_gap, now - max(at, self.window[0]))
                    last[id(p)] = (now, n)
                elif inside:
                    self.longest_gap = max(self.longest_gap, now - max(at, self.window[0]))
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass


class Lag:
    """The longest stall of an event loop (a 20 ms sleep that wakes late) within a window: the
    server's (uvicorn's thread) and the test's (the rtc clients decoding media) are told apart,
    so a slow broadcast can be laid at the right door."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.window: tuple[float, float] | None = None
        self.longest = 0.0
        self.at = 0.0
        self._future = asyncio.run_coroutine_threadsafe(self._watch(), loop)

    async def _watch(self) -> None:
        while True:
            began = time.monotonic()
            await asyncio.sleep(0.02)
            now = time.monotonic()
            w = self.window
            if w is not None and w[0] <= began and (w[1] <= 0 or now <= w[1]):
                if now - began - 0.02 > self.longest:
                    self.longest, self.at = now - began - 0.02, began - w[0]

    def close(self) -> None:
        self._future.cancel()


async def everyone_sees(people: list[Person], action: Callable[[], Any],
                        where: Callable[[dict[str, Any]], bool]) -> tuple[float, dict[str, Any]]:
    """Do an action; returns the seconds until every person in the room had a `state`
    satisfying ``where``, and the facilitator's."""
    marks = {id(p): p.rtc.mark() for p in people}
    began = time.monotonic()
    await action()
    got = await asyncio.gather(*(state(p, where, since=marks[id(p)], timeout=BROADCAST_BOUND + 3)
                                 for p in people))
    return time.monotonic() - began, got[0]


async def rest_fails_clearly(request: Any) -> tuple[float, int, dict[str, Any]]:
    """A REST call while the database is down: it fails, soon, with a JSON error."""
    began = time.monotonic()
    response = await asyncio.wait_for(request, REST_BOUND)
    took = time.monotonic() - began
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["error"] == "database_unavailable" and set(body) == {"error", "detail"}, body
    return took, response.status_code, body


async def test_postgres_stopped_under_a_live_round(outage_stage: Stage,
                                                   private_postgres: PrivatePostgres) -> None:
    stage, pg = outage_stage, private_postgres
    url = stage.settings.db_url
    await stage.build(members=4, co_facilitator=False)
    fac, (m1, m2, m3, m4) = stage.fac, stage.members
    await stage.enter(fac, audio=ToneAudio(loud=True), video=PatternVideo())
    for p in (m1, m2, m3):
        await stage.enter(p)
    room = [fac, m1, m2, m3]
    await eventually(lambda: all(p.rtc.frames_from(fac.id, "audio") > 20 for p in (m1, m2, m3)),
                     timeout=20, what="the members hearing the facilitator")
    mark = await send(fac, "phase", action="start")
    await state(fac, lambda s: s["phase"]["status"] == "running", since=mark)
    mark = await send(fac, "round", action="setup", rule="manual", order=[m1.id, m2.id])
    await state(fac, lambda s: s["round"] and len(s["round"]["turns"]) == 2, since=mark)
    mark = await send(fac, "round", action="start")
    await state(m2, speaking(m1), since=mark)
    audio = Audio(fac, [m1, m2])
    server_loop = stage.app.state.facilitation.live[stage.session["id"]].task.get_loop()
    lags = {"server": Lag(server_loop), "test clients": Lag(asyncio.get_running_loop())}

    # ---------------------------------------------------------------- PostgreSQL stops
    await asyncio.to_thread(pg.stop, "fast")
    down_at = time.monotonic()
    audio.window = (down_at, 0.0)
    for lag in lags.values():
        lag.window = (down_at, 0.0)
    before = await latest(fac)
    delays: list[float] = []
    slowest_at = 0.0
    rest: list[tuple[str, float, int, str]] = []

    async def act(person: Person, kind: str, where: Callable[[dict[str, Any]], bool],
                  **data: Any) -> dict[str, Any]:
        nonlocal slowest_at
        began = time.monotonic() - down_at
        took, seen = await everyone_sees(
            [p for p in room if p.client is not None],
            lambda: person.rtc.send({"type": "app", "kind": kind, "data": data}), where)
        if took > max(delays, default=0.0):
            slowest_at = began
        delays.append(took)
        return seen

    # the REST API needs the database: it fails, soon and clearly
    sid = stage.session["id"]
    took, status, body = await rest_fails_clearly(fac.http.get(f"/api/v1/sessions/{sid}"))
    rest.append(("GET /sessions/{id}", took, status, body["error"]))
    took, status, body = await rest_fails_clearly(
        m4.http.post(f"/api/v1/sessions/{sid}/join", json={"ground_rules_version": 1}))
    rest.append(("POST /sessions/{id}/join", took, status, body["error"]))

    # the first pass: everything a round needs, once
    s = await act(fac, "round", lambda s: s["round"]["allotted"] ==
                  before["round"]["allotted"] + 30, action="extend", seconds=30)
    await act(m2, "hand", lambda s: m2.id in s["hands"]["raised"], action="raise")
    await act(fac, "round", lambda s: s["round"]["paused"], action="pause")
    await act(fac, "round", lambda s: not s["round"]["paused"], action="resume")
    await act(m2, "hand", lambda s: m2.id not in s["hands"]["raised"], action="lower")
    audio.away.add(id(m2))
    await stage.drop(m2)  # a dropped member comes back with their join token: no database
    await stage.connect(m2)
    await state(m2, lambda s: s["round"]["speaker"] == m1.id)
    await eventually(lambda: audio.count(m2) > 0, timeout=10, what="audio after reconnecting")
    audio.away.discard(id(m2))
    room.remove(m3)
    v = (await latest(fac))["version"]
    await act(fac, "control", lambda s: s["version"] > v, action="remove", participant_id=m3.id)
    await eventually(lambda: m3.rtc.messages[-1].get("code") == 4008, timeout=5,
                     what="the removed member disconnected")
    await fac.rtc.expect("peer_left", since=0, timeout=5,
                         where=lambda m: m["participant"] == m3.id and m["reason"] == "removed")
    await act(m1, "round", lambda s: s["round"]["status"] == "between", action="finish")
    s = await act(fac, "round", speaking(m2), action="next")

    # the clocks count on: the turn's remaining time falls as the time passes
    a = await latest(m1)
    await asyncio.sleep(1.5)
    b = await latest(m1)
    elapsed = b["server_time"] - a["server_time"]
    assert abs((a["round"]["remaining"] - b["round"]["remaining"]) - elapsed) < 0.2, (a, b)
    assert 1.3 < elapsed < 3.0

    # then the same actions over and over until the outage is over
    while time.monotonic() - down_at < OUTAGE - 1.0:
        allotted = s["round"]["allotted"]
        s = await act(fac, "round", lambda s, a=allotted: s["round"]["allotted"] == a + 30,
                      action="extend", seconds=30)
        await act(m1, "hand", lambda s: m1.id in s["hands"]["raised"], action="raise")
        await act(fac, "round", lambda s: s["round"]["paused"], action="pause")
        await act(fac, "round", lambda s: not s["round"]["paused"], action="resume")
        await act(m1, "hand", lambda s: m1.id not in s["hands"]["raised"], action="lower")
        await asyncio.sleep(min(1.0, max(0.0, OUTAGE - 1.0 - (time.monotonic() - down_at))))
    end = await latest(fac)
    phase_ran = before["phase"]["remaining"] - end["phase"]["remaining"]
    wall = end["server_time"] - before["server_time"]
    assert abs(phase_ran - wall) < 0.2, (before["phase"], end["phase"])
    await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - down_at)))
    audio.window = (down_at, time.monotonic())
    for lag in lags.values():
        lag.window = audio.window
        lag.close()
    frames_during = audio.frames_in_window
    await audio.close()
    last_version = (await latest(fac))["version"]

    # ---------------------------------------------------------------- PostgreSQL is back
    outage = time.monotonic() - down_at
    await asyncio.to_thread(pg.start)
    up_at = time.monotonic()
    saved_version: list[int] = []

    async def poll() -> bool:
        try:
            version, _, _ = await _saved(url)
        except Exception:  # noqa: BLE001 - not reachable yet from here either
            return False
        saved_version[:] = [version]
        return version == last_version

    while not await poll():
        assert time.monotonic() - up_at < SAVED_WITHIN, (
            f"the last state (version {last_version}) was not saved within {SAVED_WITHIN} s "
            f"of PostgreSQL's return: saved {saved_version}")
        await asyncio.sleep(0.1)
    first_save = time.monotonic() - up_at
    version, saved, _ = await _saved(url)
    assert m3.id in saved["removed"]

    async def withdrawn() -> bool:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return bool((await conn.execute(select(Revocation.id).where(
                    Revocation.participant_id == uuid.UUID(m3.id)))).first())
        finally:
            await engine.dispose()

    while not await withdrawn():  # the removal's records, retried with the state
        assert time.monotonic() - up_at < SAVED_WITHIN, "the removal was never recorded"
        await asyncio.sleep(0.1)

    # REST works again; the member who could not join does now; one more change is saved
    began = time.monotonic()
    got = await stage.ok(fac.http.get(f"/api/v1/sessions/{sid}"))
    rest_back = time.monotonic() - began
    assert got["id"] == sid
    again = await m3.http.post(f"/api/v1/sessions/{sid}/join", json={"ground_rules_version": 1})
    assert again.status_code in (401, 403, 410), again.text
    await stage.enter(m4)
    room.append(m4)
    await state(fac, lambda s: m4.id in s["audible"])
    allotted = (await latest(fac))["round"]["allotted"]
    _, s = await everyone_sees(
        room, lambda: fac.rtc.send({"type": "app", "kind": "round",
                                    "data": {"action": "extend", "seconds": 60}}),
        lambda s: s["round"]["allotted"] == allotted + 60)
    deadline = time.monotonic() + 5
    while True:
        version, saved, beat_age = await _saved(url)
        current = (await latest(fac))["version"]
        if version == current:
            break
        assert time.monotonic() < deadline, f"saved version {version}, the room's {current}"
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.5)  # a heartbeat
    _, _, beat_age = await _saved(url)
    assert beat_age < 2.5, f"the heartbeat has not written for {beat_age:.1f} s"

    print(f"\nPostgreSQL down {outage:.1f} s (ROUNDS_TEST_OUTAGE_SECONDS={OUTAGE:g}):"
          f"\n  actions applied during the outage: {len(delays)}, each seen by everyone in the"
          f" room; slowest broadcast {max(delays) * 1000:.0f} ms (at {slowest_at:.1f} s),"
          f" median {sorted(delays)[len(delays) // 2] * 1000:.0f} ms"
          f"\n  facilitator's audio at 2 members during the outage: {frames_during} frames,"
          f" longest gap {audio.longest_gap * 1000:.0f} ms"
          f"\n  phase clock ran {phase_ran:.2f} s in {wall:.2f} s of server time"
          f"\n  longest event-loop stall: " + ", ".join(
              f"{name} {lag.longest * 1000:.0f} ms (at {lag.at:.1f} s)"
              for name, lag in lags.items()))
    for what, took, status, code in rest:
        print(f"  during the outage {what}: {status} {code} in {took * 1000:.0f} ms")
    print(f"  after the restart: the last state (version {last_version}) saved "
          f"{first_save:.2f} s after PostgreSQL was ready; GET /sessions/{{id}} 200 in "
          f"{rest_back * 1000:.0f} ms")
    assert max(delays) < BROADCAST_BOUND
    assert audio.longest_gap < 1.0
    assert frames_during > 0.5 * 50 * 2 * outage  # 50 frames a second at each of 2 members
