"""The embedded default's own media workers (issue 16, app/workers.py): `rounds serve` with
nothing but SQLite starts one `rounds media` worker per core on a bus of its own (a Unix
socket, no Redis), and relays each page's signalling to its room's worker. Real processes,
real aiortc peers through the relay; tests/frontend/test_embedded_workers.py walks it in
Chromium."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from app.core.config import Settings, derived_key
from rtc import jointoken
from rtc.client import Client
from tests.deploy.services import free_port, media_workers

ROOT = Path(__file__).resolve().parents[2]
SECRET = "workers-test-" + "s" * 32


@dataclass
class Serving:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    @property
    def ws(self) -> str:
        return self.base.replace("http", "ws", 1)

    def workers(self) -> dict[str, int]:
        """The worker processes this one started: id -> pid."""
        return media_workers(self.process.pid)

    def token(self, participant: str, room: str = "room-1", worker: str = "local-1") -> str:
        key = derived_key(Settings(secret_key=SECRET), "join-token")  # type: ignore[arg-type]
        return jointoken.issue(key, jointoken.JoinClaims(
            room=room, participant=participant, role="member", name=f"Dr {participant}",
            expires_at=int(time.time() + 300), worker=worker))


def wait_for(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[Serving]:
    port = free_port()
    env = {**os.environ, "ROUNDS_DATA_DIR": str(tmp_path), "ROUNDS_PORT": str(port),
           "ROUNDS_HOST": "127.0.0.1", "ROUNDS_SECRET_KEY": SECRET,
           "ROUNDS_TRUSTED_PROXIES": '["127.0.0.1"]'}
    for name in ("ROUNDS_DATABASE_URL", "ROUNDS_PUBLIC_URL", "ROUNDS_MEDIA_WORKERS",
                 "ROUNDS_MEDIA_BUS"):
        env.pop(name, None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], cwd=ROOT,
                                   env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # (as a terminal's job)
    serving = Serving(process, f"http://127.0.0.1:{port}", log)
    try:
        def ready() -> bool:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                return httpx.get(f"{serving.base}/readyz", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(ready, 60, "rounds serve ready")
        yield serving
    finally:
        workers = serving.workers()
        if process.poll() is None:
            process.terminate()
            process.wait(20)
        for pid in workers.values():  # (none should be left: said by the tests)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


async def _frames(client: Client, participant: str, more_than: int = 10) -> None:
    for _ in range(200):
        if client.frames_from(participant, "video") > more_than:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no video from {participant}")


async def _closed(client: Client, since: int) -> int:
    message = await client.expect("_closed", timeout=15, since=since)
    return int(message["code"])


def test_serve_runs_the_rooms_on_its_own_workers_and_starts_a_dead_one_again(
        serving: Serving) -> None:
    cores = len(os.sched_getaffinity(0))
    workers = serving.workers()
    assert sorted(workers) == [f"local-{n}" for n in range(1, cores + 1)]  # one per core
    wait_for(lambda: all(f'rounds_placement_worker_capacity{{worker="{worker}"}} 1000'
                         in httpx.get(f"{serving.base}/metrics").text for worker in workers),
             5, "each worker's load, over the bus, on /metrics")

    async def media() -> tuple[Client, Client]:
        url = f"{serving.ws}/rtc/local-1"
        amira = Client(url, serving.token("amira"), audio=AudioStreamTrack(),
                       video=VideoStreamTrack())
        ben = Client(url, serving.token("ben"))
        await amira.connect(publish=True)
        await ben.connect(publish=False)
        await _frames(ben, "amira")  # forwarded by the worker, through the relay
        async with httpx.AsyncClient() as http:  # the worker's own figures, on the app's
            metrics = (await http.get(f"{serving.base}/metrics")).text
        assert 'rounds_participants{worker="local-1"} 2' in metrics
        return amira, ben

    async def limits() -> None:
        """The worker counts each client's own address (the relay names it), not the API's:
        a client with 8 sockets that have not joined is refused a 9th; another is not."""
        url = f"{serving.ws}/rtc/local-1"
        held = [await websockets.connect(url, additional_headers={"X-Forwarded-For":
                                                                  "10.0.0.1"})
                for _ in range(8)]
        for held_socket in held:  # each reached the worker (a hello is answered)
            await held_socket.send('{"type": "hello", "version": 1}')
            assert '"hello"' in await held_socket.recv()
        async with websockets.connect(url, additional_headers={
                "X-Forwarded-For": "10.0.0.1"}) as ninth:
            assert '"too_many_connections"' in await ninth.recv()
        async with websockets.connect(url, additional_headers={
                "X-Forwarded-For": "10.0.0.2"}) as other:
            await other.send('{"type": "hello", "version": 1}')
            assert '"hello"' in await other.recv()
        for held_socket in held:
            await held_socket.close()

    async def killed(amira: Client, ben: Client) -> None:
        since = ben.mark()
        os.kill(workers["local-1"], signal.SIGKILL)  # mid-call
        assert await _closed(ben, since) == 1012  # "service restart": the page joins again
        await amira.close(leave=False)
        await ben.close(leave=False)

    async def back() -> None:
        amira, ben = await media()
        await amira.close()
        await ben.close()

    async def run() -> None:
        amira, ben = await media()
        await limits()
        await killed(amira, ben)
        wait_for(lambda: serving.workers().get("local-1") not in (None, workers["local-1"]),
                 15, "local-1 started again")
        for _ in range(100):  # its first heartbeat, then its room again
            try:
                await back()
                return
            except (AssertionError, OSError, websockets.InvalidStatus):
                await asyncio.sleep(0.2)
        await back()

    asyncio.run(run())
    assert serving.workers()["local-2" if cores > 1 else "local-1"]  # the others untouched

    running = serving.workers()
    serving.process.kill()  # the API dies: its workers see the bus close and stop
    serving.process.wait(10)
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in running.values()), 15,
             "the workers stopped with the API")


def test_sigterm_stops_the_workers_and_leaves_no_socket(serving: Serving) -> None:
    workers = serving.workers()
    assert workers
    sockets = [line for line in serving.log.read_text().splitlines() if "unix socket" in line]
    directory = Path(sockets[0].split("unix socket ", 1)[1].split(" ", 1)[0]).parent
    assert directory.is_dir()
    serving.process.terminate()
    assert serving.process.wait(20) in (0, -signal.SIGTERM)  # (uvicorn raises it again)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers.values())
    assert not directory.exists()


def test_ctrl_c_in_a_terminal_stops_the_workers_in_order(serving: Serving) -> None:
    """Ctrl+C signals the terminal's whole job: the app, not its workers (a session of their
    own), which it then stops; none is started again on the way down."""
    workers = serving.workers()
    for pid in workers.values():  # the job's signals do not reach them
        assert os.getpgid(pid) != os.getpgid(serving.process.pid)
    os.killpg(serving.process.pid, signal.SIGINT)
    assert serving.process.wait(20) in (0, -signal.SIGINT)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers.values())
    assert "starting it again" not in serving.log.read_text()

