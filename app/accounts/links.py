"""Password links: how a new (or reset) account's holder sets their own password.

An admin asks for a link; its 256-bit token is returned once (to copy and send: Rounds sends no
email) and only its SHA-256 is stored. A link works once, for ``LINK_HOURS``; issuing another
for the account revokes the ones before it. Using one is a conditional UPDATE (unused, not
revoked, not expired), so two browsers racing with the same link cannot both set a password.
Setting the password ends every sign-in of the account (``signed_out_at``).

The public routes that take a token are throttled like sign-in: failures count per address.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account, PasswordLink
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import Forbidden, Gone, NotFound
from app.core.security import hash_password_off_loop, new_token, token_hash
from app.core.throttle import Limit

LINK_HOURS = 72
"""How long a password link works."""
PAGE = "/set-password"


def link_limit(settings: Settings) -> Limit:
    """Failed uses of password links from one address, in the sign-in window."""
    return Limit(
        "password-link-address",
        settings.signin_failures_per_address,
        settings.signin_window_seconds,
        "too_many_attempts",
        "too many attempts with password links",
    )


def url_of(settings: Settings, token: str) -> str:
    """The link to send: the token after `#`, so it never reaches a server log."""
    return f"{settings.public_url.rstrip('/')}{PAGE}#{token}"


async def issue(db: AsyncSession, account: Account) -> str:
    """A new link for the account (earlier unused ones stop working); returns its token."""
    now = utcnow()
    await db.execute(
        update(PasswordLink)
        .where(
            PasswordLink.account_id == account.id,
            PasswordLink.used_at.is_(None),
            PasswordLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    token = new_token()
    db.add(
        PasswordLink(
            account_id=account.id,
            token_hash=token_hash(token),
            expires_at=now + timedelta(hours=LINK_HOURS),
        )
    )
    await db.flush()
    return token


async def pending(db: AsyncSession, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """When each account's unused, unexpired link expires (accounts without one are absent)."""
    rows = await db.execute(
        select(PasswordLink.account_id, PasswordLink.expires_at).where(
            PasswordLink.account_id.in_(account_ids),
            PasswordLink.used_at.is_(None),
            PasswordLink.revoked_at.is_(None),
            PasswordLink.expires_at > utcnow(),
        )
    )
    return {account_id: expires for account_id, expires in rows}


async def resolve(db: AsyncSession, token: str) -> tuple[PasswordLink, Account]:
    """The working link of this token and its account, or why it does not work."""
    link = await db.scalar(select(PasswordLink).where(PasswordLink.token_hash == token_hash(token)))
    if link is None:
        raise NotFound("password_link_not_found", "this is not a working password link")
    if link.used_at is not None:
        raise Gone("password_link_used", "this password link has already been used")
    if link.revoked_at is not None:
        raise Gone("password_link_revoked", "a newer password link has replaced this one")
    if link.expires_at <= utcnow():
        raise Gone("password_link_expired", "this password link has expired")
    account = await db.get(Account, link.account_id)
    if account is None or account.disabled_at is not None:
        raise Forbidden("account_disabled", "this account is disabled")
    return link, account


async def set_password(db: AsyncSession, *, token: str, password: str) -> Account:
    """Use a link: the account's password becomes this one and its sign-ins end."""
    link, account = await resolve(db, token)
    hashed = await hash_password_off_loop(password)
    now = utcnow()
    used = await db.execute(
        update(PasswordLink)
        .where(
            PasswordLink.id == link.id,
            PasswordLink.used_at.is_(None),
            PasswordLink.revoked_at.is_(None),
            PasswordLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise Gone("password_link_used", "this password link has already been used")
    account.password_hash = hashed
    account.signed_out_at = now
    await db.flush()
    return account
