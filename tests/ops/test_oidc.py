"""Single sign-on against a real OpenID provider (oidc-provider-mock: authlib's server classes
behind a real HTTP server on loopback). The browser is driven by hand: our login redirect, the
provider's authorization form, the provider's redirect back to our callback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from app.accounts.oidc import Provider, _local_path
from app.core.config import Settings
from app.core.errors import RoundsError
from app.main import create_app
from tests.app.conftest import PASSWORD, login
from tests.conftest import Clients, unavailable

CLIENT_ID, CLIENT_SECRET, TENANT = "rounds", "rounds-client-secret", "trust-tenant-id"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    try:
        import oidc_provider_mock
    except ImportError:
        unavailable("oidc-provider-mock is not installed (pip install -e '.[test]')")
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def settings(db_url: str, tmp_path: Any, issuer: str) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path, secret_key=SecretStr("t" * 40),
                    public_url="http://testserver", oidc_issuer=issuer, oidc_client_id=CLIENT_ID,
                    oidc_client_secret=SecretStr(CLIENT_SECRET), oidc_allowed_tenants=[TENANT])


def person(issuer: str, sub: str, **claims: Any) -> None:
    """Register a user and their claims with the provider."""
    body = {"email": f"{sub}@trust.nhs.uk", "email_verified": True, "tid": TENANT,
            "name": "Dr SSO", **claims}
    response = httpx.put(f"{issuer}/users/{sub}", json=body, timeout=5)
    assert response.status_code == 204, response.text


async def start(browser: httpx.AsyncClient, next: str = "/") -> str:
    response = await browser.get("/api/v1/auth/oidc/login", params={"next": next})
    assert response.status_code == 302, response.text
    return response.headers["location"]


async def authorize(authorization_url: str, sub: str) -> str:
    """The user signs in at the provider; returns where the provider sends the browser."""
    async with httpx.AsyncClient(timeout=5) as idp:
        page = await idp.get(authorization_url)
        assert page.status_code == 200
        response = await idp.post(authorization_url, data={"sub": sub})
    assert response.status_code == 302, response.text
    back = urlsplit(response.headers["location"])
    assert back.path == "/api/v1/auth/oidc/callback"
    return f"{back.path}?{back.query}"


async def sign_in(browser: httpx.AsyncClient, sub: str, next: str = "/") -> httpx.Response:
    return await browser.get(await authorize(await start(browser, next), sub))


async def test_existing_account_signs_in_by_verified_email(world: Any, issuer: str) -> None:
    person(issuer, "fa")
    browser = world.clients.new()
    response = await sign_in(browser, "fa", next="/groups")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/groups"
    me = (await browser.get("/api/v1/auth/me")).json()
    assert me["email"] == "fa@trust.nhs.uk" and me["is_admin"] is False
    assert me["id"] == world.fa_id
    assert (await login(world.clients.new(), "fa@trust.nhs.uk", PASSWORD)).status_code == 200


async def test_admin_claim_creates_an_admin(world: Any, issuer: str) -> None:
    person(issuer, "lead", roles=["Rounds.Admin"])
    browser = world.clients.new()
    assert (await sign_in(browser, "lead")).status_code == 303
    me = (await browser.get("/api/v1/auth/me")).json()
    assert me["email"] == "lead@trust.nhs.uk" and me["is_admin"] is True
    assert (await browser.get("/api/v1/accounts")).status_code == 200


async def test_claims_are_read_again_at_each_sign_in(world: Any, issuer: str) -> None:
    """An admin role removed in the identity provider is removed here at the next sign-in."""
    person(issuer, "lead", roles=["Rounds.Admin"])
    browser = world.clients.new()
    assert (await sign_in(browser, "lead")).status_code == 303
    lead = (await browser.get("/api/v1/auth/me")).json()
    assert lead["is_admin"] is True
    person(issuer, "lead", roles=["Rounds.User"])
    again = world.clients.new()
    assert (await sign_in(again, "lead")).status_code == 303
    assert (await again.get("/api/v1/auth/me")).json()["is_admin"] is False
    assert (await again.get("/api/v1/accounts")).status_code == 403
    log = (await world.admin.get("/api/v1/audit", params={"object_id": lead["id"]})).json()
    assert [(r["action"], r["actor"]) for r in log] == [
        ("sign_in.sso", f"account {lead['id']}"), ("account.demote", "system"),
        ("sign_in.sso", f"account {lead['id']}"), ("account.create", "system")]


async def test_the_programme_lead_role_follows_the_claim(world: Any, issuer: str) -> None:
    """The lead value of the roles claim makes an existing account a programme lead, and its
    absence at a later sign-in takes the role away (as for admins)."""
    person(issuer, "fa", roles=["Rounds.ProgrammeLead"])
    browser = world.clients.new()
    assert (await sign_in(browser, "fa")).status_code == 303
    me = (await browser.get("/api/v1/auth/me")).json()
    assert me["is_programme_lead"] is True and me["is_admin"] is False
    assert (await browser.get("/api/v1/programmes")).status_code == 200
    person(issuer, "fa", roles=[])
    again = world.clients.new()
    assert (await sign_in(again, "fa")).status_code == 303
    assert (await again.get("/api/v1/auth/me")).json()["is_programme_lead"] is False
    refused = await again.get("/api/v1/programmes")
    assert refused.status_code == 403 and refused.json()["error"] == "programme_lead_required"


async def test_a_disabled_account_cannot_sign_in_by_sso(world: Any, issuer: str) -> None:
    assert (await world.admin.post(f"/api/v1/accounts/{world.fa_id}/disable")).status_code == 200
    person(issuer, "fa")
    browser = world.clients.new()
    response = await sign_in(browser, "fa")
    assert response.status_code == 403 and response.json()["error"] == "account_disabled"
    assert (await browser.get("/api/v1/auth/me")).status_code == 401
    failed = (await world.admin.get("/api/v1/audit",
                                    params={"action": "sign_in.sso_failed"})).json()
    assert [r["outcome"] for r in failed] == ["account_disabled"]
    assert "fa@trust.nhs.uk" not in str(failed) and failed[0]["object_id"]


@pytest.mark.parametrize(("claims", "code"), [
    ({}, "oidc_no_account"),
    ({"tid": "another-tenant", "roles": ["Rounds.Admin"]}, "oidc_tenant_not_allowed"),
    ({"email_verified": False, "roles": ["Rounds.Admin"]}, "oidc_email_unverified"),
])
async def test_refusals(clients: Clients, issuer: str, claims: dict[str, Any], code: str) -> None:
    person(issuer, "stranger", **claims)
    browser = clients.new()
    response = await sign_in(browser, "stranger")
    assert response.status_code == 403, response.text
    assert response.json()["error"] == code
    assert (await browser.get("/api/v1/auth/me")).status_code == 401


async def test_state_must_match_the_browsers_flow(world: Any, issuer: str) -> None:
    person(issuer, "fa")
    browser = world.clients.new()
    callback = await authorize(await start(browser), "fa")
    forged = callback.replace("state=", "state=x")
    assert (await browser.get(forged)).json()["error"] == "oidc_state_mismatch"
    # Another browser (no flow cookie) cannot use the callback either.
    assert (await world.clients.new().get(callback)).json()["error"] == "oidc_flow_expired"


async def test_nonce_must_match_the_browsers_flow(world: Any, issuer: str) -> None:
    person(issuer, "fa")
    victim, attacker = world.clients.new(), world.clients.new()
    victim_url = await start(victim)
    attacker_callback = await authorize(await start(attacker), "fa")
    # The attacker's code (its ID token carries the attacker's nonce) with the victim's state.
    victim_state = parse_qs(urlsplit(victim_url).query)["state"][0]
    code = parse_qs(urlsplit(attacker_callback).query)["code"][0]
    response = await victim.get("/api/v1/auth/oidc/callback",
                                params={"code": code, "state": victim_state})
    assert response.status_code == 401
    assert response.json()["error"] == "oidc_nonce_mismatch"


async def test_a_code_is_good_once(world: Any, issuer: str) -> None:
    person(issuer, "fa")
    browser = world.clients.new()
    callback = await authorize(await start(browser), "fa")
    assert (await browser.get(callback)).status_code == 303
    again = world.clients.new()
    again.cookies.update(browser.cookies)
    replay = await again.get(callback)
    assert replay.status_code == 401, replay.text


async def test_issuer_must_match_discovery(settings: Settings, issuer: str) -> None:
    # The one fake here is at the outbound-HTTP seam: the real provider's discovery document
    # with its issuer changed, as a mix-up attack would serve it.
    async with httpx.AsyncClient(timeout=5) as http:
        real = (await http.get(f"{issuer}/.well-known/openid-configuration")).json()

    def discovery(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={**real, "issuer": "https://login.example.invalid"})

    client = Provider(settings, transport=httpx.MockTransport(discovery))
    with pytest.raises(RoundsError) as refused:
        await client.load()
    assert refused.value.code == "oidc_issuer_mismatch"
    assert (await Provider(settings).load())["issuer"] == issuer


async def test_disabled_without_configuration(db_url: str, tmp_path: Any) -> None:
    application = create_app(Settings(database_url=db_url, data_dir=tmp_path,
                                       secret_key=SecretStr("t" * 40)))
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                     base_url="http://testserver") as browser:
            assert (await browser.get("/api/v1/auth/oidc")).json()["enabled"] is False
            assert (await browser.get("/api/v1/auth/oidc/login")).status_code == 404


async def test_login_asks_for_code_with_pkce_state_and_nonce(clients: Clients,
                                                            settings: Settings) -> None:
    browser = clients.new()
    location = urlsplit(await start(browser))
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == "http://testserver/api/v1/auth/oidc/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert set(query["scope"].split()) == {"openid", "email", "profile"}
    cookie = next(c for c in browser.cookies.jar if c.name == "rounds_oidc")
    assert cookie.path == "/api/v1/auth/oidc/callback"


@pytest.mark.parametrize(("given", "kept"), [
    ("/groups", "/groups"), ("//evil.example/x", "/"), ("https://evil.example", "/"),
    ("/\\evil.example", "/"), (None, "/"), ("groups", "/")])
def test_only_local_paths_are_followed_after_sign_in(given: str | None, kept: str) -> None:
    assert _local_path(given) == kept
