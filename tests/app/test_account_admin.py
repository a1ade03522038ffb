"""An admin manages accounts: create (with a one-time password link, or for single sign-on
only), edit, disable and enable, reset a password; the public password-link routes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from app.accounts.models import PasswordLink
from app.core.config import Settings
from app.core.db import transaction
from tests.app.conftest import PASSWORD, World, login
from tests.conftest import Clients

NEW_PASSWORD = "a long new password of mine"


@pytest.fixture
def settings(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """The usual settings; a test may parametrize the per-address failure limit."""
    return Settings(
        database_url=db_url,
        data_dir=tmp_path,
        secret_key="t" * 40,
        public_url="http://testserver",
        signin_failures_per_address=getattr(request, "param", 20),
    )


def token_of(link: str) -> str:
    assert link.startswith("http://testserver/set-password#"), link
    return link.split("#", 1)[1]


async def create(world: World, **body: Any) -> dict[str, Any]:
    body = {"email": "new@trust.nhs.uk", "display_name": "Dr New Facilitator", **body}
    response = await world.admin.post("/api/v1/accounts", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def set_password(
    client: httpx.AsyncClient, token: str, password: str = NEW_PASSWORD
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/set-password", json={"token": token, "password": password}
    )


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"} and body["detail"], body
    code: str = body["error"]
    return code


async def listed(world: World, account_id: str) -> dict[str, Any]:
    accounts = (await world.admin.get("/api/v1/accounts")).json()
    found: dict[str, Any] = next(a for a in accounts if a["id"] == account_id)
    return found


async def test_a_password_link_sets_the_password_once(
    world: World, clients: Clients, app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    created = await create(world, password_link=True)
    token = token_of(created["password_link"])
    assert created["has_password"] is False
    expires = datetime.fromisoformat(created["password_link_expires_at"])
    assert timedelta(hours=71) < expires - datetime.now(UTC) <= timedelta(hours=72)
    async for db in transaction(app.state.db):  # only the token's hash is stored
        stored = list(await db.scalars(select(PasswordLink.token_hash)))
        assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    assert "password_link" not in await listed(world, created["id"])  # shown once only

    browser = clients.new()
    error(await login(browser, "new@trust.nhs.uk", NEW_PASSWORD), 401)
    preview = await browser.post("/api/v1/auth/password-link", json={"token": token})
    assert preview.status_code == 200, preview.text
    assert preview.json()["email"] == "new@trust.nhs.uk"
    assert preview.json()["display_name"] == "Dr New Facilitator"
    assert (await set_password(browser, token)).status_code == 204
    assert (await login(browser, "new@trust.nhs.uk", NEW_PASSWORD)).status_code == 200
    assert (await browser.get("/api/v1/auth/me")).json()["id"] == created["id"]

    again = clients.new()
    assert error(await set_password(again, token, "another long password"), 410) == (
        "password_link_used"
    )
    check = await again.post("/api/v1/auth/password-link", json={"token": token})
    assert error(check, 410) == "password_link_used"
    error(await login(again, "new@trust.nhs.uk", "another long password"), 401)
    shown = await listed(world, created["id"])
    assert shown["has_password"] is True and shown["password_link_expires_at"] is None
    assert token not in caplog.text and "new@trust.nhs.uk" not in caplog.text


async def test_an_expired_password_link_is_refused(
    world: World, clients: Clients, app: Any
) -> None:
    created = await create(world, password_link=True)
    token = token_of(created["password_link"])
    async for db in transaction(app.state.db):
        await db.execute(
            update(PasswordLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    browser = clients.new()
    check = await browser.post("/api/v1/auth/password-link", json={"token": token})
    assert error(check, 410) == "password_link_expired"
    assert error(await set_password(browser, token), 410) == "password_link_expired"
    assert (await listed(world, created["id"]))["password_link_expires_at"] is None


async def test_an_account_for_single_sign_on_only_has_no_password(
    world: World, clients: Clients
) -> None:
    created = await create(world)
    assert created["has_password"] is False and created["password_link"] is None
    assert created["password_link_expires_at"] is None and created["disabled_at"] is None
    error(await login(clients.new(), "new@trust.nhs.uk", ""), 422)
    error(await login(clients.new(), "new@trust.nhs.uk", PASSWORD), 401)


async def test_a_reset_ends_the_sign_ins_and_the_old_password(
    world: World, clients: Clients
) -> None:
    first = await world.admin.post(f"/api/v1/accounts/{world.fa_id}/password-link")
    assert first.status_code == 200, first.text
    assert first.json()["has_password"] is False
    assert error(await world.fa.get("/api/v1/auth/me"), 401) == "sign_in_required"
    error(await login(clients.new(), "fa@trust.nhs.uk", PASSWORD), 401)

    second = await world.admin.post(f"/api/v1/accounts/{world.fa_id}/password-link")
    old, new = token_of(first.json()["password_link"]), token_of(second.json()["password_link"])
    assert old != new
    browser = clients.new()
    assert error(await set_password(browser, old), 410) == "password_link_revoked"
    assert (await set_password(browser, new)).status_code == 204
    assert (await login(browser, "fa@trust.nhs.uk", NEW_PASSWORD)).status_code == 200


async def test_disabling_ends_the_cookies_and_the_sign_in(world: World, clients: Clients) -> None:
    copy = clients.new()  # the same cookie in another browser
    copy.cookies.update(world.fa.cookies)
    disabled = await world.admin.post(f"/api/v1/accounts/{world.fa_id}/disable")
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["disabled_at"] is not None
    for browser in (world.fa, copy):
        assert error(await browser.get("/api/v1/auth/me"), 401) == "sign_in_required"
    error(await login(clients.new(), "fa@trust.nhs.uk"), 401)
    add = await world.admin.post(
        f"/api/v1/groups/{world.group_b['id']}/facilitators", json={"account_id": world.fa_id}
    )
    assert error(add, 422) == "unknown_account"

    enabled = await world.admin.post(f"/api/v1/accounts/{world.fa_id}/enable")
    assert enabled.status_code == 200 and enabled.json()["disabled_at"] is None
    for browser in (world.fa, copy):  # cookies from before stay dead
        assert error(await browser.get("/api/v1/auth/me"), 401) == "sign_in_required"
    assert (await login(clients.new(), "fa@trust.nhs.uk")).status_code == 200


async def test_a_disabled_account_cannot_use_its_password_link(
    world: World, clients: Clients
) -> None:
    created = await create(world, password_link=True)
    token = token_of(created["password_link"])
    assert (await world.admin.post(f"/api/v1/accounts/{created['id']}/disable")).status_code == 200
    browser = clients.new()
    check = await browser.post("/api/v1/auth/password-link", json={"token": token})
    assert error(check, 403) == "account_disabled"
    assert error(await set_password(browser, token), 403) == "account_disabled"
    assert (await world.admin.post(f"/api/v1/accounts/{created['id']}/enable")).status_code == 200
    assert (await set_password(browser, token)).status_code == 204
    assert (await login(browser, "new@trust.nhs.uk", NEW_PASSWORD)).status_code == 200


async def test_the_last_active_admin_stays(world: World, clients: Clients) -> None:
    me = (await world.admin.get("/api/v1/auth/me")).json()["id"]
    assert error(await world.admin.post(f"/api/v1/accounts/{me}/disable"), 409) == "last_admin"
    demote = await world.admin.patch(f"/api/v1/accounts/{me}", json={"is_admin": False})
    assert error(demote, 409) == "last_admin"
    assert (await world.admin.get("/api/v1/auth/me")).json()["is_admin"] is True

    promote = await world.admin.patch(f"/api/v1/accounts/{world.fa_id}", json={"is_admin": True})
    assert promote.status_code == 200 and promote.json()["is_admin"] is True
    demote = await world.admin.patch(f"/api/v1/accounts/{me}", json={"is_admin": False})
    assert demote.status_code == 200 and demote.json()["is_admin"] is False
    last = await world.fa.post(f"/api/v1/accounts/{world.fa_id}/disable")
    assert error(last, 409) == "last_admin"
    assert (await world.fa.post(f"/api/v1/accounts/{me}/disable")).status_code == 200


async def test_an_admin_edits_an_account(world: World) -> None:
    edited = await world.admin.patch(
        f"/api/v1/accounts/{world.fb_id}", json={"display_name": "  Dr B Renamed "}
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["display_name"] == "Dr B Renamed"
    assert edited.json()["is_admin"] is False and edited.json()["has_password"] is True
    assert (await world.fb.get("/api/v1/auth/me")).json()["display_name"] == "Dr B Renamed"


async def test_only_an_admin_manages_accounts(world: World, clients: Clients) -> None:
    aid = world.fb_id
    calls = [
        ("get", "/api/v1/accounts", None),
        ("post", "/api/v1/accounts", {"email": "x@trust.nhs.uk", "display_name": "X"}),
        ("patch", f"/api/v1/accounts/{aid}", {"is_admin": True}),
        ("post", f"/api/v1/accounts/{aid}/disable", None),
        ("post", f"/api/v1/accounts/{aid}/enable", None),
        ("post", f"/api/v1/accounts/{aid}/password-link", None),
    ]
    for method, path, body in calls:
        kwargs = {} if body is None else {"json": body}
        assert error(await getattr(world.fa, method)(path, **kwargs), 403) == "admin_required"
        anonymous = await getattr(clients.new(), method)(path, **kwargs)
        assert error(anonymous, 401) == "sign_in_required"
    assert (await world.fb.get("/api/v1/auth/me")).json()["is_admin"] is False


async def test_bad_input_gets_a_clear_error(world: World, clients: Clients) -> None:
    bad_creates = [
        {"email": "n@trust.nhs.uk", "display_name": "N", "password": PASSWORD,
         "password_link": True},
        {"email": "n@trust.nhs.uk", "display_name": "   "},
        {"email": "not an email", "display_name": "N"},
        {"email": "n@trust.nhs.uk", "display_name": "N", "role": "admin"},
    ]
    for body in bad_creates:
        assert error(await world.admin.post("/api/v1/accounts", json=body), 422) == (
            "invalid_request"
        )
    taken = await world.admin.post(
        "/api/v1/accounts", json={"email": "FA@trust.nhs.uk", "display_name": "Again"}
    )
    assert error(taken, 409) == "email_taken"
    missing = "00000000-0000-4000-8000-000000000000"
    for response in (
        await world.admin.patch(f"/api/v1/accounts/{missing}", json={"display_name": "X"}),
        await world.admin.post(f"/api/v1/accounts/{missing}/disable"),
        await world.admin.post(f"/api/v1/accounts/{missing}/password-link"),
    ):
        assert error(response, 404) == "account_not_found"
    assert error(await world.admin.post("/api/v1/accounts/nope/enable"), 422) == "invalid_request"
    browser = clients.new()
    short = await browser.post("/api/v1/auth/set-password", json={"token": "t", "password": "x"})
    assert error(short, 422) == "invalid_request"
    assert error(await set_password(browser, "no-such-token"), 404) == "password_link_not_found"


@pytest.mark.parametrize("settings", [2], indirect=True)
async def test_password_links_are_throttled_like_sign_in(
    world: World, clients: Clients
) -> None:
    token = token_of((await create(world, password_link=True))["password_link"])
    browser = clients.new()
    for _ in range(2):
        assert error(await set_password(browser, "guess"), 404) == "password_link_not_found"
    refused = await browser.post("/api/v1/auth/password-link", json={"token": token})
    assert error(refused, 429) == "too_many_attempts"
    assert int(refused.headers["retry-after"]) >= 1
    assert error(await set_password(browser, token), 429) == "too_many_attempts"
