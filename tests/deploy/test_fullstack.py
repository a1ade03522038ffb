"""FULL STACK: two headless Chromium pages in one session, through the real deployment path.

    Chromium --https/wss--> caddy (deploy/Caddyfile) --> uvicorn app (+ media server at /rtc)
    Chromium --TURN/UDP--> coturn (deploy/turnserver.conf) --> media server

Everything is set up through the API over HTTPS as a facilitator would; each page gets its join
grant from `POST /sessions/{id}/join`, and its RTCPeerConnections are forced to
`iceTransportPolicy: "relay"` with the grant's TURN credentials, so media can only flow through
coturn. The test passes when each page decodes the other's video and the selected candidate pair
of every connection is a relay candidate. The page is the media server's own test page
(rtc/testpage), served by the test's app factory, because the room page is still being built.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import ifaddr
import pytest

from app.accounts.service import create_account
from app.core.db import create_engine, db_factory, transaction
from app.core.migrate import upgrade
from tests.app.conftest import PASSWORD
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.deploy.services import (
    binary,
    free_port,
    running,
    self_signed,
    shared_dir,
    tail,
    wait_tcp,
)
from tests.deploy.test_coturn import SECRET, turn_argv, turn_config

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
# Make every peer connection use the app's ICE servers (from the join grant) and relay only.
FORCE_RELAY = """
(() => {
  const grant = JSON.parse(decodeURIComponent(new URLSearchParams(location.hash.slice(1))
                                                 .get("ice") || "[]"));
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = function (config, ...rest) {
    const iceServers = grant.map((s) => ({ urls: s.urls, username: s.username ?? undefined,
                                          credential: s.credential ?? undefined }));
    const pc = new Native({ ...(config || {}), iceServers, iceTransportPolicy: "relay" }, ...rest);
    window.__pcs.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
})();
"""
SELECTED_TYPES = """
async () => {
  const out = [];
  for (const pc of window.__pcs) {
    if (pc.connectionState === "closed") continue;
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((s) => { if (s.type === "transport" && s.selectedCandidatePairId)
                             pair = stats.get(s.selectedCandidatePairId); });
    if (!pair) stats.forEach((s) => { if (s.type === "candidate-pair" && s.nominated
                                        && s.state === "succeeded") pair = s; });
    const local = pair ? stats.get(pair.localCandidateId) : null;
    out.push(local ? [local.candidateType, local.url || "", local.port] : ["none", "", 0]);
  }
  return out;
}
"""


@dataclass
class Deployment:
    base: str
    cert: Path
    logs: dict[str, Path]
    turn_udp: int
    relay: tuple[int, int]
    app_port: int

    def ssl(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


async def _admin(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async for db in transaction(db_factory(engine)):
            await create_account(db, email="fa@trust.nhs.uk", display_name="Dr F",
                                 password=PASSWORD, is_admin=True)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    require_chromium()
    caddy, turnserver = binary("caddy"), binary("turnserver")
    directory = tmp_path_factory.mktemp("fullstack")
    cert, key = self_signed(directory, names=("localhost",))
    turn_udp, turn_tls, app_port, https, http = (free_port() for _ in range(5))
    turn_dir = directory / "turn"
    turn_dir.mkdir()
    with shared_dir() as userdb:
        turn_conf, _ = turn_config(turn_dir, turn_udp, turn_tls, userdb)
        db = f"sqlite+aiosqlite:///{directory / 'rounds.db'}"
        upgrade(db)
        asyncio.run(_admin(db))
        logs = {n: directory / f"{n}.log" for n in ("coturn", "app", "caddy")}
        app_env = {
            "ROUNDS_DATABASE_URL": db, "ROUNDS_SECRET_KEY": "s" * 40, "ROUNDS_ENV": "production",
            "ROUNDS_PUBLIC_URL": f"https://localhost:{https}",
            "ROUNDS_ICE_SERVERS": json.dumps([f"turn:127.0.0.1:{turn_udp}?transport=udp"]),
            "ROUNDS_TURN_SECRET": SECRET, "ROUNDS_TEST_SERVE_RTC_TESTPAGE": "1"}
        caddy_env = {"ROUNDS_DOMAIN": "localhost", "ROUNDS_TLS": f"{cert} {key}",
                     "ROUNDS_UPSTREAM": f"127.0.0.1:{app_port}", "ROUNDS_HTTPS_PORT": str(https),
                     "ROUNDS_HTTP_PORT": str(http), "HOME": str(directory),
                     "XDG_DATA_HOME": str(directory / "data"),
                     "XDG_CONFIG_HOME": str(directory / "config")}
        uvicorn = [sys.executable, "-m", "uvicorn", "tests.deploy.asgi_app:make_app", "--factory",
                   "--host", "127.0.0.1", "--port", str(app_port), "--no-access-log"]
        # The media server runs on this host, not at a fixed address on a bridge: its
        # candidates are the host's addresses, which are coturn's allowed peers here.
        peers = [ip.ip for adapter in ifaddr.get_adapters() for ip in adapter.ips
                 if isinstance(ip.ip, str) and not ip.ip.startswith("127.")]
        with running(turn_argv(turnserver, turn_conf, peers), logs["coturn"]) as turn, \
                running(uvicorn, logs["app"], env=app_env, cwd=ROOT) as app, \
                running([caddy, "run", "--config", str(ROOT / "deploy" / "Caddyfile"), "--adapter",
                         "caddyfile"], logs["caddy"], env=caddy_env, cwd=directory) as proxy:
            wait_tcp(turn_udp, turn, logs["coturn"])
            wait_tcp(app_port, app, logs["app"], timeout=30)
            wait_tcp(https, proxy, logs["caddy"])
            conf = Path(turn_conf).read_text()
            relay = (int(re.search(r"^min-port=(\d+)", conf, re.M)[1]),  # type: ignore[index]
                     int(re.search(r"^max-port=(\d+)", conf, re.M)[1]))  # type: ignore[index]
            yield Deployment(f"https://localhost:{https}", cert, logs, turn_udp, relay,
                             app_port)


async def _call(client: httpx.AsyncClient, method: str, path: str, **kw: Any) -> Any:
    headers = {"x-csrf-token": client.cookies.get("rounds_csrf") or ""}
    response = await client.request(method, f"/api/v1{path}", headers=headers, **kw)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


async def _grants(d: Deployment) -> list[dict[str, Any]]:
    """Through caddy, as facilitators would: a group, a co-facilitator, a session, two grants."""
    async with httpx.AsyncClient(base_url=d.base, verify=d.ssl(), timeout=15) as fa, \
            httpx.AsyncClient(base_url=d.base, verify=d.ssl(), timeout=15) as fb:
        await _call(fa, "POST", "/auth/login",
                    json={"email": "fa@trust.nhs.uk", "password": PASSWORD})
        me = await _call(fa, "GET", "/auth/me")
        co = await _call(fa, "POST", "/accounts", json={
            "email": "fb@trust.nhs.uk", "display_name": "Dr B", "password": PASSWORD})
        group = await _call(fa, "POST", "/groups", json={"name": "FY1", "facilitator_id": me["id"]})
        await _call(fa, "POST", f"/groups/{group['id']}/facilitators",
                    json={"account_id": co["id"], "role": "co-facilitator"})
        start = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        session = await _call(fa, "POST", f"/groups/{group['id']}/sessions",
                              json={"scheduled_start": start})
        await _call(fa, "PATCH", f"/sessions/{session['id']}", json={"status": "open"})
        await _call(fb, "POST", "/auth/login",
                    json={"email": "fb@trust.nhs.uk", "password": PASSWORD})
        rules = {"ground_rules_version": 1}
        return [await _call(c, "POST", f"/sessions/{session['id']}/join", json=rules)
                for c in (fa, fb)]


async def test_two_browsers_exchange_video_through_caddy_and_coturn(d: Deployment) -> None:
    from playwright.async_api import async_playwright

    grants = await _grants(d)
    for grant in grants:
        assert any(u.startswith("turn:") for s in grant["ice_servers"] for u in s["urls"])
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM),
                                           args=CHROMIUM_ARGS)
        try:
            pages = []
            for grant in grants:
                context = await browser.new_context(ignore_https_errors=True)
                await context.add_init_script(FORCE_RELAY)
                page = await context.new_page()
                ice = json.dumps(grant["ice_servers"])
                await page.goto(f"{d.base}/testpage/index.html#token={grant['token']}"
                                f"&ice={httpx.URL('', params={'x': ice}).query.decode()[2:]}")
                pages.append((grant["participant_id"], page))
            for _, page in pages:
                await asyncio.wait_for(page.evaluate("window.rtc.ready"), 30)

            deadline = time.monotonic() + 60
            while True:
                counts = {pid: dict(await page.evaluate("window.rtc.framesDecoded()"))
                          for pid, page in pages}
                if all(counts[me].get(other, 0) >= 20
                       for me, _ in pages for other, _ in pages if other != me):
                    break
                assert time.monotonic() < deadline, (
                    f"frames decoded so far: {counts}\n{tail(d.logs['coturn'])[-1500:]}\n"
                    f"{tail(d.logs['app'])[-1500:]}")
                await asyncio.sleep(0.5)
            for _, page in pages:
                # Publish and subscribe connections: each on a coturn relay port from the grant.
                selected = await page.evaluate(SELECTED_TYPES)
                assert len(selected) >= 2, selected
                for kind, url, port in selected:
                    assert kind == "relay", selected
                    assert url == f"turn:127.0.0.1:{d.turn_udp}?transport=udp", selected
                    assert d.relay[0] <= port <= d.relay[1], (selected, d.relay)
            # Prometheus, scraping the app directly: counts only, no participant ids.
            async with httpx.AsyncClient(timeout=5) as prometheus:
                metrics = (await prometheus.get(f"http://127.0.0.1:{d.app_port}/metrics")).text
            assert "\nrounds_rooms 1\n" in metrics and "\nrounds_participants 2\n" in metrics
            forwarded = re.search(r"\nrounds_forwarded_video_packets (\d+)", metrics)
            assert forwarded and int(forwarded.group(1)) > 0, "no video was forwarded"
            assert not any(pid in metrics for pid, _ in pages)
        finally:
            await browser.close()


@pytest.fixture
def d(deployment: Deployment) -> Deployment:
    return deployment
