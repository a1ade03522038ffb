"""Why a live action is refused: part of app/'s one error tree (``app.core.errors``).

    Conflict (409)
    └── LiveError     not possible in the session's current state: session_ended, not_waiting,
                      no_template, no_round, round_started, already_started, not_present, ...
    Forbidden (403)
    └── Refused       not this participant's to do: not_in_control, not_lead, removed,
                      room_locked, cannot_remove, not_facilitator

The engine's own errors (``app.rounds.errors``) go out the same way. Over REST the one handler
answers ``{"error": code, "detail": text}`` with the error's status; on the room's WebSocket the
runtime answers an ``error`` message with the same code (docs/protocol.md, Facilitation).
"""

from __future__ import annotations

from app.core.errors import Conflict, Forbidden


class LiveError(Conflict):
    """Not possible in the session's current state."""


class Refused(Forbidden):
    """Not this participant's to do."""
