"""Errors raised by the pure rounds core (templates, round engine, floor, phase sequence).

Every error carries a stable ``code`` and an HTTP ``status``: they are part of app/'s one error
tree (``app.core.errors.RoundsError``, itself pure), so the one HTTP handler and the room's
WebSocket report them unchanged. Raising never changes any state: every function in
``app.rounds`` returns new immutable values and only returns them when nothing was wrong.

    EngineError                     engine_error
    ├── IllegalTransition           illegal_transition   (event not legal in the current state)
    │   ├── RoundEnded              round_ended          (any control after the round has ended)
    │   └── NothingQueued           nothing_queued       (start with nobody to offer a turn to)
    ├── NotAllowed                  not_allowed          (the actor's role may not do this)
    │   └── NotSpeaker              not_speaker          (only the current speaker may do this)
    └── InvalidEvent                invalid_event        (arguments that do not fit the state)
        ├── UnknownParticipant      unknown_participant
        ├── AlreadyInRound          already_in_round
        ├── InvalidOrder            invalid_order
        └── InvalidPlan             invalid_plan         (a plan of phases that is not valid)
"""

from __future__ import annotations

from app.core.errors import RoundsError


class EngineError(RoundsError):
    """Base of every error raised by app.rounds; ``code`` is stable and part of the API."""

    code = "engine_error"
    status = 409

    def __init__(self, detail: str) -> None:
        super().__init__(None, detail)


class IllegalTransition(EngineError):
    """The event is not legal in the current state (see the transition tables)."""

    code = "illegal_transition"


class RoundEnded(IllegalTransition):
    """The round has ended; it stays ended."""

    code = "round_ended"


class NothingQueued(IllegalTransition):
    """There is nobody waiting who could be offered a turn."""

    code = "nothing_queued"


class NotAllowed(EngineError):
    """The actor's role does not allow this event."""

    code = "not_allowed"
    status = 403


class NotSpeaker(NotAllowed):
    """Only the current speaker may do this (e.g. "I've finished")."""

    code = "not_speaker"


class InvalidEvent(EngineError):
    """The event's arguments do not fit the state."""

    code = "invalid_event"
    status = 422


class UnknownParticipant(InvalidEvent):
    """The participant has no turn in this round."""

    code = "unknown_participant"


class AlreadyInRound(InvalidEvent):
    """The participant already has a turn in this round."""

    code = "already_in_round"


class InvalidOrder(InvalidEvent):
    """A reorder that is not a permutation of the queued turns."""

    code = "invalid_order"


class InvalidPlan(InvalidEvent):
    """A change to the session's plan that would leave it invalid (too long, a push-back
    without a presentation before it, a phase that has already started)."""

    code = "invalid_plan"
