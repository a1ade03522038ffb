"""Accounts of facilitators and admins: creation, password sign-in, and an admin's changes
(rename, admin or not, disable and enable, reset the password). Rounds always keeps one active
admin: disabling or demoting the last is refused (409 ``last_admin``).

Sign-in is throttled (``sign_in``): failures are counted per email (whether or not an account
has it, so a 429 tells nothing about which emails exist) and per client address, in a moving
window (``signin_window_seconds``). A full count refuses further attempts with 429 until its
oldest failure leaves the window: a lockout is never longer than the window, and a right password
from an address that is not itself refused works again as soon as it ends. Password hashes are
computed off the event loop.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound, Unauthenticated
from app.core.security import hash_password_off_loop, verify_password_off_loop
from app.core.throttle import Limit, Throttle

REFUSED = "too_many_attempts"


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_account(
    db: AsyncSession, *, email: str, display_name: str, password: str | None, is_admin: bool,
    is_programme_lead: bool = False,
) -> Account:
    email = normalise_email(email)
    if await db.scalar(select(Account.id).where(Account.email == email)):
        raise Conflict("email_taken", "an account with this email already exists")
    account = Account(
        email=email,
        display_name=display_name.strip(),
        password_hash=await hash_password_off_loop(password) if password else None,
        is_admin=is_admin,
        is_programme_lead=is_programme_lead,
    )
    db.add(account)
    await db.flush()
    return account


async def authenticate(db: AsyncSession, *, email: str, password: str) -> Account:
    account = await db.scalar(select(Account).where(Account.email == normalise_email(email)))
    ok = await verify_password_off_loop(password, account.password_hash if account else None)
    if account is None or not ok or account.disabled_at is not None:
        raise Unauthenticated("bad_credentials", "wrong email or password")
    return account


@dataclass(frozen=True, slots=True)
class SignInLimits:
    """The two counts a password sign-in must pass: its email's and its address's failures."""

    account: Limit
    address: Limit

    @classmethod
    def of(cls, settings: Settings) -> SignInLimits:
        window, what = settings.signin_window_seconds, "too many sign-in attempts"
        return cls(
            account=Limit(
                "signin-account", settings.signin_failures_per_account, window, REFUSED, what
            ),
            address=Limit(
                "signin-address", settings.signin_failures_per_address, window, REFUSED, what
            ),
        )


async def sign_in(
    db: AsyncSession,
    throttle: Throttle,
    limits: SignInLimits,
    *,
    email: str,
    password: str,
    address: str,
) -> Account:
    """``authenticate``, throttled: 429 (``too_many_attempts``) when the address or the email
    has had too many failures lately; a failure counts against both, a success clears the
    email's count."""
    email = normalise_email(email)
    checks = ((limits.address, address), (limits.account, email))
    async with throttle.attempt(checks) as attempt:
        try:
            account = await authenticate(db, email=email, password=password)
        except Unauthenticated:
            attempt.failed()
            raise
    await throttle.clear(limits.account, email)
    return account


async def get_active(db: AsyncSession, account_id: uuid.UUID) -> Account | None:
    account = await db.get(Account, account_id)
    if account is None or account.disabled_at is not None:
        return None
    return account


async def list_accounts(db: AsyncSession) -> list[Account]:
    return list(await db.scalars(select(Account).order_by(func.lower(Account.display_name))))


async def sign_out(db: AsyncSession, account: Account) -> None:
    """Every account cookie signed until now stops working."""
    account.signed_out_at = utcnow()
    await db.flush()


async def get_account(db: AsyncSession, account_id: uuid.UUID) -> Account:
    account = await db.get(Account, account_id)
    if account is None:
        raise NotFound("account_not_found", "no such account")
    return account


async def keep_an_admin(db: AsyncSession, account: Account) -> None:
    """Refuse to take away the last active admin (disabling or demoting them)."""
    if not account.is_admin or account.disabled_at is not None:
        return
    others = await db.scalars(
        select(Account.id)
        .where(Account.is_admin, Account.disabled_at.is_(None), Account.id != account.id)
        .with_for_update()
    )
    if others.first() is None:
        raise Conflict(
            "last_admin", "this is the last active admin: make another account an admin first"
        )


async def update_account(
    db: AsyncSession, account: Account, *, display_name: str | None, is_admin: bool | None,
    is_programme_lead: bool | None = None,
) -> Account:
    """Rename an account, make it an admin or not (never leaving Rounds without one), or a
    programme lead or not."""
    if is_admin is False:
        await keep_an_admin(db, account)
    if display_name is not None:
        account.display_name = display_name.strip()
    if is_admin is not None:
        account.is_admin = is_admin
    if is_programme_lead is not None:
        account.is_programme_lead = is_programme_lead
    await db.flush()
    return account


async def disable_account(db: AsyncSession, account: Account) -> Account:
    """It can no longer sign in, and every cookie it has stops working at once."""
    await keep_an_admin(db, account)
    if account.disabled_at is None:
        account.disabled_at = account.signed_out_at = utcnow()
        await db.flush()
    return account


async def enable_account(db: AsyncSession, account: Account) -> Account:
    """It can sign in again (its old cookies stay dead)."""
    account.disabled_at = None
    await db.flush()
    return account


async def reset_password(db: AsyncSession, account: Account) -> Account:
    """Forget the password and end every sign-in; the caller issues a new password link."""
    account.password_hash = None
    await sign_out(db, account)
    return account
