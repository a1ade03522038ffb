"""A join grant for a room that is not a session's (a drop-in room, a pair's room): the same
short-lived signed join token, ICE servers and signalling path as a session's."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import Request

from app.core.config import Settings, derived_key
from app.core.db import utcnow
from app.core.throttle import Limit
from app.sessions.ice import ice_servers_for
from app.sessions.schemas import JoinGrant
from rtc import jointoken

SIGNALLING_PATH = "/rtc"


def signalling_path(worker: str | None) -> str:
    """Where a room's signalling is: this process's `/rtc`, or its media worker's."""
    return SIGNALLING_PATH if worker is None else f"{SIGNALLING_PATH}/{worker}"


async def media_worker(request: Request, room: str, seats: int | None = None) -> str | None:
    """The media worker that hosts ``room`` (placed now), or None where rooms run in this
    process (app/media.py; Unavailable ``no_media_capacity`` if no worker has room)."""
    media = request.app.state.media
    worker: str | None = await (media.where(room) if seats is None else media.where(room, seats))
    return worker


def grant(settings: Settings, *, room: str, participant: str, role: jointoken.Role,
          name: str, worker: str | None = None) -> JoinGrant:
    """Admit one participant (a UUID) to one rtc/ room, for ``join_token_seconds``, on the
    media ``worker`` that hosts it (None: this process)."""
    expires = utcnow() + timedelta(seconds=settings.join_token_seconds)
    token = jointoken.issue(derived_key(settings, "join-token"), jointoken.JoinClaims(
        room=room, participant=participant, role=role, name=name,
        expires_at=int(expires.timestamp()), worker=worker))
    return JoinGrant(token=token, expires_at=expires, signalling_path=signalling_path(worker),
                     ice_servers=ice_servers_for(settings), participant_id=uuid.UUID(participant),
                     role=role)


def link_limit(settings: Settings) -> Limit:
    """Requests one client address may make per minute through an open link (a peer network's,
    a pairing scheme's): the same allowance as invite links, counted apart."""
    return Limit("open-link", settings.invite_requests_per_minute, 60,
                 what="too many requests from this link")
