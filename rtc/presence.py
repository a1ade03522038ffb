"""Typed presence events rtc/ reports to app/ (through ``RoomControl``), and the app messages
it routes to app/'s handler: the types both sides share are defined here, once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .jointoken import Role

DepartReason = Literal["left", "lost", "removed", "room_closed"]
"""Why a participant left a room (``Left.reason``); not sent on the wire as such."""


@dataclass(frozen=True, slots=True)
class Joined:
    room: str
    participant: str
    role: Role
    name: str = field(repr=False)
    """Display name from the join token (left out of the repr: names are never logged)."""


@dataclass(frozen=True, slots=True)
class Left:
    room: str
    participant: str
    reason: DepartReason
    """``lost`` means the connection dropped and the participant did not come back in time."""


@dataclass(frozen=True, slots=True)
class ConnectionLost:
    """The participant's connection dropped without a leave; it may still come back."""

    room: str
    participant: str
    at: float | None = None
    """When, in Unix time, if it was learned late (a media worker's last heartbeat, when the
    worker died); None: now."""


@dataclass(frozen=True, slots=True)
class Reconnected:
    room: str
    participant: str


@dataclass(frozen=True, slots=True)
class Speaking:
    """Aggregated voice activity (RFC 6464 levels, never decoded); sent on change only."""

    room: str
    participant: str
    speaking: bool
    talk_seconds: float
    """Total seconds this participant has been heard in this room (facilitator-only figure)."""


@dataclass(frozen=True, slots=True)
class WeakLink:
    """The participant's link cannot take every video: some are paused for them (rtc/bandwidth.py),
    or, with ``weak`` False, no longer. A silence from them may be their connection."""

    room: str
    participant: str
    weak: bool


PresenceEvent = Joined | Left | ConnectionLost | Reconnected | Speaking | WeakLink
Listener = Callable[[PresenceEvent], None]


@dataclass(frozen=True, slots=True)
class AppMessage:
    """A client message of a kind rtc/ does not own, routed to the app's handler."""

    room: str
    participant: str
    role: Role
    kind: str
    data: dict[str, Any]


AppHandler = Callable[[AppMessage], Awaitable[None]]
"""app/'s handler of app messages (raise ``AppRejected`` to refuse one)."""
