"""The registry of live rooms, shared by connections, the facade and the server."""

from __future__ import annotations

import logging
from collections import OrderedDict

from .config import RTCConfig
from .errors import AppRejected, RoomClosed, RTCError
from .forwarder import Forwarder
from .presence import AppHandler, AppMessage, Listener, PresenceEvent
from .room import Room

logger = logging.getLogger(__name__)


class Hub:
    """Rooms by id, the forwarder, presence listeners and the app message handler."""

    def __init__(self, config: RTCConfig) -> None:
        self.config = config
        self.forwarder = Forwarder(
            keyframe_throttle=config.keyframe_throttle,
            keyframe_retry=config.keyframe_retry,
            speaking_threshold_dbov=config.speaking_threshold_dbov,
        )
        self.rooms: dict[str, Room] = {}
        self.closed_rooms: OrderedDict[str, None] = OrderedDict()
        self.listeners: list[Listener] = []
        self.app_handler: AppHandler | None = None

    def room_for_join(self, room_id: str) -> Room:
        """The room a join token names, created on first join (RoomClosed once closed)."""
        if room_id in self.closed_rooms:
            raise RoomClosed("this session has ended")
        room = self.rooms.get(room_id)
        if room is None:
            room = self.rooms[room_id] = Room(
                room_id, self.config, self.forwarder, self.emit, self._forget
            )
        return room

    def close_room(self, room_id: str) -> None:
        """Close a room for good: everyone is removed and nobody can join it again."""
        self.closed_rooms[room_id] = None
        while len(self.closed_rooms) > 10_000:
            self.closed_rooms.popitem(last=False)
        room = self.rooms.pop(room_id, None)
        if room is not None:
            room.close()

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
