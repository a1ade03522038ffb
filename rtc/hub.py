"""The registry of live rooms, shared by connections, the facade and the server."""

from __future__ import annotations

import logging
import time

from .admission import Admission, Revocation
from .config import RTCConfig
from .errors import AppRejected, Removed, Revoked, RoomClosed, RTCError
from .forwarder import Forwarder
from .jointoken import JoinClaims
from .overload import Overload
from .presence import AppHandler, AppMessage, Listener, PresenceEvent
from .room import Room

logger = logging.getLogger(__name__)


class Hub:
    """Rooms by id, the forwarder, the overload level, presence listeners and the app message
    handler."""

    def __init__(self, config: RTCConfig) -> None:
        self.config = config
        self.forwarder = Forwarder(
            keyframe_throttle=config.keyframe_throttle,
            keyframe_retry=config.keyframe_retry,
            speaking_threshold_dbov=config.speaking_threshold_dbov,
            native_wire=config.native_wire,
        )
        self.overload = Overload()
        """Whether the media loop keeps up (rtc/overload.py): how much video every subscriber's
        allocation sheds. Fed by the server's ``LoopWatch``."""
        self.rooms: dict[str, Room] = {}
        self.admission = Admission(config.token_lifetime)
        self.listeners: list[Listener] = []
        self.app_handler: AppHandler | None = None

    def room_for_join(self, claims: JoinClaims) -> Room:
        """The room a verified join token names, created on first join; refused if a revocation
        covers the token (RoomClosed, Removed or Revoked, by its scope)."""
        refusal = self.admission.refusal(claims, time.time())
        if refusal is not None:
            raise _refusal_error(refusal)
        room_id = claims.room
        room = self.rooms.get(room_id)
        if room is None:
            room = self.rooms[room_id] = Room(
                room_id, self.config, self.forwarder, self.emit, self._forget
            )
        return room

    def revoke(self, revocation: Revocation) -> bool:
        """Refuse the tokens a revocation covers, and disconnect whoever it covers now; True if
        anyone was connected."""
        self.admission.revoke(revocation)
        error = _refusal_error(revocation)
        if revocation.participant is None:
            room = self.rooms.pop(revocation.room, None) if revocation.room else None
            if room is not None:
                present = bool(room.members)
                room.close(error)
                return present
            return False
        if revocation.room is None:
            rooms = list(self.rooms.values())
        else:
            rooms = [self.rooms[revocation.room]] if revocation.room in self.rooms else []
        kicked = False
        for room in rooms:
            member = room.members.get(revocation.participant)
            if member is not None:
                member.kick(error)
                kicked = True
        return kicked

    def _forget(self, room: Room) -> None:
        if self.rooms.get(room.id) is room:
            del self.rooms[room.id]

    async def deliver(self, message: AppMessage) -> None:
        """Hand a client's app message to the app's handler (``AppRejected`` if it cannot)."""
        if self.app_handler is None:
            raise AppRejected(f"no handler for '{message.kind}'")
        try:
            await self.app_handler(message)
        except RTCError:
            raise
        except Exception:
            logger.exception("app handler failed for kind %s", message.kind)
            raise AppRejected("the app could not handle this message") from None

    def emit(self, event: PresenceEvent) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:
                logger.exception("presence listener failed")


def _refusal_error(revocation: Revocation) -> RTCError:
    if revocation.participant is None:
        return RoomClosed("this session has ended")
    if revocation.room is None:
        return Revoked("your membership of this group has ended")
    return Removed("removed by the facilitator")
