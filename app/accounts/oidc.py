"""Single sign-on for facilitators and admins over OpenID Connect (Entra ID / NHSmail).

Theory of operation (authorization code flow with PKCE):

1. ``GET /api/v1/auth/oidc/login`` makes a random state, nonce and PKCE verifier, keeps them in
   a signed, HttpOnly, ten-minute cookie scoped to the callback path, and redirects the browser
   to the provider's authorization endpoint (found by discovery from ``oidc_issuer``; the
   discovery document must name exactly that issuer).
2. The provider sends the browser back to ``GET /api/v1/auth/oidc/callback?code&state``. The
   state must equal the cookie's; the code is exchanged (with the client secret and the PKCE
   verifier) for an ID token, whose signature is checked against the provider's JWKS and whose
   ``iss``, ``aud``, ``exp``/``iat`` and ``nonce`` are checked (authlib's ``CodeIDToken``).
3. The tenant (``tid``) must be in ``oidc_allowed_tenants`` when that is set; the email (claim
   ``oidc_email_claim``) must be verified unless ``oidc_require_email_verified`` is off.
4. The account is found by that email. A missing one is created only when
   ``oidc_create_accounts`` is on or the admin claim is present; local password accounts keep
   working. A disabled account is refused. The claims are read again at every sign-in: with
   ``oidc_admin_claim`` set, the identity provider decides who is an admin, so the account is
   an admin exactly when ``oidc_admin_claim`` holds ``oidc_admin_value`` (a role removed there
   is removed here at the next sign-in); with it empty, admins are assigned in Rounds only.
   The same claim's ``oidc_lead_value`` makes the account a programme lead, in the same way.
5. The same ``rounds_account`` cookie as a password sign-in is set, and the browser goes to
   the page it came from (a local path only).

Every refusal is a ``RoundsError`` (``oidc_*`` codes) and logs its code only. Sign-ins, refusals
and the changes the claims make are audited (``app.audit``), the email by its keyed hash.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import remember_account
from app.accounts.models import Account
from app.accounts.service import create_account, normalise_email
from app.audit.service import ANONYMOUS, SYSTEM, Action, Actor, keyed_hash, record, record_apart
from app.core.config import Settings
from app.core.deps import DbSession, SettingsDep
from app.core.errors import Forbidden, NotFound, RoundsError, Unauthenticated
from app.core.security import sign, unsign

log = logging.getLogger("rounds.oidc")
router = APIRouter(tags=["accounts"])

FLOW_COOKIE = "rounds_oidc"
FLOW_SECONDS = 600
CALLBACK = "/api/v1/auth/oidc/callback"
METADATA_SECONDS = 3600
HTTP_TIMEOUT = 10.0
LEEWAY = 60


class OidcError(Unauthenticated):
    """Sign-in through the identity provider failed."""


@dataclass
class Provider:
    """The identity provider's metadata and keys, fetched on first use and kept an hour."""

    settings: Settings
    transport: httpx.AsyncBaseTransport | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    keys: Any = field(default_factory=dict)
    fetched: float = 0.0

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.transport, timeout=HTTP_TIMEOUT, follow_redirects=False
        )

    async def load(self, *, force: bool = False) -> dict[str, Any]:
        if self.metadata and not force and time.monotonic() - self.fetched < METADATA_SECONDS:
            return self.metadata
        issuer = str(self.settings.oidc_issuer).rstrip("/")
        try:
            async with self.client() as client:
                response = await client.get(f"{issuer}/.well-known/openid-configuration")
                response.raise_for_status()
                metadata = response.json()
                if metadata.get("issuer", "").rstrip("/") != issuer:
                    raise OidcError(
                        "oidc_issuer_mismatch",
                        "the provider's discovery document names another issuer",
                    )
                jwks = await client.get(metadata["jwks_uri"])
                jwks.raise_for_status()
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            log.warning("oidc discovery failed", extra={"kind": type(exc).__name__})
            raise OidcError("oidc_unavailable", "the identity provider cannot be reached") from exc
        self.metadata, self.keys, self.fetched = metadata, jwks.json(), time.monotonic()
        return metadata

    async def exchange(self, code: str, verifier: str, redirect_uri: str) -> dict[str, Any]:
        """Trade the authorization code for tokens at the token endpoint."""
        metadata = await self.load()
        secret = self.settings.oidc_client_secret
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": str(self.settings.oidc_client_id),
        }
        methods = metadata.get("token_endpoint_auth_methods_supported", ["client_secret_basic"])
        auth: tuple[str, str] | None = None
        if secret is not None:
            if "client_secret_basic" in methods:
                auth = (str(self.settings.oidc_client_id), secret.get_secret_value())
            else:
                form["client_secret"] = secret.get_secret_value()
        try:
            async with self.client() as client:
                response = await client.post(
                    metadata["token_endpoint"],
                    data=form,
                    auth=auth,  # type: ignore[arg-type]
                    headers={"accept": "application/json"},
                )
        except httpx.HTTPError as exc:
            raise OidcError("oidc_unavailable", "the identity provider cannot be reached") from exc
        if response.status_code != 200:
            log.warning("oidc token exchange refused", extra={"status": response.status_code})
            raise OidcError("oidc_code_rejected", "the identity provider refused the sign-in")
        tokens: dict[str, Any] = response.json()
        return tokens

    async def verify(self, tokens: dict[str, Any], nonce: str) -> dict[str, Any]:
        """The ID token's claims, after its signature, issuer, audience, times and nonce."""
        if "id_token" not in tokens:
            raise OidcError("oidc_no_id_token", "the identity provider sent no ID token")
        metadata = await self.load()
        algorithms = [
            a
            for a in metadata.get("id_token_signing_alg_values_supported", ["RS256"])
            if a != "none"
        ]
        registry = JWSRegistry(algorithms=algorithms, strict_check_header=False)
        try:
            try:
                token = jwt.decode(
                    tokens["id_token"], KeySet.import_key_set(self.keys), registry=registry
                )
            except JoseError:
                await self.load(force=True)  # keys may have rolled over
                token = jwt.decode(
                    tokens["id_token"], KeySet.import_key_set(self.keys), registry=registry
                )
            claims = CodeIDToken(
                token.claims,
                token.header,
                {
                    "iss": {"essential": True, "value": metadata["issuer"]},
                    "aud": {"essential": True, "value": str(self.settings.oidc_client_id)},
                },
                {
                    "nonce": nonce,
                    "client_id": str(self.settings.oidc_client_id),
                    **(
                        {"access_token": tokens["access_token"]} if "access_token" in tokens else {}
                    ),
                },
            )
            claims.validate(leeway=LEEWAY)
        except (JoseError, ValueError) as exc:
            code = "oidc_nonce_mismatch" if "nonce" in str(exc) else "oidc_invalid_id_token"
            log.warning("oidc id token refused", extra={"kind": type(exc).__name__})
            raise OidcError(code, "the identity provider's token was not valid") from exc
        return dict(claims)


def provider(request: Request, settings: Settings) -> Provider:
    """This app's provider client (made on first use)."""
    if not (settings.oidc_issuer and settings.oidc_client_id):
        raise NotFound("oidc_disabled", "single sign-on is not configured")
    current = getattr(request.app.state, "oidc_provider", None)
    if current is None or current.settings is not settings:
        current = Provider(settings)
        request.app.state.oidc_provider = current
    return current


def _values(claim: object) -> list[str]:
    if isinstance(claim, list | tuple):
        return [str(v) for v in claim]
    return [] if claim is None else [str(claim)]


def _local_path(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


async def account_for(db: AsyncSession, settings: Settings, claims: dict[str, Any]) -> Account:
    """The account these verified claims sign in to (found, created or refused)."""
    if settings.oidc_allowed_tenants and claims.get("tid") not in settings.oidc_allowed_tenants:
        raise Forbidden("oidc_tenant_not_allowed", "your organisation cannot sign in here")
    email = claims.get(settings.oidc_email_claim)
    if not isinstance(email, str) or "@" not in email:
        raise Forbidden("oidc_no_email", "the identity provider sent no email address")
    if settings.oidc_require_email_verified and claims.get("email_verified") is not True:
        raise Forbidden("oidc_email_unverified", "your email address is not verified")
    roles = _values(claims.get(settings.oidc_admin_claim)) if settings.oidc_admin_claim else []
    is_admin, is_lead = settings.oidc_admin_value in roles, settings.oidc_lead_value in roles
    account = await db.scalar(select(Account).where(Account.email == normalise_email(email)))
    if account is None:
        if not (settings.oidc_create_accounts or is_admin):
            raise Forbidden("oidc_no_account", "ask an admin of Rounds to add your account")
        name = claims.get("name") if isinstance(claims.get("name"), str) else email.split("@")[0]
        account = await create_account(
            db, email=email, display_name=str(name)[:80], password=None, is_admin=is_admin,
            is_programme_lead=is_lead,
        )
        await record(db, actor=SYSTEM, action=Action.account_create, object_type="account",
                     object_id=account.id,
                     detail={"admin": is_admin, "programme_lead": is_lead, "source": "sso"})
    elif account.disabled_at is not None:
        raise Forbidden("account_disabled", "this account is disabled")
    elif settings.oidc_admin_claim and account.is_admin != is_admin:
        account.is_admin = is_admin  # the identity provider decides (see the module's 4.)
        await record(db, actor=SYSTEM,
                     action=Action.account_promote if is_admin else Action.account_demote,
                     object_type="account", object_id=account.id, detail={"source": "sso"})
    if settings.oidc_admin_claim and account.is_programme_lead != is_lead:
        account.is_programme_lead = is_lead  # the identity provider decides, as for admins
        await record(db, actor=SYSTEM, action=Action.account_edit, object_type="account",
                     object_id=account.id, detail={"programme_lead": is_lead, "source": "sso"})
    return account


def _email_hash(settings: Settings, claims: dict[str, Any] | None) -> str | None:
    email = (claims or {}).get(settings.oidc_email_claim)
    return keyed_hash(settings, email) if isinstance(email, str) else None


@router.get("/auth/oidc")
async def oidc_config(settings: SettingsDep) -> dict[str, object]:
    """Whether single sign-on is offered, and where it starts (public)."""
    enabled = bool(settings.oidc_issuer and settings.oidc_client_id)
    return {"enabled": enabled, "login_url": "/api/v1/auth/oidc/login" if enabled else None}


@router.get("/auth/oidc/login")
async def oidc_login(
    request: Request, settings: SettingsDep, next: str | None = None
) -> RedirectResponse:
    """Start single sign-on: off to the identity provider."""
    metadata = await provider(request, settings).load()
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.oidc_client_id,
            "redirect_uri": settings.public_url.rstrip("/") + CALLBACK,
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    response = RedirectResponse(f"{metadata['authorization_endpoint']}?{query}", status_code=302)
    flow = {"s": state, "n": nonce, "v": verifier, "next": _local_path(next)}
    response.set_cookie(
        FLOW_COOKIE,
        sign(settings.secret, FLOW_COOKIE, flow, max_age=FLOW_SECONDS),
        max_age=FLOW_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path=CALLBACK,
    )
    return response


@router.get("/auth/oidc/callback")
async def oidc_callback(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> RedirectResponse:
    """The identity provider's answer: check it, then sign in."""
    flow = unsign(settings.secret, FLOW_COOKIE, request.cookies.get(FLOW_COOKIE))
    claims: dict[str, Any] | None = None
    try:
        if not isinstance(flow, dict):
            raise OidcError("oidc_flow_expired", "start signing in again")
        if not state or not secrets.compare_digest(str(flow["s"]).encode(), state.encode()):
            raise OidcError("oidc_state_mismatch", "start signing in again")
        if error or not code:
            raise OidcError("oidc_denied", "the identity provider did not sign you in")
        client = provider(request, settings)
        tokens = await client.exchange(
            code, str(flow["v"]), settings.public_url.rstrip("/") + CALLBACK
        )
        claims = await client.verify(tokens, str(flow["n"]))
        account = await account_for(db, settings, claims)
    except RoundsError as exc:
        log.info("single sign-on refused", extra={"code": exc.code})
        await record_apart(request.app.state.db, actor=ANONYMOUS,
                           action=Action.sign_in_sso_failed, object_type="email",
                           object_id=_email_hash(settings, claims), outcome=exc.code)
        raise
    await record(db, actor=Actor.account(account.id), action=Action.sign_in_sso,
                 object_type="account", object_id=account.id)
    response = RedirectResponse(_local_path(str(flow.get("next"))), status_code=303)
    remember_account(response, settings, account)
    response.delete_cookie(
        FLOW_COOKIE, path=CALLBACK, secure=settings.secure_cookies, httponly=True, samesite="lax"
    )
    log.info("single sign-on", extra={"admin": account.is_admin})
    return response
