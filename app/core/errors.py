"""The one error hierarchy of app/ (pure: the round engine's errors derive from it too).

    RoundsError                     (400 bad_request)
    ├── Invalid                     (422 invalid)
    ├── Unauthenticated             (401 unauthenticated)
    ├── Forbidden                   (403 forbidden)
    │   └── facilitation.Refused    (403: not_in_control, removed, room_locked, ...)
    ├── NotFound                    (404 not_found)
    ├── Conflict                    (409 conflict)
    │   └── facilitation.LiveError  (409: session_ended, not_waiting, no_round, ...)
    ├── Gone                        (410 gone)
    ├── TooManyRequests             (429 too_many_requests, with ``retry_after`` seconds)
    ├── Unavailable                 (503 unavailable: no_media_capacity)
    └── rounds.EngineError          (409, 403 or 422 by kind: see app.rounds.errors)

Every error carries its HTTP ``status`` and a stable ``code``; ``app.core.handlers`` turns any of
them into ``{"error": code, "detail": text}`` with that status (and ``Retry-After`` for a 429),
and the facilitation runtime into an ``error`` message on the room's WebSocket with the same
code. Codes are snake_case everywhere. A subclass instance may carry a more specific code
(``Gone("invite_expired", "...")``).
"""

from __future__ import annotations


class RoundsError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, code: str | None = None, detail: str = "") -> None:
        super().__init__(detail or code or self.code)
        if code:
            self.code = code
        self.detail = detail or self.code.replace("_", " ")


class Invalid(RoundsError):
    status, code = 422, "invalid"


class Unauthenticated(RoundsError):
    status, code = 401, "unauthenticated"


class Forbidden(RoundsError):
    status, code = 403, "forbidden"


class NotFound(RoundsError):
    status, code = 404, "not_found"


class Conflict(RoundsError):
    status, code = 409, "conflict"


class Gone(RoundsError):
    status, code = 410, "gone"


class Unavailable(RoundsError):
    """Something the request needs cannot be had now (no media worker has room)."""

    status, code = 503, "unavailable"


class TooManyRequests(RoundsError):
    """A throttle refused the request; ``retry_after`` is the whole seconds until it may try
    again (the handler sends it as ``Retry-After``)."""

    status, code = 429, "too_many_requests"

    def __init__(self, code: str | None = None, detail: str = "", *, retry_after: int = 1) -> None:
        super().__init__(code, detail)
        self.retry_after = max(1, retry_after)
