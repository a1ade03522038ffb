"""Who is signed in: the account behind the `rounds_account` cookie."""

from __future__ import annotations

import time
import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from app.accounts.models import Account
from app.accounts.service import get_active
from app.core.config import Settings
from app.core.cookies import ACCOUNT_COOKIE, check_csrf, set_cookie
from app.core.deps import DbSession, SettingsDep
from app.core.errors import Forbidden, Unauthenticated
from app.core.security import sign, unsign


def remember_account(response: Response, settings: Settings, account: Account) -> None:
    """Sign this browser in: the account cookie names the account and when it was signed."""
    max_age = settings.account_cookie_hours * 3600
    value = sign(settings.secret, ACCOUNT_COOKIE, {"a": str(account.id), "t": time.time()},
                 max_age=max_age)
    set_cookie(response, settings, ACCOUNT_COOKIE, value, max_age)


async def optional_account(
    request: Request, db: DbSession, settings: SettingsDep
) -> Account | None:
    """The signed-in account, if the cookie is genuine, unexpired and signed after the account
    last signed out (a copied cookie dies with the sign-out); then a CSRF token is required."""
    data = unsign(settings.secret, ACCOUNT_COOKIE, request.cookies.get(ACCOUNT_COOKIE))
    try:
        account_id, signed = uuid.UUID(data["a"]), float(data["t"])  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return None
    account = await get_active(db, account_id)
    if account is None or (account.signed_out_at is not None
                           and signed <= account.signed_out_at.timestamp()):
        return None
    check_csrf(request)
    return account


async def current_account(account: Annotated[Account | None, Depends(optional_account)]) -> Account:
    if account is None:
        raise Unauthenticated("sign_in_required", "sign in as a facilitator or admin")
    return account


async def current_admin(account: Annotated[Account, Depends(current_account)]) -> Account:
    if not account.is_admin:
        raise Forbidden("admin_required", "only an admin can do this")
    return account


OptionalAccount = Annotated[Account | None, Depends(optional_account)]
CurrentAccount = Annotated[Account, Depends(current_account)]
CurrentAdmin = Annotated[Account, Depends(current_admin)]
