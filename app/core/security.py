"""Secrets: password hashes, random link tokens stored only as hashes, and signed cookies.

Password hashing (argon2id) costs a few hundred milliseconds of CPU by design: code on the
event loop uses ``hash_password_off_loop`` and ``verify_password_off_loop``, which run it in a
small pool of threads of its own (argon2 releases the GIL), so a burst of sign-ins neither
stalls the loop (rooms, every other request) nor takes every core.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pwdlib import PasswordHash

_passwords = PasswordHash.recommended()  # argon2id

TOKEN_BYTES = 32  # 256 bits for invite links and device keys


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """Check a password; with no stored hash, still spend the time of one check."""
    if hashed is None:
        _passwords.verify(password, _DUMMY_HASH)
        return False
    return _passwords.verify(password, hashed)


_DUMMY_HASH = _passwords.hash(secrets.token_hex(8))

_hashing = ThreadPoolExecutor(
    max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="password-hash"
)
"""At most half the cores hash passwords at once (one argon2 hash already uses several lanes);
more sign-ins wait their turn in the pool's queue, off the event loop."""


async def hash_password_off_loop(password: str) -> str:
    """``hash_password`` in the hashing threads, leaving the event loop free."""
    return await asyncio.get_running_loop().run_in_executor(_hashing, hash_password, password)


async def verify_password_off_loop(password: str, hashed: str | None) -> bool:
    """``verify_password`` in the hashing threads, leaving the event loop free."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_hashing, verify_password, password, hashed)


def new_token() -> str:
    """A URL-safe random token of 256 bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored for a token: its SHA-256 (tokens are random, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: bytes, purpose: str, payload: Any, *, max_age: int) -> str:
    """Sign a JSON payload for one purpose (a cookie name) with an expiry."""
    body = json.dumps(
        {"p": purpose, "exp": int(time.time()) + max_age, "d": payload}, separators=(",", ":")
    ).encode()
    mac = hmac.new(secret, body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(mac)}"


def unsign(secret: bytes, purpose: str, value: str | None) -> Any | None:
    """Return the payload of a value signed for this purpose, or None if forged or expired."""
    if not value or len(value) > 8192 or value.count(".") != 1:
        return None
    body_part, mac_part = value.split(".")
    try:
        body, mac = _unb64(body_part), _unb64(mac_part)
    except ValueError:
        return None
    if not hmac.compare_digest(mac, hmac.new(secret, body, hashlib.sha256).digest()):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("p") != purpose:
        return None
    if not isinstance(data.get("exp"), int) or data["exp"] < time.time():
        return None
    return data.get("d")
