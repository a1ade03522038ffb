"""What the domains below facilitation may ask of live rooms: a port.

``app.facilitation``'s runtime implements it (``app.state.facilitation``); the sessions and
members services call it, so no domain imports upwards. ``discard`` runs inside the caller's
transaction; the others are registered with ``after_commit`` and run only once the change that
caused them is committed.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession


class LiveRooms(Protocol):
    async def discard(self, db: AsyncSession, session_id: uuid.UUID) -> None:
        """Delete what is saved of a session's live state, in this transaction."""

    def session_ended(self, session_id: uuid.UUID) -> None:
        """After the commit: close the session's room and drop what is held of it in memory."""

    def membership_ended(self, member_id: uuid.UUID) -> None:
        """After the commit: take the member out of every room."""


def get_live_rooms(request: Request) -> LiveRooms:
    rooms: LiveRooms = request.app.state.facilitation
    return rooms


Rooms = Annotated[LiveRooms, Depends(get_live_rooms)]
