"""Accounts of facilitators and admins: creation and password sign-in."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.core.errors import Conflict, Unauthenticated
from app.core.security import hash_password, verify_password


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_account(
    db: AsyncSession, *, email: str, display_name: str, password: str | None, is_admin: bool
) -> Account:
    email = normalise_email(email)
    if await db.scalar(select(Account.id).where(Account.email == email)):
        raise Conflict("email_taken", "an account with this email already exists")
    account = Account(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password) if password else None,
        is_admin=is_admin,
    )
    db.add(account)
    await db.flush()
    return account


async def authenticate(db: AsyncSession, *, email: str, password: str) -> Account:
    account = await db.scalar(select(Account).where(Account.email == normalise_email(email)))
    ok = verify_password(password, account.password_hash if account else None)
    if account is None or not ok or account.disabled_at is not None:
        raise Unauthenticated("bad_credentials", "wrong email or password")
    return account


async def get_active(db: AsyncSession, account_id: uuid.UUID) -> Account | None:
    account = await db.get(Account, account_id)
    if account is None or account.disabled_at is not None:
        return None
    return account


async def list_accounts(db: AsyncSession) -> list[Account]:
    return list(await db.scalars(select(Account).order_by(func.lower(Account.display_name))))
