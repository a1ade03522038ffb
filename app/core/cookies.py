"""The cookies Rounds sets, and the CSRF check for writes that a cookie authenticates.

- `rounds_account`: a facilitator's or admin's sign-in (signed, HttpOnly, SameSite=Lax).
- `rounds_device`: a doctor's memberships on this browser (signed, HttpOnly, SameSite=Lax).
- `rounds_csrf`: a random value the page echoes in the `X-CSRF-Token` header on every write
  (double submit); readable by the page, SameSite=Strict.
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response

from app.core.config import Settings
from app.core.errors import Forbidden

ACCOUNT_COOKIE = "rounds_account"
DEVICE_COOKIE = "rounds_device"
CSRF_COOKIE = "rounds_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def set_cookie(response: Response, settings: Settings, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    set_csrf_cookie(response, settings)


def set_csrf_cookie(response: Response, settings: Settings) -> None:
    """A fresh CSRF value that lives as long as the longest-lived cookie it protects (a 12-hour
    sign-in must not cut short the writes of a doctor's 180-day device cookie)."""
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(24),
        max_age=settings.device_cookie_days * 86400,
        httponly=False,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_cookie(response: Response, settings: Settings, name: str) -> None:
    response.delete_cookie(
        name, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax"
    )


def check_csrf(request: Request) -> None:
    """Refuse a cookie-authenticated write whose CSRF header does not match its cookie."""
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(CSRF_COOKIE, "")
    header = request.headers.get(CSRF_HEADER, "")
    if not cookie or not secrets.compare_digest(cookie.encode(), header.encode()):
        raise Forbidden("csrf_failed", "missing or wrong X-CSRF-Token header")
