"""The facilitation runtime: a ``LiveSession`` for every session with a live room.

It routes the room's presence events and participants' `app` messages (through rtc's facade) to
the inbox of their session's task, takes the REST API's commands the same way, and is what the
domains below ask of live rooms (``app.core.rooms.LiveRooms``): forget a session that ended,
take someone whose membership ended out of every room. It holds no session state itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import after_commit, checkpoint, transaction, utcnow
from app.core.errors import RoundsError
from app.core.rooms import is_session_room
from app.facilitation import store
from app.facilitation.actions import Sender, act, admit, begin
from app.facilitation.errors import LiveError, Refused
from app.facilitation.feed import Feed
from app.facilitation.live_session import LiveSession, Stop
from app.facilitation.messages import (
    KINDS,
    ChatRequest,
    StateRequest,
    WordRequest,
    parse_action,
)
from app.facilitation.presence import lock_for_late_arrivals, wait_in_lobby
from app.groups.models import LateJoin
from app.members.service import ended_between
from app.rounds.pairs import Groups
from app.rounds.phases import Template
from rtc.errors import AppRejected
from rtc.facade import PresenceEvent, RoomControl, Speaking, WeakLink
from rtc.presence import AppMessage

log = logging.getLogger("rounds.facilitation")
STOP_WITHIN = 10.0
HEARTBEAT = 1.0
"""Seconds a graceful stop waits for each session's last save."""


def refused(exc: RoundsError) -> AppRejected:
    """The room's `error` message for a refusal: the same code as over REST."""
    return AppRejected(exc.detail, code=exc.code)


class Facilitation:
    """Live facilitation of every session that has a room."""

    def __init__(self, db: async_sessionmaker[AsyncSession], control: RoomControl, *,
                 token_lifetime: float, watch_every: float = 5.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.control = control
        self.clock = clock
        self.token_lifetime = token_lifetime
        """How long a join token lives: revocations older than this refuse nothing."""
        self.watch_every = watch_every
        """Seconds between looks for memberships whose end date has come."""
        self._tasks: set[asyncio.Task[Any]] = set()
        self.live: dict[str, LiveSession] = {}
        self.ended: set[str] = set()
        """Sessions that have ended here: their late presence events and messages are ignored."""
        self._stop_listening: Callable[[], None] | None = None
        self.feed = Feed()
        """The lobby's streams (`GET /sessions/{id}/events`)."""
        self.last_pairs: dict[str, Groups] = {}
        """Each group's pairs of its last session (to keep them next time): in memory only,
        never stored, forgotten at a restart."""

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Give rtc/ the revocations still in force, restore saved sessions and start listening
        to the rooms."""
        async for db in transaction(self.db):
            revocations = await store.withdrawals(db, lifetime=self.token_lifetime)
            saved = await store.restore_all(db)
        for r in revocations:
            self.control.revoke(room=_str(r.room_id), participant=_str(r.participant_id),
                                at=r.revoked_at.timestamp())
        for one in saved:
            self.live[one.session_id] = self._new(one.session_id, saved=one)
        self.control.set_message_handler(self.on_message)
        self._stop_listening = self.control.add_listener(self._route)
        self.control.announce()  # rooms already live (on media workers): who is in them
        self._spawn(self._watch_memberships())
        self._spawn(self._beat())

    async def stop(self, *, lose_everyone: bool = True) -> None:
        """Stop: everyone still counted in a room is lost now (a speaker's turn pauses, so a
        restarted service resumes the same remaining time), then every task ends. Rooms on
        media workers go on without this process (``lose_everyone`` False): the next leader
        counts the turn holders gone at the last save and back at once (``start``)."""
        if self._stop_listening:
            self._stop_listening()
        for task in list(self._tasks):
            task.cancel()
        self.control.set_message_handler(None)
        lives = list(self.live.values())
        for live in lives:
            live.post(Stop(lose_everyone=lose_everyone))
        for live in lives:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(live.task, STOP_WITHIN)

    def _new(self, session_id: str, saved: store.Saved | None = None) -> LiveSession:
        return LiveSession(session_id, db=self.db, control=self.control, clock=self.clock,
                           ended=self.session_ended, feed=self.feed, saved=saved,
                           last_pairs=self.last_pairs)

    def session(self, session_id: str) -> LiveSession:
        """The live session, started on first use (its task saves its first state)."""
        if session_id in self.ended:
            raise LiveError("session_ended", "this session has ended")
        live = self.live.get(session_id)
        if live is None or live.task.done():  # a task that failed starts again from its save
            live = self.live[session_id] = self._new(session_id)
        return live

    # ---------------------------------------------------------------- what rooms ask

    def _route(self, event: PresenceEvent) -> None:
        """A presence event from rtc/: to its session's inbox (speaking only to a live one).
        Drop-in and pair rooms are not sessions' (``app.dropin.sittings`` hears its own)."""
        if event.room in self.ended or not is_session_room(event.room):
            return
        if event.room in self.live or not isinstance(event, Speaking | WeakLink):
            self.session(event.room).post(event)

    async def on_message(self, message: AppMessage) -> None:
        """A participant's `app` message: answered once applied, before anything is saved."""
        if not is_session_room(message.room):  # no plan, no round: only the page's `state` probe
            if message.kind == "state":
                return
            raise AppRejected("this room takes no app messages", code="unknown_kind")
        if message.kind not in KINDS:
            raise AppRejected(f"no app messages of kind '{message.kind}'", code="unknown_kind")
        try:
            action = parse_action(message.kind, message.data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise AppRejected(f"{where}: {first['msg']}", code="invalid_action") from None
        try:
            live = self.session(message.room)
            if isinstance(action, StateRequest):
                await live.ask(lambda s: s.send_state(message.participant))
                return
            who, role = message.participant, message.role
            if isinstance(action, WordRequest | ChatRequest):  # in memory only
                await live.ask(lambda s: s.say(action, who))
                return
            await live.ask(lambda s: s.change(lambda state, now: act(
                state, action, Sender(who, role, s.presence), now)))
        except RoundsError as exc:
            raise refused(exc) from None

    # ---------------------------------------------------------------- from the REST API

    async def begin(self, session_id: str, plan: Template) -> None:
        await self.session(session_id).ask(
            lambda s: s.change(lambda live, now: begin(live, plan, s.presence)))

    async def request_entry(self, session_id: str, participant: str, name: str, *,
                            late: LateJoin | None = None) -> bool:
        """A member asks to enter the room: True if admitted, False if waiting in the lobby.

        ``late`` is the group's rule when they arrive late: the first late arrival of a group
        that locks its room locks it (once: the facilitator may unlock it); with `next_phase`
        they wait to be let in when the next phase begins."""

        def enter(s: LiveSession) -> bool:
            if participant in s.live.removed:
                raise Refused("removed", "the facilitator has removed you from this session")
            if participant in s.live.admitted:
                return True
            if late is LateJoin.lock and not s.live.locked_for_late:
                s.change(lambda live, now: lock_for_late_arrivals(live))
            if s.live.locked:
                raise Refused("room_locked", "the facilitator has closed the room to late arrivals")
            s.names[participant] = name
            held = late is LateJoin.next_phase
            s.change(lambda live, now: wait_in_lobby(live, participant, until_next_phase=held))
            return False

        admitted: bool = await self.session(session_id).ask(enter)
        return admitted

    async def admit(self, session_id: str, participant: str) -> None:
        await self.session(session_id).ask(
            lambda s: s.change(lambda live, now: admit(live, participant)))

    def admission(self, session_id: str, participant: str) -> tuple[bool, bool]:
        """(let in, refused) for a member, from the current state (a read, like ``plan``)."""
        live = self.live.get(session_id)
        if live is None or live.over:
            return False, False
        return participant in live.live.admitted, participant in live.live.removed

    def lobby(self, session_id: str) -> dict[str, Any]:
        """The `lobby` event now (nobody waits when the session is not live here)."""
        live = self.live.get(session_id)
        return live.lobby() if live is not None and not live.over else {"waiting": []}

    def plan(self, session_id: str) -> Template | None:
        """The live session's plan (a read of its current immutable state, like ``state_for``)."""
        live = self.live.get(session_id)
        if live is None or live.over or live.live.sequence is None:
            return None
        return live.live.sequence.template

    def state_for(self, session_id: str, *, facilitator: bool) -> dict[str, Any] | None:
        """The state as a facilitator or a member sees it; None if the session is not live.

        A read of the session task's current (immutable) state, not a request to it: a REST
        request may hold a database write lock that the task is waiting for, so it must never
        wait on the task after it has written."""
        live = self.live.get(session_id)
        if live is None or live.over:
            return None
        return live.state_for(facilitator=facilitator)

    # ---------------------------------------------------------------- app.core.rooms.LiveRooms

    async def end_session(self, db: AsyncSession, session_id: uuid.UUID) -> None:
        revocation = await store.end_session(db, session_id)
        after_commit(db, lambda: self.session_ended(session_id, at=revocation.revoked_at))

    def session_changed(self, db: AsyncSession, session_id: uuid.UUID, status: str) -> None:
        after_commit(db, lambda: self.feed.publish(str(session_id), "session",
                                                   {"status": status}))

    async def end_membership(self, db: AsyncSession, member_id: uuid.UUID) -> None:
        revocation = await store.end_membership(db, member_id)
        at = revocation.revoked_at.timestamp()
        after_commit(db, lambda: self.control.revoke(participant=str(member_id), at=at))

    def session_ended(self, session_id: uuid.UUID | str, at: datetime | None = None) -> None:
        """Close the room for good and drop everything held in memory."""
        key = str(session_id)
        self.ended.add(key)
        self.feed.publish(key, "session", {"status": "ended"})
        live = self.live.pop(key, None)
        if live is not None:
            live.end()
        self.control.revoke(room=key, at=None if at is None else at.timestamp())
        self._spawn(self._forget_on_disk(live))

    # ---------------------------------------------------------------- in the background

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _forget_on_disk(self, live: LiveSession | None) -> None:
        """Once the ended session's task has stopped, nothing of its state stays in the log."""
        if live is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(live.task), STOP_WITHIN)
        try:
            await checkpoint(self.db)
        except Exception:
            log.warning("could not checkpoint the database after a session ended")

    async def _beat(self) -> None:
        """Record that the server is alive, every second while any session is live: after a
        crash, clocks count from the last beat (``LiveSession._recover``)."""
        while True:
            await asyncio.sleep(HEARTBEAT)
            if self.live:
                try:
                    async for db in transaction(self.db):
                        await store.beat(db)
                except Exception:  # the database is down: live rooms go on from memory
                    log.warning("could not record the heartbeat")


    async def _watch_memberships(self) -> None:
        """Memberships end at a date (the end of a rotation): once it has come, the member's
        tokens are withdrawn and they leave every room, as if ended by hand."""
        since = utcnow()
        while True:
            await asyncio.sleep(self.watch_every)
            now = utcnow()
            try:
                async for db in transaction(self.db):
                    for member_id in await ended_between(db, since, now):
                        await self.end_membership(db, member_id)
                since = now
            except Exception:
                log.exception("could not check for memberships that ended")


def _str(key: uuid.UUID | None) -> str | None:
    return None if key is None else str(key)
