"""Errors of the media side and the one function mapping them to WebSocket close codes.

::

    RTCError                    code          fatal  close code
     ├── ProtocolError          (various)     no     -  (answered with an ``error`` message)
     │    ├── MessageTooLarge   too-large     no
     │    ├── RateLimited       rate-limited  no
     │    └── Spoofed           spoofed       no
     ├── AppRejected           app-rejected   no
     ├── HandshakeError         bad-version / out-of-order   yes   4002
     ├── AuthError              bad-token / token-expired    yes   4001
     ├── RoomFull               room-full     yes   4003
     ├── TimedOut               timeout       yes   4004
     ├── Replaced               replaced      yes   4006
     ├── Removed                removed       yes   4008
     ├── RoomClosed             room-closed   yes   4007
     ├── ServerClosing          shutdown      yes   1001
     └── InternalError          internal      yes   1011

Non-fatal errors are sent to the client as ``{"type": "error", "code": ..., "detail": ...}``
and the connection goes on; fatal ones are sent the same way, then the socket is closed with
``close_code(exc)``. Codes are stable: clients switch on them (see docs/protocol.md).
"""

from __future__ import annotations


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

    code = "invalid-message"


class MessageTooLarge(ProtocolError):
    code = "too-large"


class RateLimited(ProtocolError):
    code = "rate-limited"


class Spoofed(ProtocolError):
    """The message names a participant other than the sender."""

    code = "spoofed"


class AppRejected(RTCError):
    """The app handler refused an app message (or none is registered for its kind)."""

    code = "app-rejected"


class HandshakeError(RTCError):
    code = "out-of-order"
    fatal = True


class AuthError(RTCError):
    code = "bad-token"
    fatal = True


class RoomFull(RTCError):
    code = "room-full"
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


class RoomClosed(RTCError):
    code = "room-closed"
    fatal = True


class ServerClosing(RTCError):
    code = "shutdown"
    fatal = True


class InternalError(RTCError):
    """A bug on the server ended this connection (logged with its traceback)."""

    code = "internal"
    fatal = True


_CLOSE_CODES: dict[type[RTCError], int] = {
    AuthError: 4001,
    HandshakeError: 4002,
    RoomFull: 4003,
    TimedOut: 4004,
    Replaced: 4006,
    RoomClosed: 4007,
    Removed: 4008,
    ServerClosing: 1001,
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
