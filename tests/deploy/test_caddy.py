"""Real caddy with deploy/Caddyfile (the trust-certificate form of `tls`), in front of the app
run by uvicorn on loopback: HTTPS, the security headers, the /rtc WebSocket upgrade, a media
worker's signalling path routed to it (deploy/workers/media-1.caddy, pointed at a `rounds
media` process on loopback), /metrics kept off the web name and served on the metrics port
only, and HTTP redirected to HTTPS."""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets

from app.core.migrate import upgrade
from tests.deploy.services import binary, free_port, running, self_signed, tail, wait_tcp

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10.0


@dataclass
class Stack:
    https: int
    http: int
    metrics: int
    cert: Path
    caddy_log: Path
    app_log: Path
    worker_log: Path

    @property
    def base(self) -> str:
        return f"https://localhost:{self.https}"

    def ssl(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    caddy = binary("caddy")
    directory = tmp_path_factory.mktemp("caddy")
    cert, key = self_signed(directory, names=("localhost",))
    db = f"sqlite+aiosqlite:///{directory / 'rounds.db'}"
    upgrade(db)
    app_port, https, http, metrics = free_port(), free_port(), free_port(), free_port()
    app_env = {"ROUNDS_DATABASE_URL": db, "ROUNDS_SECRET_KEY": "s" * 40,
               "ROUNDS_PUBLIC_URL": f"https://localhost:{https}", "ROUNDS_ENV": "production"}
    caddy_env = {"ROUNDS_DOMAIN": "localhost", "ROUNDS_TLS": f"{cert} {key}",
                 "ROUNDS_UPSTREAM": f"127.0.0.1:{app_port}", "ROUNDS_HTTPS_PORT": str(https),
                 "ROUNDS_HTTP_PORT": str(http), "ROUNDS_METRICS_PORT": str(metrics),
                 "HOME": str(directory),
                 "XDG_DATA_HOME": str(directory / "data"),
                 "XDG_CONFIG_HOME": str(directory / "config")}
    worker_port = free_port()
    workers = directory / "workers"  # the shipped route, to a worker on loopback
    workers.mkdir()
    route = (ROOT / "deploy" / "workers" / "media-1.caddy").read_text()
    (workers / "media-1.caddy").write_text(route.replace("media-1:8101",
                                                         f"127.0.0.1:{worker_port}"))
    caddy_env["ROUNDS_WORKERS_DIR"] = str(workers)
    worker = [sys.executable, "-m", "app.cli", "media", "--id", "media-1", "--bus",
              "redis://127.0.0.1:1/0", "--host", "127.0.0.1", "--port", str(worker_port)]
    worker_log = directory / "worker.log"  # (no Redis: it signals all the same)
    app_log, caddy_log = directory / "app.log", directory / "caddy.log"
    uvicorn = [sys.executable, "-m", "uvicorn", "tests.deploy.asgi_app:make_app", "--factory",
               "--host", "127.0.0.1", "--port", str(app_port), "--no-access-log",
               "--proxy-headers"]
    with running(uvicorn, app_log, env=app_env, cwd=ROOT) as app_process, \
            running(worker, worker_log, env=app_env, cwd=ROOT) as worker_process:
        wait_tcp(app_port, app_process, app_log)
        wait_tcp(worker_port, worker_process, worker_log)
        with running([caddy, "run", "--config", str(ROOT / "deploy" / "Caddyfile"),
                      "--adapter", "caddyfile"], caddy_log, env=caddy_env,
                     cwd=directory) as caddy_process:
            wait_tcp(https, caddy_process, caddy_log)
            wait_tcp(http, caddy_process, caddy_log)
            wait_tcp(metrics, caddy_process, caddy_log)
            yield Stack(https, http, metrics, cert, caddy_log, app_log, worker_log)


async def test_https_reaches_the_app_with_security_headers(stack: Stack) -> None:
    async with httpx.AsyncClient(verify=stack.ssl(), timeout=TIMEOUT) as client:
        response = await client.get(f"{stack.base}/healthz")
        assert response.status_code == 200, tail(stack.caddy_log)
        assert response.json() == {"status": "ok"}
        ready = await client.get(f"{stack.base}/readyz")
        assert ready.status_code == 200, ready.text
        page = await client.get(f"{stack.base}/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for headers in (response.headers, page.headers):
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["strict-transport-security"].startswith("max-age=31536000")
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert "camera=(self)" in headers["permissions-policy"]
        assert "server" not in headers


async def test_api_cookies_are_secure_through_the_proxy(stack: Stack) -> None:
    async with httpx.AsyncClient(verify=stack.ssl(), timeout=TIMEOUT) as client:
        response = await client.post(f"{stack.base}/api/v1/auth/login",
                                     json={"email": "nobody@trust.nhs.uk",
                                           "password": "not the password"})
    assert response.status_code == 401
    assert response.json()["error"] == "bad_credentials"
    assert response.headers["cache-control"] == "no-store"


async def test_websocket_upgrade_on_rtc_passes_through(stack: Stack) -> None:
    async with asyncio.timeout(TIMEOUT):
        async with websockets.connect(f"wss://localhost:{stack.https}/rtc", ssl=stack.ssl(),
                                      origin=stack.base) as ws:  # type: ignore[arg-type]
            assert ws.response is not None and ws.response.status_code == 101
            await ws.send("hello through caddy")
            reply = await ws.recv()
    # The media server answers a message that is not JSON with its `bad_json` error (the echo
    # stand-in, used while /rtc is not mounted, echoes it).
    assert reply == "echo:hello through caddy" or json.loads(reply)["code"] == "bad_json", (
        reply, tail(stack.app_log))


async def test_a_media_workers_path_reaches_that_worker(stack: Stack) -> None:
    async with asyncio.timeout(TIMEOUT):
        async with websockets.connect(f"wss://localhost:{stack.https}/rtc/media-1",
                                      ssl=stack.ssl(), origin=stack.base) as ws:
            await ws.send(json.dumps({"type": "hello", "version": 1}))
            hello = json.loads(await ws.recv())
            await ws.send(json.dumps({"type": "join", "token": "not-a-token"}))
            refused = json.loads(await ws.recv())
    assert hello["type"] == "hello", (hello, tail(stack.worker_log))
    assert refused["code"] == "bad_token"  # the worker's own answer
    # a worker with no route is not reached (it falls to the app, which serves /rtc only)
    with pytest.raises(websockets.InvalidStatus):
        async with asyncio.timeout(TIMEOUT):
            await websockets.connect(f"wss://localhost:{stack.https}/rtc/media-2",
                                     ssl=stack.ssl(), origin=stack.base)


async def test_metrics_are_not_exposed_at_the_edge(stack: Stack) -> None:
    async with httpx.AsyncClient(verify=stack.ssl(), timeout=TIMEOUT) as client:
        assert (await client.get(f"{stack.base}/metrics")).status_code == 404


async def test_metrics_port_serves_metrics_and_nothing_else(stack: Stack) -> None:
    # What docker-compose.yml publishes as ${ROUNDS_METRICS_IP}:9180, for Prometheus.
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        metrics = await client.get(f"http://127.0.0.1:{stack.metrics}/metrics")
        assert metrics.status_code == 200, tail(stack.caddy_log)
        assert "# TYPE rounds_http_requests_total counter" in metrics.text
        for other in ("/healthz", "/", "/api/v1/auth/me", "/metrics/../healthz"):
            assert (await client.get(f"http://127.0.0.1:{stack.metrics}{other}")).status_code \
                == 404, other


async def test_plain_http_redirects_to_https(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        response = await client.get(f"http://localhost:{stack.http}/join")
    assert response.status_code in (301, 308)
    assert response.headers["location"].startswith("https://localhost")
