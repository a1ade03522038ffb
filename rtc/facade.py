"""The small facade app/ uses to control rooms, and the presence events it gets back.

app/ never touches connections or peer connections: it calls ``RoomControl`` (available as
``RTCServer.control``) and listens to presence events (``add_listener`` or ``events()``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from . import messages as m
from .admission import Revocation
from .hub import Hub
from .presence import (
    AppHandler,
    AppMessage,
    ConnectionLost,
    Joined,
    Left,
    Listener,
    PresenceEvent,
    Reconnected,
    Speaking,
    WeakLink,
)

__all__ = [
    "AppMessage",
    "ConnectionLost",
    "Joined",
    "Left",
    "PresenceEvent",
    "Reconnected",
    "RoomControl",
    "Speaking",
    "WeakLink",
]


class RoomControl:
    """What app/ may do to live rooms."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    def revoke(self, *, room: str | None = None, participant: str | None = None,
               at: float | None = None) -> bool:
        """Withdraw admission: a room for good (the session ended), a participant from one room
        (removed) or from every room (their membership ended). Tokens for that scope are refused
        at the join until every token issued before ``at`` (default: now) has expired, and
        whoever it covers is disconnected now (room_closed, removed or revoked); True if anyone
        was connected."""
        if room is None and participant is None:
            raise ValueError("a revocation names a room, a participant or both")
        return self._hub.revoke(Revocation(room, participant, time.time() if at is None else at))

    def close_room(self, room: str) -> None:
        """End a room: every participant is disconnected (room_closed) and it cannot be rejoined."""
        self.revoke(room=room)

    def remove_participant(self, room: str, participant: str) -> bool:
        """Disconnect one participant (close code 4008) and refuse their tokens for this room;
        False if they were not connected."""
        return self.revoke(room=room, participant=participant)

    def set_audio_forwarding(self, room: str, participant: str, enabled: bool) -> None:
        """Server-side mute: stop (or resume) forwarding a participant's audio to everyone.

        It holds across reconnections until lifted. It cannot unmute a client's own microphone.
        """
        live = self._hub.rooms.get(room)
        if live is not None:
            live.set_audio_forwarding(participant, enabled)

    def set_floor(self, room: str, participant: str | None) -> None:
        """Who has the floor (the speaker, the presenter): on a weak link their video is the
        last to be paused (rtc/bandwidth.py). None: whoever spoke most recently."""
        live = self._hub.rooms.get(room)
        if live is not None:
            live.floor = participant

    def split_room(self, room: str, groups: list[list[str]] | None) -> None:
        """Small rooms inside a room (pairs): media flows only within each group; whoever is
        in no group is in the whole group with the others in none. None joins them again."""
        live = self._hub.rooms.get(room)
        if live is not None:
            live.split(groups)

    def send_event(
        self, room: str, event: dict[str, object], participant: str | None = None
    ) -> int:
        """Push an app event to one participant or the whole room; returns recipients.

        ``event["kind"]`` (a string) becomes the event's kind, every other key its data.
        """
        kind = event.get("kind")
        if not isinstance(kind, str) or not kind:
            raise ValueError("an app event needs a 'kind' string")
        message = m.Event(kind=kind, data={k: v for k, v in event.items() if k != "kind"})
        live = self._hub.rooms.get(room)
        if live is None:
            return 0
        if participant is None:
            return live.broadcast(message)
        member = live.members.get(participant)
        if member is None:
            return 0
        member.send(message)
        return 1

    def announce(self) -> None:
        """Tell the listeners again that everyone connected now has joined (a ``Joined`` each):
        an app that took over live rooms (another API replica, issue 16) learns who is in them."""
        for room in list(self._hub.rooms.values()):
            room.announce()

    def set_message_handler(self, handler: AppHandler | None) -> None:
        """Route client ``app`` messages to ``handler`` (raise AppRejected to refuse one)."""
        self._hub.app_handler = handler

    def rooms(self) -> list[str]:
        """Ids of the rooms open now."""
        return list(self._hub.rooms)

    def participants(self, room: str) -> list[str]:
        """Ids of the participants connected to a room now."""
        live = self._hub.rooms.get(room)
        return list(live.members) if live else []

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every presence event; returns a function that stops it."""
        self._hub.listeners.append(listener)
        return lambda: self._hub.listeners.remove(listener)

    def events(self) -> asyncio.Queue[PresenceEvent]:
        """A new queue that receives every presence event from now on."""
        queue: asyncio.Queue[PresenceEvent] = asyncio.Queue()
        self.add_listener(queue.put_nowait)
        return queue
