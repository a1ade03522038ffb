from __future__ import annotations

import httpx
import pytest

from app.accounts.service import create_account
from app.core.config import Settings
from app.core.db import transaction
from tests.app.conftest import PASSWORD, World, login
from tests.conftest import Clients


@pytest.mark.parametrize(
    "path", ["/", "/join", "/static/join.js", "/api/v1/groups", "/api/v1/nowhere", "/no-such-page"]
)
async def test_security_headers_everywhere(clients: Clients, path: str) -> None:
    response = await clients.new().get(path)
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


async def test_errors_have_one_shape(clients: Clients) -> None:
    browser = clients.new()
    for response in (
        await browser.get("/api/v1/nowhere"),
        await browser.delete("/api/v1/groups"),
        await browser.post(
            "/api/v1/auth/login", content=b"\xff\xfe", headers={"content-type": "application/json"}
        ),
        await browser.post("/api/v1/auth/login", json=[1, 2]),
    ):
        assert 400 <= response.status_code < 500
        assert set(response.json()) == {"error", "detail"}


async def test_cookie_writes_need_the_csrf_header(world: World, clients: Clients) -> None:
    bare = clients.new(csrf=False)
    assert (await login(bare, "fa@trust.nhs.uk")).status_code == 200
    cookie = bare.cookies.get("rounds_account")
    assert cookie
    # reads work; a write without the header is refused and changes nothing
    assert (await bare.get("/api/v1/groups")).status_code == 200
    refused = await bare.patch(f"/api/v1/groups/{world.group_a['id']}", json={"name": "Hijacked"})
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    wrong = await bare.patch(
        f"/api/v1/groups/{world.group_a['id']}",
        json={"name": "Hijacked"},
        headers={"x-csrf-token": "guess"},
    )
    assert wrong.status_code == 403
    assert (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}")).json()[
        "name"
    ] != "Hijacked"
    # a cross-site page holds the session cookie but cannot read the csrf cookie
    attacker = clients.new(csrf=False)
    attacker.cookies.set("rounds_account", cookie)
    assert (
        await attacker.post(f"/api/v1/groups/{world.group_a['id']}/invites", json={})
    ).status_code == 403


async def test_device_writes_need_the_csrf_header(world: World, clients: Clients) -> None:
    browser, _ = await world.doctor()
    attacker = clients.new(csrf=False)
    attacker.cookies.set("rounds_device", browser.cookies.get("rounds_device"))
    refused = await attacker.post("/api/v1/me/forget")
    assert refused.status_code == 403
    assert len((await browser.get("/api/v1/me/memberships")).json()) == 1


async def test_cookie_flags(world: World, clients: Clients) -> None:
    response = await login(clients.new(), "fa@trust.nhs.uk", PASSWORD)
    cookies = response.headers.get_list("set-cookie")
    account = next(c for c in cookies if c.startswith("rounds_account="))
    csrf = next(c for c in cookies if c.startswith("rounds_csrf="))
    assert "HttpOnly" in account and "SameSite=lax" in account
    assert "HttpOnly" not in csrf and "SameSite=strict" in csrf
    assert "Secure" not in account  # served over http in this test


async def test_api_responses_are_not_cached(clients: Clients) -> None:
    response = await clients.new().get("/api/v1/auth/me")
    assert response.headers["cache-control"] == "no-store"


async def test_https_deployment_gets_secure_cookies_and_hsts(settings: Settings) -> None:
    from app.main import create_app

    secure = settings.model_copy(update={"public_url": "https://rounds.trust.nhs.uk"})
    app = create_app(secure)
    async with app.router.lifespan_context(app):
        async for db in transaction(app.state.db):
            await create_account(
                db, email="it@trust.nhs.uk", display_name="IT", password=PASSWORD, is_admin=True
            )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as browser:
            response = await login(browser, "it@trust.nhs.uk")
            assert response.status_code == 200
            for cookie in response.headers.get_list("set-cookie"):
                assert "Secure" in cookie, cookie
            assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_scripts_are_compressed_for_phones(clients: Clients) -> None:
    response = await clients.new().get("/static/protocol.js", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "default-src 'self'" in response.headers["content-security-policy"]


async def test_the_csrf_cookie_outlives_a_short_sign_in(world: World, clients: Clients) -> None:
    browser, _ = await world.doctor("Dr Ada")
    signin = await login(browser, "fa@trust.nhs.uk")
    csrf = next(c for c in signin.headers.get_list("set-cookie") if c.startswith("rounds_csrf="))
    account = next(c for c in signin.headers.get_list("set-cookie")
                   if c.startswith("rounds_account="))
    assert "Max-Age=15552000" in csrf  # the device cookie's 180 days, not the sign-in's 12 hours
    assert "Max-Age=43200" in account
