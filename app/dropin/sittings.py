"""Drop-in rooms while they are open: who waits, who is in, held in memory only.

Theory of operation
-------------------
A *sitting* is one opening of a drop-in room. It gets a fresh random rtc/ room id
(``drop-in-<hex>``, see ``app.core.rooms``), so nothing ties one sitting's room to the next.
A visitor who knocks gets a *visit*: a random participant id and a random ticket that only their
tab holds. The host admits or removes visits; an admitted visit gets a join token naming the
sitting's room and the visit's id. Removing a visit revokes that (room, participant) pair in
rtc/'s admission, which disconnects them now and refuses the same token at any later join; the
ticket stops working at once. A visit is forgotten the moment its person leaves the room, and
a waiting visit whose page stops listening is forgotten after ``WAIT_SILENCE`` seconds. Closing
the sitting closes its room in rtc/ and forgets everything.

Nothing here is written to the database, the log or the metrics: not a name, not an id, not a
count per visitor. The audit log (``app.dropin.service``) records only that a room opened and
closed, with the host's account.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal

from app.core.errors import Conflict, Forbidden, Gone, NotFound, TooManyRequests
from app.core.rooms import DROP_IN_ROOM, is_drop_in_room
from app.facilitation.feed import Feed
from rtc.facade import ConnectionLost, Joined, Left, PresenceEvent, Reconnected, RoomControl

WAIT_SILENCE = 60.0
"""Seconds after which a waiting visitor whose page no longer listens is forgotten."""
MAX_WAITING = 30
"""More visitors waiting at once than this for one room is abuse."""

VisitState = Literal["waiting", "admitted", "removed"]


@dataclass(eq=False)
class Visit:
    """Someone who dropped in: known only by a random id and the name they chose."""

    id: str
    ticket: str = field(repr=False)
    name: str = field(repr=False)
    state: VisitState = "waiting"
    inside: bool = False
    seen: float = 0.0
    """When their page last listened (monotonic seconds)."""


@dataclass(eq=False)
class Sitting:
    """One opening of a drop-in room."""

    room_id: uuid.UUID
    key: str
    """The rtc/ room id of this sitting."""
    visits: dict[str, Visit] = field(default_factory=dict)
    hosts: set[str] = field(default_factory=set)
    """Host accounts connected to the room now."""
    opened_by_host: bool = False


class Sittings:
    """Every open sitting, by drop-in room; the one owner of this state (one event loop)."""

    def __init__(self, control: RoomControl, *, clock: Callable[[], float] = time.monotonic,
                 on_closed: Callable[[uuid.UUID], Coroutine[Any, Any, None]] | None = None
                 ) -> None:
        self.control = control
        self.clock = clock
        self.on_closed = on_closed
        """Awaited (in a task) when a sitting closes by itself: its last person left."""
        self._tasks: set[asyncio.Task[None]] = set()
        self.feed = Feed()
        """Streams by sitting key: hosts' `lobby`; a visitor's `admitted` / `refused`."""
        self._by_room: dict[uuid.UUID, Sitting] = {}
        self._by_key: dict[str, Sitting] = {}
        self._by_ticket: dict[str, tuple[Sitting, Visit]] = {}
        self._stop: Callable[[], None] | None = None

    def start(self) -> None:
        self._stop = self.control.add_listener(self._on_presence)

    def stop(self) -> None:
        if self._stop:
            self._stop()
        for room_id in list(self._by_room):
            self.close(room_id)

    # ------------------------------------------------------------------ reads

    def get(self, room_id: uuid.UUID) -> Sitting | None:
        return self._by_room.get(room_id)

    def open_rooms(self) -> list[uuid.UUID]:
        return list(self._by_room)

    def visit(self, ticket: str) -> tuple[Sitting, Visit]:
        """The sitting and visit a ticket belongs to (refused once removed or forgotten)."""
        found = self._by_ticket.get(ticket)
        if found is None:
            raise NotFound("visit_not_found", "this visit has ended: use the network's link "
                           "to come back")
        if found[1].state == "removed":
            raise Forbidden("removed", "the host has asked you to leave this room")
        return found

    def lobby(self, room_id: uuid.UUID) -> dict[str, object]:
        """The hosts' view: who waits and who is in (names for the hosts' page only)."""
        sitting = self._by_room.get(room_id)
        if sitting is None:
            return {"open": False, "waiting": [], "inside": []}
        self._prune(sitting)
        return {
            "open": True,
            "waiting": [{"participant_id": v.id, "name": v.name}
                        for v in sitting.visits.values() if v.state == "waiting"],
            "inside": [{"participant_id": v.id, "name": v.name}
                       for v in sitting.visits.values() if v.state == "admitted" and v.inside],
        }

    # ------------------------------------------------------------------ changes

    def sitting(self, room_id: uuid.UUID) -> Sitting:
        """The room's open sitting, or a new one with a fresh room id."""
        sitting = self._by_room.get(room_id)
        if sitting is None:
            sitting = Sitting(room_id, f"{DROP_IN_ROOM}{secrets.token_hex(16)}")
            self._by_room[room_id] = sitting
            self._by_key[sitting.key] = sitting
        return sitting

    def knock(self, room_id: uuid.UUID, name: str) -> Visit:
        """Someone asks to come in: a new visit, waiting."""
        sitting = self.sitting(room_id)
        self._prune(sitting)
        if sum(v.state == "waiting" for v in sitting.visits.values()) >= MAX_WAITING:
            raise TooManyRequests("too_many_waiting", "too many people are waiting: try again "
                                  "in a few minutes", retry_after=60)
        visit = Visit(id=str(uuid.uuid4()), ticket=secrets.token_urlsafe(24), name=name,
                      seen=self.clock())
        sitting.visits[visit.id] = visit
        self._by_ticket[visit.ticket] = (sitting, visit)
        self._lobby_changed(sitting)
        return visit

    def seen(self, visit: Visit) -> None:
        visit.seen = self.clock()

    def admit(self, room_id: uuid.UUID, visit_id: str) -> None:
        sitting, visit = self._hosted_visit(room_id, visit_id)
        if visit.state != "waiting":
            raise Conflict("not_waiting", "this person is not waiting")
        visit.state = "admitted"
        self.feed.publish(sitting.key, "admitted", {}, to=visit.id)
        self._lobby_changed(sitting)

    def remove(self, room_id: uuid.UUID, visit_id: str) -> None:
        """Ask someone to leave: disconnected now, their token and ticket refused from now."""
        sitting, visit = self._hosted_visit(room_id, visit_id)
        visit.state = "removed"
        self.control.remove_participant(sitting.key, visit.id)
        self.feed.publish(sitting.key, "refused", {"code": "removed"}, to=visit.id)
        self._forget(sitting, visit)
        self._by_ticket[visit.ticket] = (sitting, visit)  # the ticket now says "removed"

    def leave(self, ticket: str) -> None:
        """The visitor gives up waiting (or their place): forgotten now."""
        found = self._by_ticket.get(ticket)
        if found is not None and found[1].state != "removed":
            self._forget(*found)

    def close(self, room_id: uuid.UUID) -> bool:
        """Close the sitting: everyone is disconnected and everything is forgotten."""
        sitting = self._by_room.pop(room_id, None)
        if sitting is None:
            return False
        self._by_key.pop(sitting.key, None)
        self.control.close_room(sitting.key)
        self.feed.publish(sitting.key, "closed", {})
        for ticket in [t for t, (s, _) in self._by_ticket.items() if s is sitting]:
            del self._by_ticket[ticket]
        sitting.visits.clear()
        return True

    # ------------------------------------------------------------------ inside

    def _hosted_visit(self, room_id: uuid.UUID, visit_id: str) -> tuple[Sitting, Visit]:
        sitting = self._by_room.get(room_id)
        visit = sitting.visits.get(visit_id) if sitting else None
        if sitting is None or visit is None:
            raise Gone("visit_gone", "this person has already left")
        return sitting, visit

    def _forget(self, sitting: Sitting, visit: Visit) -> None:
        sitting.visits.pop(visit.id, None)
        self._by_ticket.pop(visit.ticket, None)
        self._lobby_changed(sitting)

    def _prune(self, sitting: Sitting) -> None:
        """Forget waiting visitors whose page stopped listening."""
        now = self.clock()
        for visit in list(sitting.visits.values()):
            if visit.state == "waiting" and now - visit.seen > WAIT_SILENCE:
                self._forget(sitting, visit)

    def _lobby_changed(self, sitting: Sitting) -> None:
        if sitting.room_id in self._by_room:
            self.feed.publish(sitting.key, "lobby", self.lobby(sitting.room_id), leads_only=True)

    def _on_presence(self, event: PresenceEvent) -> None:
        """rtc/'s presence in a drop-in room: who is in, and forgetting whoever leaves."""
        if not is_drop_in_room(event.room):
            return
        sitting = self._by_key.get(event.room)
        if sitting is None:
            return
        visit = sitting.visits.get(event.participant)
        if isinstance(event, Joined | Reconnected):
            if visit is not None:
                visit.inside = True
            elif isinstance(event, Joined) and event.role == "facilitator":
                sitting.hosts.add(event.participant)
        elif isinstance(event, ConnectionLost):
            return
        elif isinstance(event, Left):
            sitting.hosts.discard(event.participant)
            if visit is not None:
                self._forget(sitting, visit)
            if not sitting.hosts and not sitting.visits and not self.control.participants(
                    sitting.key):
                self.close(sitting.room_id)
                if self.on_closed is not None:
                    task = asyncio.get_running_loop().create_task(self.on_closed(sitting.room_id))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            return
        self._lobby_changed(sitting)
