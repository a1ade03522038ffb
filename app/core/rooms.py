"""What the domains below facilitation may ask of live rooms: a port.

``app.facilitation``'s runtime implements it (``app.state.facilitation``), and so does
``app.facilitation.store.OFFLINE`` for a process without rooms (`rounds purge`); the sessions
and members services call it, so no domain imports upwards. Each method writes in the caller's
transaction and acts on live rooms only once that transaction has committed (``after_commit``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession


class LiveRooms(Protocol):
    async def end_session(self, db: AsyncSession, session_id: uuid.UUID) -> None:
        """Delete the session's live state and withdraw the join tokens issued for its room;
        after the commit, close the room and drop what is held of it in memory."""

    def session_changed(self, db: AsyncSession, session_id: uuid.UUID, status: str) -> None:
        """After the commit, tell the pages waiting for the session that its status changed
        (it opened or went live; ending is ``end_session``)."""

    async def end_membership(self, db: AsyncSession, member_id: uuid.UUID) -> None:
        """Withdraw the join tokens issued to the member; after the commit, take them out of
        every room."""


DROP_IN_ROOM = "drop-in-"
"""The prefix of a drop-in room's id in rtc/ (``app.dropin.sittings``): a fresh random id for
each sitting, never a session's."""
PAIR_ROOM = "pair-"
"""The prefix of a near-peer pair's room id in rtc/ (``app.pairing``): ``pair-{pair id}``."""


def is_drop_in_room(room: str) -> bool:
    """Whether an rtc/ room id is a drop-in room's."""
    return room.startswith(DROP_IN_ROOM)


def is_session_room(room: str) -> bool:
    """Whether an rtc/ room id is a session's (facilitated, with live state); drop-in and pair
    rooms are not, and the facilitation runtime leaves them alone."""
    return not room.startswith((DROP_IN_ROOM, PAIR_ROOM))


def get_live_rooms(request: Request) -> LiveRooms:
    rooms: LiveRooms = request.app.state.facilitation
    return rooms


Rooms = Annotated[LiveRooms, Depends(get_live_rooms)]
