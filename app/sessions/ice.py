"""ICE servers for a participant, with time-limited TURN credentials (coturn's
`use-auth-secret`: username `expiry:nonce`, password base64(HMAC-SHA1(secret, username))).

The nonce is random, not the member's id: coturn logs usernames next to client addresses, and
those logs must not say who joined which session."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from app.core.config import Settings
from app.sessions.schemas import IceServer


def ice_servers_for(settings: Settings, *, now: float | None = None) -> list[IceServer]:
    stun = [u for u in settings.ice_servers if u.startswith("stun")]
    turn = [u for u in settings.ice_servers if u.startswith("turn")]
    servers = [IceServer(urls=stun)] if stun else []
    if turn and settings.turn_secret is not None:
        expiry = int((time.time() if now is None else now) + settings.turn_credential_seconds)
        username = f"{expiry}:{secrets.token_hex(8)}"
        secret = settings.turn_secret.get_secret_value().encode()
        password = base64.b64encode(hmac.new(secret, username.encode(), hashlib.sha1).digest())
        servers.append(IceServer(urls=turn, username=username, credential=password.decode()))
    return servers
