"""Join tokens: app/ authorises a join, rtc/ verifies it without the database.

A join token is ``base64url(json claims) "." base64url(HMAC-SHA256(secret, claims))``. It is short
lived (minutes), names one room (a session), one participant (a membership), the role and the
display name the room shows. rtc/ trusts nothing else a client says about who it is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Literal

Role = Literal["facilitator", "co-facilitator", "member"]
ROLES: tuple[Role, ...] = ("facilitator", "co-facilitator", "member")
VERSION = 1


class JoinTokenError(Exception):
    """The token is malformed, forged, for another version, or expired."""


@dataclass(frozen=True, slots=True)
class JoinClaims:
    room: str
    """The room's id: the id of the session it belongs to."""
    participant: str
    """The participant's id: the id of the membership that joins."""
    role: Role
    name: str
    """Display name shown to the others in the room (never logged)."""
    expires_at: int
    """Unix time in seconds after which the token no longer admits anyone."""
    worker: str | None = None
    """The media worker whose room it admits to (claim ``w``; docs/architecture.md, "Many media
    workers"); None where rooms run in the API's own process."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(secret: bytes, claims: JoinClaims) -> str:
    """Sign claims into a token string."""
    fields: dict[str, object] = {
        "v": VERSION,
        "room": claims.room,
        "participant": claims.participant,
        "role": claims.role,
        "name": claims.name,
        "exp": claims.expires_at,
    }
    if claims.worker is not None:
        fields["w"] = claims.worker
    body = json.dumps(
        fields,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    sig = hmac.new(secret, body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(sig)}"


def verify(secret: bytes, token: str, *, now: float | None = None) -> JoinClaims:
    """Check the signature and expiry of a token and return its claims."""
    if not isinstance(token, str) or len(token) > 4096 or token.count(".") != 1:
        raise JoinTokenError("malformed join token")
    body_part, sig_part = token.split(".")
    try:
        body, sig = _unb64(body_part), _unb64(sig_part)
    except (ValueError, TypeError) as exc:
        raise JoinTokenError("malformed join token") from exc
    expected = hmac.new(secret, body, hashlib.sha256).digest()
    if not hmac.compare_digest(sig, expected):
        raise JoinTokenError("join token signature does not match")
    try:
        data = json.loads(body)
        claims = JoinClaims(
            room=str(data["room"]),
            participant=str(data["participant"]),
            role=data["role"],
            name=str(data["name"]),
            expires_at=int(data["exp"]),
            worker=None if data.get("w") is None else str(data["w"]),
        )
        version = data["v"]
    except (ValueError, KeyError, TypeError) as exc:
        raise JoinTokenError("malformed join token") from exc
    if version != VERSION:
        raise JoinTokenError("unsupported join token version")
    if claims.role not in ROLES:
        raise JoinTokenError("unknown role in join token")
    if (time.time() if now is None else now) >= claims.expires_at:
        raise JoinTokenError("join token has expired")
    return claims
