"""Who is signed in: the account behind the `rounds_account` cookie."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request

from app.accounts.models import Account
from app.accounts.service import get_active
from app.core.cookies import ACCOUNT_COOKIE, check_csrf
from app.core.deps import DbSession, SettingsDep
from app.core.errors import Forbidden, Unauthenticated
from app.core.security import unsign


async def optional_account(
    request: Request, db: DbSession, settings: SettingsDep
) -> Account | None:
    data = unsign(settings.secret, ACCOUNT_COOKIE, request.cookies.get(ACCOUNT_COOKIE))
    if not isinstance(data, str):
        return None
    try:
        account_id = uuid.UUID(data)
    except ValueError:
        return None
    account = await get_active(db, account_id)
    if account is not None:
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
