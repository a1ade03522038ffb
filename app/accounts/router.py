from __future__ import annotations

from fastapi import APIRouter, Response

from app.accounts import service
from app.accounts.deps import CurrentAccount, CurrentAdmin, OptionalAccount, remember_account
from app.accounts.schemas import AccountCreate, AccountOut, Login
from app.core.cookies import ACCOUNT_COOKIE, clear_cookie
from app.core.deps import DbSession, SettingsDep
from app.core.throttle import ClientAddress, ThrottleDep

router = APIRouter(tags=["accounts"])


@router.post("/auth/login", response_model=AccountOut)
async def login(
    body: Login,
    response: Response,
    db: DbSession,
    settings: SettingsDep,
    throttle: ThrottleDep,
    address: ClientAddress,
) -> object:
    """Sign in with a local account; sets the account cookie. Throttled: 429
    `too_many_attempts` (with `Retry-After`) after too many failures for the email or from the
    address (`signin_*` settings)."""
    account = await service.sign_in(
        db,
        throttle,
        service.SignInLimits.of(settings),
        email=body.email,
        password=body.password,
        address=address,
    )
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
    clear_cookie(response, settings, ACCOUNT_COOKIE)


@router.get("/auth/me", response_model=AccountOut)
async def me(account: CurrentAccount) -> object:
    """The signed-in account."""
    return account


@router.get("/accounts", response_model=list[AccountOut])
async def list_accounts(_: CurrentAdmin, db: DbSession) -> object:
    """All accounts (admin)."""
    return await service.list_accounts(db)


@router.post("/accounts", response_model=AccountOut, status_code=201)
async def create_account(body: AccountCreate, _: CurrentAdmin, db: DbSession) -> object:
    """Create a facilitator or admin account (admin)."""
    return await service.create_account(
        db,
        email=body.email,
        display_name=body.display_name,
        password=body.password,
        is_admin=body.is_admin,
    )
