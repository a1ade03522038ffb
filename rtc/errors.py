"""Errors of the media side, and the functions mapping the one that ends a connection to its
WebSocket close code (``close_code``) and to how the participant left (``depart_reason``).

::

    RTCError                    code                         fatal  close code
     ├── ProtocolError          (various)                    no     -  (an ``error`` message)
     │    ├── MessageTooLarge   too_large                    no
     │    ├── RateLimited       rate_limited                 no
     │    └── Spoofed           spoofed                      no
     ├── AppRejected            app_rejected (or the app's)  no
     ├── HandshakeError         bad_version / out_of_order   yes    4002
     ├── AuthError              bad_token / token_expired    yes    4001
     ├── RoomFull               room_full                    yes    4003
     ├── TooManyConnections     too_many_connections         yes    4005
     ├── TimedOut               timeout                      yes    4004
     ├── Replaced               replaced                     yes    4006
     ├── Removed                removed                      yes    4008
     ├── Revoked                revoked                      yes    4009
     ├── RoomClosed             room_closed                  yes    4007
     ├── ServerClosing          shutdown                     yes    1001
     ├── Moved                  moved                        yes    4010
     └── InternalError          internal                     yes    1011

Non-fatal errors are sent to the client as ``{"type": "error", "code": ..., "detail": ...}``
and the connection goes on; fatal ones are sent the same way, then the socket is closed with
``close_code(exc)``. Codes are stable: clients switch on them (see docs/protocol.md). Like the
app's codes (REST and facilitation), they are snake_case.
"""

from __future__ import annotations

from .presence import DepartReason


class RTCError(Exception):
    """Base of every error rtc/ reports to a client."""

    code: str = "internal"
    fatal: bool = False
    ref: str | None = None
    """The ``type`` of the client message that caused it, when known."""

    def __init__(self, detail: str = "", *, code: str | None = None) -> None:
        super().__init__(detail or self.code)
        self.detail = detail or self.code
        if code is not None:
            self.code = code


class ProtocolError(RTCError):
    """A malformed, unknown or misplaced message; the connection survives."""

    code = "invalid_message"


class MessageTooLarge(ProtocolError):
    code = "too_large"


class RateLimited(ProtocolError):
    code = "rate_limited"


class Spoofed(ProtocolError):
    """The message names a participant other than the sender."""

    code = "spoofed"


class AppRejected(RTCError):
    """The app handler refused an app message (or none is registered for its kind)."""

    code = "app_rejected"


class HandshakeError(RTCError):
    code = "out_of_order"
    fatal = True


class AuthError(RTCError):
    code = "bad_token"
    fatal = True


class RoomFull(RTCError):
    code = "room_full"
    fatal = True


class TooManyConnections(RTCError):
    """The client's address holds as many connections (or unjoined ones) as it may."""

    code = "too_many_connections"
    fatal = True


class TimedOut(RTCError):
    code = "timeout"
    fatal = True


class Replaced(RTCError):
    code = "replaced"
    fatal = True


class Removed(RTCError):
    code = "removed"
    fatal = True


class Revoked(RTCError):
    """The participant may no longer be in any room (their membership has ended)."""

    code = "revoked"
    fatal = True


class RoomClosed(RTCError):
    code = "room_closed"
    fatal = True


class ServerClosing(RTCError):
    code = "shutdown"
    fatal = True


class Moved(RTCError):
    """The room moves to another media server (a worker draining): join again at once, with
    a new grant."""

    code = "moved"
    fatal = True


class InternalError(RTCError):
    """A bug on the server ended this connection (logged with its traceback)."""

    code = "internal"
    fatal = True


_CLOSE_CODES: dict[type[RTCError], int] = {
    AuthError: 4001,
    HandshakeError: 4002,
    RoomFull: 4003,
    TooManyConnections: 4005,
    TimedOut: 4004,
    Replaced: 4006,
    RoomClosed: 4007,
    Removed: 4008,
    Revoked: 4009,
    ServerClosing: 1001,
    Moved: 4010,
    InternalError: 1011,
}


def close_code(exc: BaseException | None) -> int:
    """The WebSocket close code for the error that ends a connection (1000 for none)."""
    if exc is None:
        return 1000
    for cls in type(exc).__mro__:
        if cls in _CLOSE_CODES:
            return _CLOSE_CODES[cls]  # type: ignore[index]
    if isinstance(exc, RTCError):
        return 4000
    return 1011


_DEPART_REASONS: dict[type[RTCError], DepartReason] = {
    Removed: "removed",
    Revoked: "removed",
    RoomClosed: "room_closed",
    ServerClosing: "room_closed",
    Replaced: "left",
}


def depart_reason(exc: RTCError) -> DepartReason:
    """How a participant whose connection this error ended left the room (``Left.reason``);
    ``lost`` for any other error: the participant may come back."""
    for cls in type(exc).__mro__:
        if cls in _DEPART_REASONS:
            return _DEPART_REASONS[cls]  # type: ignore[index]
    return "lost"
