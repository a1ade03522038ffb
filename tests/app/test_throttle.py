"""Sign-in and invite links are throttled, and password hashing stays off the event loop.

The limits are small here (``limits`` parametrizes the settings) and the sign-in window is a
few seconds, so the bounded lockout is seen ending without waiting for minutes. The app sees
each browser at the address its transport gives (``browser(address)``).
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from app.core import security
from app.core.config import Settings
from app.core.throttle import forwarded_client
from app.media import rtc_config
from tests.app.conftest import PASSWORD, World, login, token_of


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only: the counts live in memory, whatever the database."""
    path = tmp_path / "rounds.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def limits() -> dict[str, Any]:
    return {}


@pytest.fixture
def settings(db_url: str, tmp_path: Path, limits: dict[str, Any]) -> Settings:
    return Settings(
        database_url=db_url,
        data_dir=tmp_path,
        secret_key="t" * 40,
        public_url="http://testserver",
        **limits,
    )


@pytest.fixture
async def browser(app: Any) -> Any:
    made: list[httpx.AsyncClient] = []

    def make(address: str = "127.0.0.1") -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(address, 40000)),
            base_url="http://testserver",
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


Browser = Callable[..., httpx.AsyncClient]
FA = "fa@trust.nhs.uk"


def refused(response: httpx.Response, *, code: str = "too_many_attempts") -> int:
    """Check a 429 in the app's error shape and return its Retry-After."""
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["error"] == code and "try again in" in body["detail"], body
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 1
    return retry_after


# --- sign-in: per account ---


@pytest.mark.parametrize("limits", [{"signin_failures_per_account": 3}])
async def test_an_account_is_refused_after_its_failures(world: World, browser: Browser) -> None:
    attacker = browser("203.0.113.7")
    for _ in range(3):
        assert (await login(attacker, FA, "not the password")).status_code == 401
    # the fourth attempt is refused before the password is checked, the right one too, and
    # from any address; the window is the default five minutes, so Retry-After says so
    assert refused(await login(attacker, FA)) <= 300
    assert 240 < refused(await login(browser("198.51.100.1"), FA)) <= 300
    # the lock is the account's: the attacker's address may still sign in elsewhere
    assert (await login(browser("203.0.113.7"), "fb@trust.nhs.uk")).status_code == 200
    # an unknown email is counted (and refused) just the same: a 429 shows no account exists
    for _ in range(3):
        assert (await login(attacker, "nobody@trust.nhs.uk", "guess")).status_code == 401
    refused(await login(attacker, "NOBODY@trust.nhs.uk ", "guess"))  # normalised email


@pytest.mark.parametrize(
    "limits", [{"signin_failures_per_account": 2, "signin_window_seconds": 2}]
)
async def test_the_lockout_ends_with_the_window(world: World, browser: Browser) -> None:
    attacker, facilitator = browser("203.0.113.7"), browser("198.51.100.1")
    for _ in range(2):
        assert (await login(attacker, FA, "not the password")).status_code == 401
    retry_after = refused(await login(facilitator, FA))
    assert retry_after <= 2  # bounded by the window, never "until an admin unlocks it"
    await asyncio.sleep(retry_after + 0.2)
    assert (await login(facilitator, FA)).status_code == 200
    # the success cleared the count: one mistake now is a plain 401, not a lockout
    assert (await login(attacker, FA, "not the password")).status_code == 401
    assert (await login(facilitator, FA)).status_code == 200


@pytest.mark.parametrize("limits", [{"signin_failures_per_account": 3}])
async def test_parallel_guesses_cannot_overrun_the_count(world: World, browser: Browser) -> None:
    attacker = browser("203.0.113.7")
    responses = await asyncio.gather(
        *(login(attacker, FA, f"guess {i}") for i in range(10))
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [401] * 3 + [429] * 7, codes


# --- sign-in: per address ---


@pytest.mark.parametrize(
    "limits", [{"signin_failures_per_address": 4, "signin_failures_per_account": 100}]
)
async def test_an_address_is_refused_after_its_failures(world: World, browser: Browser) -> None:
    sprayer = browser("203.0.113.7")
    for i in range(4):  # one guess at each of four emails
        assert (await login(sprayer, f"user{i}@trust.nhs.uk", "Winter2024!")).status_code == 401
    refused(await login(sprayer, FA))  # this address is done for now, whatever it sends
    # the account itself is not locked: the facilitator signs in from their own address
    assert (await login(browser("198.51.100.1"), FA)).status_code == 200


@pytest.mark.parametrize("limits", [{"signin_failures_per_address": 2}])
async def test_successes_do_not_use_up_an_address(world: World, browser: Browser) -> None:
    """Many facilitators of one trust may share its address: only failures count."""
    for _ in range(6):
        assert (await login(browser("192.0.2.1"), FA)).status_code == 200


# --- password hashing off the event loop ---


class Verifications:
    """Counts the password verifications running, and times them (wraps
    ``security.verify_password``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.running = 0
        self.took: list[float] = []
        real = security.verify_password

        def counted(password: str, hashed: str | None) -> bool:
            self.running += 1
            start = time.perf_counter()
            try:
                return real(password, hashed)
            finally:
                self.took.append(time.perf_counter() - start)
                self.running -= 1

        monkeypatch.setattr(security, "verify_password", counted)


async def _burst(
    browser: Browser, probe: httpx.AsyncClient, verifications: Verifications, n: int
) -> tuple[int, list[float]]:
    """n wrong-password sign-ins in parallel, and /healthz asked again and again, 10 ms apart,
    while they run. Returns how many /healthz answers came while a verification was running,
    and every /healthz latency counted from when it was due (a stalled loop delays both the
    asking and the answer)."""
    during = 0
    latencies: list[float] = []
    sign_ins = asyncio.gather(
        *(login(browser(f"203.0.113.{i}"), f"user{i}@trust.nhs.uk", "x") for i in range(n))
    )
    while not sign_ins.done():
        due = time.perf_counter() + 0.01
        await asyncio.sleep(0.01)
        assert (await probe.get("/healthz")).status_code == 200
        latencies.append(time.perf_counter() - due)
        during += verifications.running > 0
    assert all(r.status_code == 401 for r in await sign_ins)
    return during, latencies


async def test_a_sign_in_burst_leaves_the_loop_free(
    world: World, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compared with verifying on the loop (as before), not against a fixed time: the machine
    may be slow or shared."""
    probe = browser("192.0.2.50")
    await probe.get("/healthz")
    verifications = Verifications(monkeypatch)

    during, latencies = await _burst(browser, probe, verifications, 6)
    # /healthz answers again and again while the verifications run
    assert during >= 5, (during, latencies)
    assert len(verifications.took) == 6

    # the same burst with verification on the loop (the defect), to compare with
    async def on_the_loop(password: str, hashed: str | None) -> bool:
        return security.verify_password(password, hashed)

    verifications.took.clear()
    with monkeypatch.context() as patch:
        patch.setattr("app.accounts.service.verify_password_off_loop", on_the_loop)
        during_before, latencies_before = await _burst(browser, probe, verifications, 4)
    stall = statistics.median(verifications.took)  # how long the loop stalled each time
    # nothing else runs while a password is verified, and /healthz waits as long
    assert during_before == 0, during_before
    assert max(latencies_before) > stall / 2, (latencies_before, stall)
    # off the loop, /healthz waits a small fraction of that
    assert statistics.median(latencies) < stall / 5, (latencies, stall)


async def test_hashing_runs_in_its_own_threads() -> None:
    hashed = await security.hash_password_off_loop(PASSWORD)
    assert await security.verify_password_off_loop(PASSWORD, hashed)
    assert not await security.verify_password_off_loop("wrong", hashed)
    assert not await security.verify_password_off_loop("wrong", None)


# --- invite links ---


@pytest.mark.parametrize("limits", [{"invite_requests_per_minute": 3}])
async def test_invite_links_are_throttled_per_address(world: World, browser: Browser) -> None:
    token = token_of((await world.invite())["link"])
    guesser = browser("203.0.113.7")
    for _ in range(2):
        response = await guesser.post("/api/v1/invites/resolve", json={"token": token})
        assert response.status_code == 200
    guess = await guesser.post("/api/v1/invites/resolve", json={"token": "x" * 43})
    assert guess.status_code == 404  # a wrong guess counts too
    # resolving and accepting share the count
    for path, body in (
        ("/api/v1/invites/resolve", {"token": token}),
        ("/api/v1/invites/accept", {"token": token, "display_name": "Dr Ada"}),
    ):
        assert 55 <= refused(await guesser.post(path, json=body), code="too_many_requests") <= 60
    # another address is not held back
    doctor = browser("198.51.100.1")
    assert (await doctor.post("/api/v1/invites/resolve", json={"token": token})).status_code == 200
    accepted = await doctor.post(
        "/api/v1/invites/accept", json={"token": token, "display_name": "Dr Ada"}
    )
    assert accepted.status_code == 201, accepted.text


# --- the client address ---


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    header = ["198.51.100.9, 203.0.113.5"]
    # no trusted proxy: the peer is the client, whatever the header says
    assert forwarded_client("172.18.0.3", header, []) == "172.18.0.3"
    # the proxy appended the address it saw: the nearest untrusted hop is the client
    assert forwarded_client("172.18.0.3", header, ["172.18.0.0/16"]) == "203.0.113.5"
    # a peer outside the trusted networks cannot choose its address
    assert forwarded_client("203.0.113.5", ["10.0.0.1"], ["172.18.0.0/16"]) == "203.0.113.5"
    # a chain of trusted proxies is walked through
    assert forwarded_client("10.0.0.2", ["203.0.113.5, 10.0.0.1"], ["10.0.0.0/8"]) == "203.0.113.5"
    assert forwarded_client("10.0.0.2", [], ["10.0.0.0/8"]) == "10.0.0.2"


@pytest.mark.parametrize(
    "limits", [{"trusted_proxies": ["10.0.0.0/8"], "signin_failures_per_address": 3}]
)
async def test_a_trusted_proxy_passes_the_client_address(world: World, browser: Browser) -> None:
    proxy = browser("10.0.0.2")
    emails = iter(f"user{i}@trust.nhs.uk" for i in range(10))

    async def attempt(client_ip: str) -> int:
        response = await proxy.post(
            "/api/v1/auth/login",
            json={"email": next(emails), "password": "x"},
            headers={"x-forwarded-for": client_ip},
        )
        return response.status_code

    # failures of one client behind the proxy refuse that client, not everyone behind it
    assert [await attempt("203.0.113.7") for _ in range(3)] == [401] * 3
    assert await attempt("203.0.113.7") == 429
    assert await attempt("203.0.113.8") == 401


def test_settings_refuse_a_proxy_that_is_no_address() -> None:
    with pytest.raises(ValidationError, match="not an IP address"):
        Settings(trusted_proxies=["caddy"])


def test_the_media_server_gets_the_connection_limits() -> None:
    settings = Settings(
        rtc_connections_per_address=5,
        rtc_unjoined_per_address=2,
        rtc_join_timeout=9.0,
        trusted_proxies=["172.18.0.0/16"],
    )
    config = rtc_config(settings)
    assert config.max_connections_per_address == 5
    assert config.max_unjoined_per_address == 2
    assert config.join_timeout == 9.0
    assert config.trusted_proxies == ("172.18.0.0/16",)
