from __future__ import annotations

from tests.app.conftest import PASSWORD, World, login
from tests.conftest import Clients


async def test_sign_in_and_out(world: World, clients: Clients) -> None:
    me = await world.fa.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == "fa@trust.nhs.uk"
    assert "password" not in me.text
    assert (await world.fa.post("/api/v1/auth/logout")).status_code == 204
    assert (await world.fa.get("/api/v1/auth/me")).status_code == 401


async def test_a_copied_account_cookie_dies_with_the_sign_out(world: World, clients: Clients
                                                             ) -> None:
    copy = clients.new()  # an attacker who copied the cookie before the sign-out
    copy.cookies.update(world.fa.cookies)
    assert (await copy.get("/api/v1/auth/me")).status_code == 200
    assert (await world.fa.post("/api/v1/auth/logout")).status_code == 204
    assert (await copy.get("/api/v1/auth/me")).status_code == 401
    again = clients.new()  # signing in again works as before
    assert (await login(again, "fa@trust.nhs.uk", PASSWORD)).status_code == 200
    assert (await again.get("/api/v1/auth/me")).status_code == 200


async def test_sign_out_needs_the_csrf_token(world: World, clients: Clients) -> None:
    bare = clients.new(csrf=False)  # a cross-site form posting with the browser's cookies
    bare.cookies.update(world.fa.cookies)
    refused = await bare.post("/api/v1/auth/logout")
    assert refused.status_code == 403, refused.text
    assert (await world.fa.get("/api/v1/auth/me")).status_code == 200  # still signed in


async def test_wrong_password_and_unknown_email_look_the_same(
    world: World, clients: Clients
) -> None:
    browser = clients.new()
    wrong = await login(browser, "fa@trust.nhs.uk", "not the password")
    unknown = await login(browser, "nobody@trust.nhs.uk")
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {"error": "bad_credentials", "detail": "wrong email or password"}
    )
    assert "rounds_account" not in browser.cookies


async def test_email_is_case_insensitive(world: World, clients: Clients) -> None:
    assert (await login(clients.new(), "FA@Trust.NHS.uk")).status_code == 200


async def test_only_an_admin_manages_accounts(world: World) -> None:
    for path, method in (("/api/v1/accounts", "get"), ("/api/v1/accounts", "post")):
        response = await getattr(world.fa, method)(
            path,
            **(
                {"json": {"email": "x@trust.nhs.uk", "display_name": "X", "password": PASSWORD}}
                if method == "post"
                else {}
            ),
        )
        assert response.status_code == 403
        assert response.json()["error"] == "admin_required"


async def test_account_creation_errors(world: World) -> None:
    taken = await world.admin.post(
        "/api/v1/accounts",
        json={"email": "fa@trust.nhs.uk", "display_name": "Again", "password": PASSWORD},
    )
    assert taken.status_code == 409
    assert taken.json()["error"] == "email_taken"
    short = await world.admin.post(
        "/api/v1/accounts",
        json={"email": "new@trust.nhs.uk", "display_name": "New", "password": "short"},
    )
    assert short.status_code == 422
    assert short.json()["error"] == "invalid_request"
    assert "password" in short.json()["detail"]
    listed = await world.admin.get("/api/v1/accounts")
    assert sorted(a["email"] for a in listed.json()) == [
        "admin@trust.nhs.uk",
        "fa@trust.nhs.uk",
        "fb@trust.nhs.uk",
    ]


async def test_anonymous_is_refused(clients: Clients, world: World) -> None:
    anon = clients.new()
    for path in (
        "/api/v1/auth/me",
        "/api/v1/groups",
        "/api/v1/accounts",
        f"/api/v1/groups/{world.group_a['id']}/members",
    ):
        response = await anon.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"] == "sign_in_required"


async def test_an_sso_only_account_has_no_password_to_guess(world: World, clients: Clients) -> None:
    created = await world.admin.post(
        "/api/v1/accounts", json={"email": "sso@trust.nhs.uk", "display_name": "Dr SSO"}
    )
    assert created.status_code == 201, created.text
    for password in ("", "x" * 12, PASSWORD):
        response = await login(clients.new(), "sso@trust.nhs.uk", password)
        assert response.status_code in (401, 422)
        assert "rounds_account" not in response.cookies
