"""A room: the participants of one session's live media, and who forwards what to whom.

The room knows its members only through the ``Member`` protocol (rtc/connection.py implements
it), so the arrow runs one way: connection -> room -> forwarder. A member's own state (its peer
connections, its subscriptions) is changed only by that member's connection task; the room just
tells it that something changed (``subscriptions_changed``) or queues a message (``send``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from . import messages as m
from .config import RTCConfig
from .errors import Replaced, RoomClosed, RoomFull, RTCError
from .forwarder import Forwarder, Source, StreamKey
from .jointoken import Role
from .presence import (
    ConnectionLost,
    DepartReason,
    Joined,
    Left,
    Listener,
    Reconnected,
    Speaking,
    WeakLink,
)

logger = logging.getLogger(__name__)


class Member(Protocol):
    """What the room needs from a connected participant."""

    id: str
    name: str
    role: Role
    audio_muted: bool
    video_muted: bool
    sources: dict[str, Source]

    def send(self, message: m.ServerMessage) -> None: ...
    def subscriptions_changed(self) -> None: ...
    def kick(self, error: RTCError) -> None: ...


class Room:
    """Membership, forwarding graph inputs, server-side mute and voice activity of one room."""

    def __init__(
        self,
        room_id: str,
        config: RTCConfig,
        forwarder: Forwarder,
        emit: Listener,
        on_empty: Callable[[Room], None],
    ) -> None:
        self.id = room_id
        self.config = config
        self.forwarder = forwarder
        self._emit = emit
        self._on_empty = on_empty
        self.members: dict[str, Member] = {}
        self.forced_mute: set[str] = set()
        self.floor: str | None = None
        """Who has the floor, as the app says (``RoomControl.set_floor``)."""
        self.apart: dict[str, int] = {}
        """Small rooms inside the room (pairs): participant -> its small room. Media flows only
        between participants of the same small room; whoever is in none is in the whole group."""
        self._lost: dict[str, asyncio.TimerHandle] = {}
        self._talk: dict[str, float] = {}
        self._speaking: dict[str, bool] = {}
        self._monitor: asyncio.Task[None] | None = None
        self.closed = False

    # --- membership ---

    def admit(self, member: Member) -> None:
        """Add a member (raises RoomFull / RoomClosed); a second connection replaces the first."""
        if self.closed:
            raise RoomClosed("this room has been closed")
        previous = self.members.pop(member.id, None)
        back = previous is not None or member.id in self._lost
        if previous is not None:
            self.unpublish(previous)
            previous.kick(Replaced("the same participant joined from another connection"))
        elif not back and len(self.members) + len(self._lost) >= self.config.max_participants:
            # a participant whose connection was lost keeps its seat during the grace period
            raise RoomFull(f"a room admits at most {self.config.max_participants} participants")
        timer = self._lost.pop(member.id, None)
        if timer is not None:
            timer.cancel()
        self.members[member.id] = member
        if self._monitor is None:
            self._monitor = asyncio.ensure_future(self._watch_voice())
        self._emit(
            Reconnected(self.id, member.id)
            if back
            else Joined(self.id, member.id, member.role, member.name)
        )
        self.broadcast(m.PeerJoined(peer=self.peer_info(member)), skip=member.id)
        # who was in which room is attendance: the log says only that someone came or went
        logger.info("a participant joined room %s (%d in it)", self.id, len(self.members))

    def announce(self) -> None:
        """A ``Joined`` for everyone connected now (``RoomControl.announce``)."""
        for member in list(self.members.values()):
            self._emit(Joined(self.id, member.id, member.role, member.name))

    def depart(self, member: Member, reason: DepartReason) -> None:
        """Remove a member that left, was removed, or whose connection was lost."""
        self.unpublish(member)
        if self.members.get(member.id) is not member:
            return  # replaced by a newer connection, or already gone
        del self.members[member.id]
        self._speaking.pop(member.id, None)
        self.broadcast(
            m.PeerLeft(
                participant=member.id,
                reason="removed" if reason == "removed" else "lost" if reason == "lost" else "left",
            )
        )
        logger.info("a participant left room %s (%s)", self.id, reason)
        if reason == "lost" and not self.closed:
            self._emit(ConnectionLost(self.id, member.id))
            loop = asyncio.get_running_loop()
            self._lost[member.id] = loop.call_later(
                self.config.reconnect_grace, self._give_up, member.id
            )
        else:
            self._emit(Left(self.id, member.id, reason))
        self._maybe_empty()

    def _give_up(self, participant: str) -> None:
        if self._lost.pop(participant, None) is not None:
            self._emit(Left(self.id, participant, "lost"))
            self._maybe_empty()

    def _maybe_empty(self) -> None:
        if not self.members and not self._lost:
            self._stop_monitor()
            self._on_empty(self)

    def close(self, error: RTCError | None = None) -> None:
        """Kick everyone out (room_closed by default) and forget every pending reconnection."""
        self.closed = True
        for timer in self._lost.values():
            timer.cancel()
        for participant in list(self._lost):
            self._emit(Left(self.id, participant, "room_closed"))
        self._lost.clear()
        for member in list(self.members.values()):
            member.kick(error or RoomClosed("the session has ended"))
        self._stop_monitor()

    def _stop_monitor(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            self._monitor = None

    # --- media ---

    def published(self, member: Member) -> None:
        """A member's sources changed: apply server-side mute, tell every subscriber."""
        audio = member.sources.get("audio")
        if audio is not None:
            audio.enabled = member.id not in self.forced_mute
        for other in self.members.values():
            if other is not member:
                other.subscriptions_changed()

    def unpublish(self, member: Member) -> None:
        """Stop forwarding everything a member publishes (its subscribers re-negotiate)."""
        if not member.sources:
            return
        for source in member.sources.values():
            self.forwarder.remove_source(source)
        member.sources = {}
        for other in self.members.values():
            if other is not member:
                other.subscriptions_changed()

    def available(self, subscriber: str) -> dict[StreamKey, Source]:
        """Every stream a subscriber should receive: (participant, kind) -> source (only from
        its own small room while the room is split)."""
        mine = self.apart.get(subscriber)
        return {
            (member.id, kind): source
            for member in self.members.values()
            if member.id != subscriber and self.apart.get(member.id) == mine
            for kind, source in member.sources.items()
        }

    def split(self, groups: list[list[str]] | None) -> None:
        """Keep ``groups`` apart (each hears and sees only itself), or None: one room again.
        Every subscriber re-negotiates; what it may no longer receive stops at once."""
        apart = {p: i for i, group in enumerate(groups or []) for p in group}
        if apart == self.apart:
            return
        self.apart = apart
        for member in self.members.values():
            member.subscriptions_changed()

    def set_audio_forwarding(self, participant: str, enabled: bool) -> None:
        """Server-side mute: stop or resume forwarding a participant's audio to everyone."""
        if enabled:
            self.forced_mute.discard(participant)
        else:
            self.forced_mute.add(participant)
        member = self.members.get(participant)
        if member is None:
            return
        source = member.sources.get("audio")
        if source is not None and source.enabled != enabled:
            source.enabled = enabled
            if enabled:
                self.forwarder.resume(source)
        self.broadcast(self.mute_state(member))

    def mute_state(self, member: Member) -> m.MuteState:
        return m.MuteState(
            participant=member.id,
            audio_muted=member.audio_muted,
            video_muted=member.video_muted,
            forced_mute=member.id in self.forced_mute,
        )

    def welcome(self, member: Member) -> m.Joined:
        """The ``joined`` answer to a member just admitted: the others, and the ICE servers."""
        return m.Joined(
            room=self.id,
            participant=member.id,
            role=member.role,
            participants=[self.peer_info(p) for p in self.members.values() if p is not member],
            ice_servers=[
                m.IceServerInfo(urls=list(s.urls), username=s.username, credential=s.credential)
                for s in self.config.ice_servers
            ],
        )

    def peer_info(self, member: Member) -> m.PeerInfo:
        return m.PeerInfo(
            id=member.id,
            name=member.name,
            role=member.role,
            audio_muted=member.audio_muted,
            video_muted=member.video_muted,
            forced_mute=member.id in self.forced_mute,
        )

    def broadcast(self, message: m.ServerMessage, *, skip: str | None = None) -> int:
        """Queue a message to every member (but ``skip``); returns how many got it."""
        count = 0
        for member in list(self.members.values()):
            if member.id != skip:
                member.send(message)
                count += 1
        return count

    def link_changed(self, member: Member, weak: bool) -> None:
        """A member's link became short (videos paused for them) or recovered."""
        if self.members.get(member.id) is member:
            self._emit(WeakLink(self.id, member.id, weak))

    # --- voice activity ---

    async def _watch_voice(self) -> None:
        interval = self.config.speaking_interval
        while True:
            await asyncio.sleep(interval)
            for member in list(self.members.values()):
                source = member.sources.get("audio")
                speaking = False
                if source is not None:
                    voiced, leveled = self.forwarder.take_voice(source)
                    speaking = source.enabled and leveled > 0 and voiced * 3 >= leveled
                if speaking:
                    self._talk[member.id] = self._talk.get(member.id, 0.0) + interval
                if speaking != self._speaking.get(member.id, False):
                    self._speaking[member.id] = speaking
                    self._emit(
                        Speaking(
                            self.id, member.id, speaking, round(self._talk.get(member.id, 0.0), 3)
                        )
                    )
