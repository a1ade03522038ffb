"""The facilitation runtime: runs app.rounds.live for every live session.

It listens to the room's presence events and participants' `app` messages (through rtc's
facade), applies them to the session's ``Live`` state under one lock per session, saves the new
state (so a restart resumes the same clocks), tells the SFU whose audio to forward, and sends
every participant the new state. One task per session sleeps until the next clock deadline and
feeds a tick. Speaking time comes from the SFU's audio-level events, lives only in memory, goes
only to facilitators, and is gone with the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.db import transaction, utcnow
from app.invites.models import Invite, InviteKind
from app.members.models import Member
from app.rounds import live as lv
from app.rounds.actions import KINDS, StateRequest, parse_action
from app.rounds.errors import EngineError
from app.rounds.models import LiveState
from app.rounds.phases import Template
from app.sessions.models import Session as SessionRow
from app.sessions.models import SessionStatus
from rtc.errors import AppRejected
from rtc.facade import (
    ConnectionLost,
    Joined,
    Left,
    PresenceEvent,
    Reconnected,
    RoomControl,
    Speaking,
)
from rtc.presence import AppMessage

log = logging.getLogger("rounds.facilitation")
Change = Callable[[lv.Live, float], lv.Result]
TALK_EVERY = 1.0
RESTORE_AUDIT_AFTER = 20.0


def _lost(participant: str, session: Session) -> Change:
    """The change for a participant's departure (``session.roles`` no longer has them)."""
    return lambda live, now: lv.lost(live, participant, session.presence, now)


def refused(code: str, detail: str) -> AppRejected:
    """An rtc error carrying the engine's stable code."""
    return AppRejected(detail, code=code)


@dataclass
class Session:
    """One live session in memory."""

    id: str
    live: lv.Live
    roles: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    talk: dict[str, float] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    forwarding: dict[str, bool] = field(default_factory=dict)
    talk_sent: float = 0.0
    talk_flush: asyncio.TimerHandle | None = None
    known: dict[str, str] = field(default_factory=dict)
    """Everyone seen in the room with their role, present or not (a Reconnected carries none)."""
    ended: bool = False

    @property
    def presence(self) -> lv.Presence:
        return lv.Presence(roles=dict(self.roles), names=dict(self.names))


class Facilitation:
    """Live facilitation of every session that has a room."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], control: RoomControl,
                 clock: Callable[[], float] = time.time) -> None:
        self.db = sessions
        self.control = control
        self.clock = clock
        self.live: dict[str, Session] = {}
        self._events: asyncio.Queue[PresenceEvent] = asyncio.Queue()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stop_listening: Callable[[], None] | None = None
        self.ended: set[str] = set()
        """Sessions that have ended here: their late presence events and messages are ignored."""

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Restore saved sessions and start listening to the room."""
        async for db in transaction(self.db):
            rows = list(await db.scalars(select(LiveState)))
        for row in rows:
            try:
                saved = lv.Live.model_validate(row.state)
            except ValidationError:
                log.exception("cannot restore the live state of session %s", row.session_id)
                continue
            session = self._adopt(str(row.session_id), saved)
            self._spawn(self._audit_after_restore(session))
        self.control.set_message_handler(self.on_message)
        self._stop_listening = self.control.add_listener(self._events.put_nowait)
        self._spawn(self._presence_loop())

    async def stop(self) -> None:
        """Stop: everyone still counted in a room is lost now (a speaker's turn pauses, so a
        restarted service resumes the same remaining time), then stop every task."""
        if self._stop_listening:
            self._stop_listening()
        self.control.set_message_handler(None)
        while not self._events.empty():  # presence the server reported while closing
            with contextlib.suppress(Exception):
                await self._presence(self._events.get_nowait())
        for session in list(self.live.values()):
            for p in list(session.roles):
                session.roles.pop(p, None)
                with contextlib.suppress(Exception):
                    await self.change(session, _lost(p, session))
        tasks = [s.task for s in self.live.values() if s.task] + list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _adopt(self, session_id: str, live: lv.Live) -> Session:
        session = self.live[session_id] = Session(session_id, live)
        session.task = asyncio.get_running_loop().create_task(self._clock_loop(session))
        return session

    async def session(self, session_id: str) -> Session:
        """The live session, loaded or created (and saved) on first use."""
        if session_id in self.ended:
            raise lv.LiveError("session_ended", "this session has ended")
        session = self.live.get(session_id)
        if session is None:
            session = self._adopt(session_id, lv.Live())
            async with session.lock:
                await self._save(session)
        return session

    def forget(self, session_id: str) -> None:
        """The session has ended: close its room and drop everything held in memory."""
        self.ended.add(session_id)
        session = self.live.pop(session_id, None)
        if session is not None:
            session.ended = True
            session.talk.clear()
            if session.talk_flush is not None:
                session.talk_flush.cancel()
            if session.task is not None:
                session.task.cancel()
        self.control.close_room(session_id)
        self._spawn(self._purge(session_id, session))

    async def _purge(self, session_id: str, session: Session | None) -> None:
        """Delete the saved state once any change in flight has finished (it saves no more)."""
        if session is not None:
            async with session.lock:
                pass
        async for db in transaction(self.db):
            await db.execute(delete(LiveState).where(LiveState.session_id == uuid.UUID(session_id)))

    # ---------------------------------------------------------------- changes

    async def change(self, session: Session, fn: Change) -> None:
        """Apply fn to the session's state; save, enforce the floor and broadcast if it changed."""
        async with session.lock:
            if session.ended:
                return
            new, notices, effects = fn(session.live, self.clock())
            if new is session.live:
                return
            session.live = new
            if not await self._save(session):
                session.ended = True
            else:
                self._enforce_floor(session)
                self._broadcast(session, notices)
        if session.ended:  # ended elsewhere meanwhile (`rounds purge`): nothing may outlive it
            self.forget(session.id)
            return
        for kind, participant in effects:
            if kind == "remove":
                await self._remove(session, participant)
        session.wake.set()

    async def _save(self, session: Session) -> bool:
        """Save the state; False (and nothing written) if the session has ended meanwhile."""
        state = session.live.model_dump(mode="json")
        key = uuid.UUID(session.id)
        saved = False
        async for db in transaction(self.db):
            status = await db.scalar(select(SessionRow.status).where(SessionRow.id == key))
            if status is not None and status is not SessionStatus.ended:
                row = await db.get(LiveState, key)
                if row is None:
                    db.add(LiveState(session_id=key, state=state, version=session.live.version))
                else:
                    row.state, row.version = state, session.live.version
                saved = True
        return saved

    def _enforce_floor(self, session: Session) -> None:
        heard = lv.audible(session.live, session.presence)
        for participant in session.roles:
            on = participant in heard
            if session.forwarding.get(participant) != on:
                self.control.set_audio_forwarding(session.id, participant, on)
                session.forwarding[participant] = on

    def _broadcast(self, session: Session, notices: list[lv.Notice]) -> None:
        now = self.clock()
        views: dict[bool, dict[str, Any]] = {}
        for participant, role in session.roles.items():
            leads = role in lv.FACILITATING
            if leads not in views:
                views[leads] = lv.view(session.live, now, session.presence, facilitator=leads,
                                       talk=session.talk)
            self.control.send_event(session.id, {"kind": "state", **views[leads]}, participant)
        for notice in notices:
            event = {**notice, "kind": "notice", "about": notice["kind"]}
            self.control.send_event(session.id, event)

    def send_state(self, session: Session, participant: str) -> None:
        leads = session.roles.get(participant) in lv.FACILITATING
        view = lv.view(session.live, self.clock(), session.presence, facilitator=leads,
                       talk=session.talk)
        self.control.send_event(session.id, {"kind": "state", **view}, participant)

    async def _remove(self, session: Session, participant: str) -> None:
        """Disconnect a removed participant and disable their personal invite (a shared link
        stays: it belongs to the others it was sent to)."""
        self.control.remove_participant(session.id, participant)
        try:
            member_id = uuid.UUID(participant)
        except ValueError:
            return
        async for db in transaction(self.db):
            group_id = await db.scalar(
                select(SessionRow.group_id).where(SessionRow.id == uuid.UUID(session.id)))
            member = await db.get(Member, member_id)
            if member is not None and member.group_id == group_id and member.invite_id:
                invite = await db.get(Invite, member.invite_id)
                if (invite is not None and invite.kind is InviteKind.personal
                        and invite.revoked_at is None):
                    invite.revoked_at = utcnow()

    # ---------------------------------------------------------------- clocks

    async def _clock_loop(self, session: Session) -> None:
        while True:
            now = self.clock()
            deadline = lv.next_deadline(session.live, now)
            session.wake.clear()
            timeout = None if deadline is None else max(0.0, deadline - now)
            try:
                await asyncio.wait_for(session.wake.wait(), timeout)
                continue
            except TimeoutError:
                pass
            before = session.live.version
            try:
                await self.change(session, lv.tick)
            except Exception:
                log.exception("clock tick failed")
            if session.live.version == before:
                await asyncio.sleep(0.05)  # nothing was due after all: do not spin

    async def _audit_after_restore(self, session: Session) -> None:
        """After a restart, whoever held a turn but did not come back counts as disconnected."""
        await asyncio.sleep(RESTORE_AUDIT_AFTER)
        turns = session.live.round.turns if session.live.round else ()
        for turn in turns:
            if turn.connected and turn.participant_id not in session.roles:
                await self.change(session, _lost(turn.participant_id, session))

    # ---------------------------------------------------------------- the room

    async def _presence_loop(self) -> None:
        while True:
            event = await self._events.get()
            try:
                await self._presence(event)
            except Exception:
                log.exception("presence event failed")

    async def _presence(self, event: PresenceEvent) -> None:
        if isinstance(event, Speaking):
            session = self.live.get(event.room)
            if session is not None:
                self._talk(session, event)
            return
        if event.room in self.ended:
            return
        session = await self.session(event.room)
        p = event.participant
        if isinstance(event, Joined | Reconnected):
            # A Reconnected (back within the room's grace, or a second connection replacing
            # the first) carries no role: it is the one the participant joined with.
            role = event.role if isinstance(event, Joined) else session.known.get(p)
            if role is None:
                log.warning("participant %s came back to %s unseen", p, event.room)
                role = "member"
            if p in session.live.removed:  # a removed member's join token may still be valid
                self.control.remove_participant(session.id, p)
                return
            session.roles[p] = session.known[p] = role
            session.names.setdefault(p, await self._name(p))
            session.forwarding.pop(p, None)
            await self.change(session, lambda live, now: lv.joined(
                live, p, role, session.presence, now))
            self._enforce_floor(session)
            self.send_state(session, p)
        elif isinstance(event, ConnectionLost | Left):
            session.roles.pop(p, None)
            session.forwarding.pop(p, None)
            await self.change(session, lambda live, now: lv.lost(live, p, session.presence, now))

    def _talk(self, session: Session, event: Speaking) -> None:
        if session.ended:
            return
        session.talk[event.participant] = event.talk_seconds
        now = self.clock()
        if now - session.talk_sent < TALK_EVERY:
            if session.talk_flush is None:  # send the latest figures when the interval is up
                session.talk_flush = asyncio.get_running_loop().call_later(
                    TALK_EVERY - (now - session.talk_sent), self._send_talk, session)
            return
        self._send_talk(session)

    def _send_talk(self, session: Session) -> None:
        """The speaking-time figures, to the facilitators in the room only."""
        session.talk_flush = None
        if session.ended:
            return
        session.talk_sent = self.clock()
        seconds = {p: round(s, 1) for p, s in session.talk.items()}
        figures: dict[str, object] = {"kind": "talk_time", "seconds": seconds}
        for participant, role in session.roles.items():
            if role in lv.FACILITATING:
                self.control.send_event(session.id, figures, participant)

    async def _name(self, participant: str) -> str:
        try:
            member_id = uuid.UUID(participant)
        except ValueError:
            return ""
        async for db in transaction(self.db):
            member = await db.get(Member, member_id)
            return member.display_name if member else ""
        return ""

    async def on_message(self, message: AppMessage) -> None:
        """A participant's `app` message: an action, or a request for the state."""
        if message.kind not in KINDS:
            raise refused("unknown_kind", f"no app messages of kind '{message.kind}'")
        try:
            action = parse_action(message.kind, message.data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise refused("invalid_action", f"{where}: {first['msg']}") from None
        try:
            session = await self.session(message.room)
        except lv.LiveError as exc:
            raise refused(exc.code, exc.detail) from None
        if isinstance(action, StateRequest):
            self.send_state(session, message.participant)
            return
        try:
            await self.change(session, lambda live, now: lv.act(
                live, action, message.participant, message.role, session.presence, now))
        except EngineError as exc:
            raise refused(exc.code, exc.detail) from None

    # ---------------------------------------------------------------- from the REST API

    async def begin(self, session_id: str, template: Template) -> None:
        session = await self.session(session_id)
        await self.change(session, lambda live, now: (lv.begin(live, template), [], []))

    async def request_entry(self, session_id: str, participant: str, name: str) -> bool:
        """A member asks to enter the room: True if admitted, False if waiting in the lobby."""
        session = await self.session(session_id)
        live = session.live
        if participant in live.removed:
            raise lv.LiveError("removed", "the facilitator has removed you from this session")
        if participant in live.admitted:
            return True
        if live.locked:
            raise lv.LiveError("room_locked",
                               "the facilitator has closed the room to late arrivals")
        session.names[participant] = name
        await self.change(session, lambda live, now: lv.wait_in_lobby(live, participant))
        return False

    async def admit(self, session_id: str, participant: str) -> None:
        session = await self.session(session_id)
        await self.change(session, lambda live, now: lv.admit(live, participant))

    def state_for(self, session_id: str, *, facilitator: bool) -> dict[str, Any] | None:
        session = self.live.get(session_id)
        if session is None:
            return None
        return lv.view(session.live, self.clock(), session.presence, facilitator=facilitator,
                       talk=session.talk if facilitator else None)
