"""Typed presence events rtc/ reports to app/ (through ``RoomControl``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Joined:
    room: str
    participant: str
    role: str


@dataclass(frozen=True, slots=True)
class Left:
    room: str
    participant: str
    reason: Literal["left", "removed", "room-closed", "lost"]
    """``lost`` means the connection dropped and the participant did not come back in time."""


@dataclass(frozen=True, slots=True)
class ConnectionLost:
    """The participant's connection dropped without a leave; it may still come back."""

    room: str
    participant: str


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


PresenceEvent = Joined | Left | ConnectionLost | Reconnected | Speaking


@dataclass(frozen=True, slots=True)
class AppMessage:
    """A client message of a kind rtc/ does not own, routed to the app's handler."""

    room: str
    participant: str
    role: str
    kind: str
    data: dict[str, Any]
