"""Accounts over HTTP: sign-in and out, an admin's management of accounts, and the public
password-link routes."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import links, service
from app.accounts.deps import CurrentAccount, CurrentAdmin, OptionalAccount, remember_account
from app.accounts.models import Account
from app.accounts.schemas import (
    AccountCreate,
    AccountCreated,
    AccountDetail,
    AccountOut,
    AccountUpdate,
    Login,
    PasswordLinkPreview,
    PasswordLinkToken,
    PasswordSet,
)
from app.audit.service import ANONYMOUS, Action, Actor, keyed_hash, record, record_apart
from app.core.config import Settings
from app.core.cookies import ACCOUNT_COOKIE, clear_cookie
from app.core.deps import DbSession, SettingsDep
from app.core.errors import RoundsError, TooManyRequests, Unauthenticated
from app.core.throttle import ClientAddress, ThrottleDep

router = APIRouter(tags=["accounts"])


@router.post("/auth/login", response_model=AccountOut)
async def login(
    body: Login,
    request: Request,
    response: Response,
    db: DbSession,
    settings: SettingsDep,
    throttle: ThrottleDep,
    address: ClientAddress,
) -> object:
    """Sign in with a local account; sets the account cookie. Throttled: 429
    `too_many_attempts` (with `Retry-After`) after too many failures for the email or from the
    address (`signin_*` settings). Each attempt is audited; a failed one by its email's keyed
    hash."""
    try:
        account = await service.sign_in(
            db,
            throttle,
            service.SignInLimits.of(settings),
            email=body.email,
            password=body.password,
            address=address,
        )
    except (Unauthenticated, TooManyRequests) as exc:
        await record_apart(request.app.state.db, actor=ANONYMOUS, action=Action.sign_in_failed,
                           object_type="email", object_id=keyed_hash(settings, body.email),
                           outcome=exc.code)
        raise
    await record(db, actor=Actor.account(account.id), action=Action.sign_in,
                 object_type="account", object_id=account.id)
    remember_account(response, settings, account)
    return account


@router.post("/auth/logout", status_code=204)
async def logout(
    response: Response, settings: SettingsDep, account: OptionalAccount, db: DbSession
) -> None:
    """Sign out (with the CSRF token, like every signed-in write): this cookie, and any copy of
    it, stops working, and so do the account's cookies in its other browsers."""
    if account is not None:
        await service.sign_out(db, account)
        await record(db, actor=Actor.account(account.id), action=Action.sign_out,
                     object_type="account", object_id=account.id)
    clear_cookie(response, settings, ACCOUNT_COOKIE)


@router.get("/auth/me", response_model=AccountOut)
async def me(account: CurrentAccount) -> object:
    """The signed-in account."""
    return account


def _detail(account: Account, link_expires: dict[uuid.UUID, datetime]) -> AccountDetail:
    return AccountDetail.model_validate(
        {
            **AccountOut.model_validate(account).model_dump(),
            "has_password": account.password_hash is not None,
            "disabled_at": account.disabled_at,
            "password_link_expires_at": link_expires.get(account.id),
        }
    )


async def _with_link(
    db: AsyncSession, settings: Settings, account: Account, token: str | None
) -> AccountCreated:
    detail = _detail(account, await links.pending(db, [account.id]))
    url = links.url_of(settings, token) if token else None
    return AccountCreated(**detail.model_dump(), password_link=url)


@router.get("/accounts", response_model=list[AccountDetail])
async def list_accounts(_: CurrentAdmin, db: DbSession) -> object:
    """All accounts, disabled ones too, with how each signs in (admin)."""
    accounts = await service.list_accounts(db)
    pending = await links.pending(db, [a.id for a in accounts])
    return [_detail(a, pending) for a in accounts]


@router.post("/accounts", response_model=AccountCreated, status_code=201)
async def create_account(
    body: AccountCreate, admin: CurrentAdmin, db: DbSession, settings: SettingsDep
) -> object:
    """Create a facilitator or admin account (admin): with a password, with a one-time link to
    set one (`password_link`, in this answer only), or neither (single sign-on only)."""
    account = await service.create_account(
        db,
        email=body.email,
        display_name=body.display_name,
        password=body.password,
        is_admin=body.is_admin,
        is_programme_lead=body.is_programme_lead,
    )
    token = await links.issue(db, account) if body.password_link else None
    await record(db, actor=Actor.account(admin.id), action=Action.account_create,
                 object_type="account", object_id=account.id,
                 detail={"admin": account.is_admin, "programme_lead": account.is_programme_lead,
                         "password_link": token is not None})
    return await _with_link(db, settings, account, token)


@router.patch("/accounts/{account_id}", response_model=AccountDetail)
async def update_account(
    account_id: uuid.UUID, body: AccountUpdate, admin: CurrentAdmin, db: DbSession
) -> object:
    """Rename an account or change whether it is an admin or a programme lead (admin; 409
    `last_admin`). A change of admin is audited as a promotion or demotion, a new name or
    programme-lead role as an edit."""
    account = await service.get_account(db, account_id)
    was_admin, was_lead = account.is_admin, account.is_programme_lead
    await service.update_account(
        db, account, display_name=body.display_name, is_admin=body.is_admin,
        is_programme_lead=body.is_programme_lead,
    )
    by = Actor.account(admin.id)
    if body.display_name is not None or account.is_programme_lead != was_lead:
        await record(db, actor=by, action=Action.account_edit, object_type="account",
                     object_id=account.id, detail={"programme_lead": account.is_programme_lead})
    if account.is_admin != was_admin:
        action = Action.account_promote if account.is_admin else Action.account_demote
        await record(db, actor=by, action=action, object_type="account", object_id=account.id)
    return _detail(account, await links.pending(db, [account.id]))


@router.post("/accounts/{account_id}/disable", response_model=AccountDetail)
async def disable_account(account_id: uuid.UUID, admin: CurrentAdmin, db: DbSession) -> object:
    """Disable an account: no more sign-ins, and its cookies stop working (admin; 409
    `last_admin`)."""
    account = await service.disable_account(db, await service.get_account(db, account_id))
    await record(db, actor=Actor.account(admin.id), action=Action.account_disable,
                 object_type="account", object_id=account.id)
    return _detail(account, await links.pending(db, [account.id]))


@router.post("/accounts/{account_id}/enable", response_model=AccountDetail)
async def enable_account(account_id: uuid.UUID, admin: CurrentAdmin, db: DbSession) -> object:
    """Let a disabled account sign in again (admin)."""
    account = await service.enable_account(db, await service.get_account(db, account_id))
    await record(db, actor=Actor.account(admin.id), action=Action.account_enable,
                 object_type="account", object_id=account.id)
    return _detail(account, await links.pending(db, [account.id]))


@router.post("/accounts/{account_id}/password-link", response_model=AccountCreated)
async def reset_password(
    account_id: uuid.UUID, admin: CurrentAdmin, db: DbSession, settings: SettingsDep
) -> object:
    """Reset a password (admin): the old one stops working, every sign-in of the account ends,
    and a new one-time link to set one is in this answer only."""
    account = await service.reset_password(db, await service.get_account(db, account_id))
    await record(db, actor=Actor.account(admin.id), action=Action.account_password_link,
                 object_type="account", object_id=account.id)
    return await _with_link(db, settings, account, await links.issue(db, account))


@router.post("/auth/password-link", response_model=PasswordLinkPreview)
async def check_password_link(
    body: PasswordLinkToken,
    db: DbSession,
    settings: SettingsDep,
    throttle: ThrottleDep,
    address: ClientAddress,
) -> object:
    """Whose password a link sets, if it still works (public; 404/410 if not; throttled like
    sign-in)."""
    async with throttle.attempt([(links.link_limit(settings), address)]) as attempt:
        try:
            link, account = await links.resolve(db, body.token)
        except RoundsError:
            attempt.failed()
            raise
    return PasswordLinkPreview(
        email=account.email, display_name=account.display_name, expires_at=link.expires_at
    )


@router.post("/auth/set-password", status_code=204)
async def set_password(
    body: PasswordSet,
    db: DbSession,
    settings: SettingsDep,
    throttle: ThrottleDep,
    address: ClientAddress,
) -> None:
    """Set an account's password with its one-time link (public; throttled like sign-in). The
    account then signs in as usual."""
    async with throttle.attempt([(links.link_limit(settings), address)]) as attempt:
        try:
            account = await links.set_password(db, token=body.token, password=body.password)
        except RoundsError:
            attempt.failed()
            raise
    await record(db, actor=Actor.account(account.id), action=Action.account_password_set,
                 object_type="account", object_id=account.id)
