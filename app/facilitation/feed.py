"""The lobby as it happens: one feed per session for the pages that wait (server-sent events).

A doctor waiting in the lobby and a facilitator watching it from the group page each hold one
stream (`GET /sessions/{id}/events`); nobody polls. Events:

* ``session`` ``{"status": ...}``: the session opened, went live or ended (to everyone);
* ``admitted`` ``{}``: this member has been let in: ask for the join grant now (to them only);
* ``refused`` ``{"code": "removed"}``: this member will not be let in (to them only);
* ``lobby`` ``{"waiting": [{"participant_id", "name"}]}``: who is waiting (facilitators only).

In memory, per process, like the rooms themselves. A slow reader's queue keeps only the latest
events (each carries the whole current value, so nothing is lost by skipping older ones).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import RoundsError

QUEUE = 16
STREAMS_PER_SESSION = 64
"""A group has at most 12 people; more streams than this for one session is abuse."""


class TooManyStreams(RoundsError):
    code = "too_many_streams"
    status = 429


@dataclass(eq=False)
class Listener:
    """One open stream: who holds it, and its events not yet sent."""

    participant: str | None
    leads: bool
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = field(
        default_factory=lambda: asyncio.Queue(QUEUE))

    def put(self, kind: str, data: dict[str, Any]) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # the newest event carries the current value
        self.queue.put_nowait((kind, data))


class Feed:
    """The open streams of every session, and what is published to them."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[Listener]] = {}

    def check_room(self, session_id: str) -> None:
        """Refuse another stream for a session that has too many."""
        if len(self._listeners.get(session_id, ())) >= STREAMS_PER_SESSION:
            raise TooManyStreams(None, "too many open streams for this session")

    @contextmanager
    def listen(self, session_id: str, *, participant: str | None, leads: bool
               ) -> Iterator[Listener]:
        """Open a stream for the duration of the ``with`` block."""
        listeners = self._listeners.setdefault(session_id, set())
        listener = Listener(participant, leads)
        listeners.add(listener)
        try:
            yield listener
        finally:
            listeners.discard(listener)
            if not listeners:
                self._listeners.pop(session_id, None)

    def publish(self, session_id: str, kind: str, data: dict[str, Any], *,
                to: str | None = None, leads_only: bool = False) -> None:
        """Send an event to the session's streams: all, one participant's, or the leads'."""
        for listener in self._listeners.get(session_id, ()):
            if to is not None and listener.participant != to:
                continue
            if leads_only and not listener.leads:
                continue
            listener.put(kind, data)


def frame(kind: str, data: dict[str, Any]) -> str:
    """One server-sent event."""
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
