"""One live session: its state, owned by one task fed by an inbox.

Theory of operation
-------------------
Everything that can change a live session arrives in its ``inbox``: presence events from the
room (joined, reconnected, lost, left, speaking), participants' actions and REST commands (an
``Ask``: a function run inside the task, with a future for its answer), and ``Stop``. Between
items the task sleeps until the earliest deadline it knows of (a turn or phase warning, a grace
expiry, the next speaking-time figures, the audit after a restart) and handles it when it comes.
Nothing else touches the session's state, so nothing needs a lock.

Each item is handled in two steps. First the pure change (``app.facilitation.actions``,
``.presence``, ``.clocks``) runs on the ``Live`` value, and an ``Ask``'s future gets its answer
at once (the refusal, or success): a connection's task never waits on the database. Then, if the
state changed, the task saves it (so a restart resumes the same clocks), tells the SFU whose
audio to forward, sends everyone the new `state` and the notices, and carries out effects
(removing someone). A save that finds the session ended elsewhere ends it here too.

A save that fails (the database is down) does not hold the room up: the room goes on from
memory, and the task saves the current state again every ``SAVE_RETRY`` seconds until it is
saved, so nothing of the outage is lost once the database is back, even with no further change.
A removal's records (the withdrawn tokens, the revoked invite) wait and are retried the same way.

After a crash, a restored session counts whoever held a turn as gone at the moment the server
was last known to run (its heartbeat), as a graceful stop does at the stop: the speaker's clock
stands still for the outage and runs again when they are back.

Speaking time comes from the SFU's audio-level events, lives only in memory, goes only to the
facilitators (at most once a second) and is gone with the session.

Attendance is counted here from presence alone (``app.attendance.tracker``): a member's minutes
in the room, written as whole minutes to their record when they leave or drop, and what is left
when the session ends or the server stops. A write that fails waits for the next one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attendance import service as attendance
from app.attendance.tracker import Tracker
from app.audit.service import SYSTEM, Action, Actor, record
from app.core.db import transaction
from app.core.errors import RoundsError
from app.facilitation import clocks, store, words
from app.facilitation.errors import LiveError
from app.facilitation.feed import Feed
from app.facilitation.messages import (
    ChatRequest,
    Notice,
    PairsNotice,
    TalkTime,
    WordRequest,
    notice_event,
)
from app.facilitation.presence import joined, lost
from app.facilitation.state import Effect, Live, Presence, Result
from app.facilitation.views import audible, floor_holder, view
from app.invites.service import revoke_personal_invite
from app.members.models import FACILITATING, Role
from app.rounds import pairs
from rtc.facade import (
    ConnectionLost,
    Joined,
    Left,
    PresenceEvent,
    Reconnected,
    RoomControl,
    Speaking,
    WeakLink,
)

log = logging.getLogger("rounds.facilitation")
TALK_EVERY = 1.0
SAVE_RETRY = 1.0
"""Seconds between attempts to save a state that could not be saved (the database is down)."""


def _member_actor(participant: str | None) -> Actor:
    """The facilitator who held the controls, as an audit actor (by their membership)."""
    try:
        return Actor.member(uuid.UUID(participant)) if participant else SYSTEM
    except ValueError:
        return SYSTEM


@dataclass
class Ask:
    """Run ``fn`` inside the session's task; its result (or refusal) goes to ``reply``."""

    fn: Callable[[LiveSession], Any]
    reply: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass(frozen=True)
class Stop:
    """End the task; ``lose_everyone`` (a graceful shutdown) counts everyone present as gone
    first, so a speaker's turn pauses and a restarted service resumes the same remaining time."""

    lose_everyone: bool = False


Item = PresenceEvent | Ask | Stop


class LiveSession:
    """A live session's state and the task that owns it."""

    def __init__(self, session_id: str, *, db: async_sessionmaker[AsyncSession],
                 control: RoomControl, clock: Callable[[], float],
                 ended: Callable[[str], None], feed: Feed,
                 saved: store.Saved | None = None,
                 last_pairs: dict[str, pairs.Groups] | None = None) -> None:
        self.id = session_id
        self.db, self.control, self.clock, self.feed = db, control, clock, feed
        self._ended = ended
        self.live = saved.live if saved is not None else Live()
        self.group_id = saved.group_id if saved is not None else None
        self.roles: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.known: dict[str, str] = {}
        """Everyone seen in the room with their role, present or not (a Reconnected has none)."""
        self.talk: dict[str, float] = {}
        self.weak: set[str] = set()
        """Participants whose link is short now (rtc's ``WeakLink``); facilitators see them."""
        self.last_pairs = last_pairs if last_pairs is not None else {}
        """Each group's pairs of its last session, shared with the runtime (memory only)."""
        self.words = words.Words()
        """The chat and the private words: in memory only, gone when the session ends."""
        self.over = False
        self._inbox: asyncio.Queue[Item] = asyncio.Queue()
        self._forwarding: dict[str, bool] = {}
        self._floor: str | None = None
        self._dirty = False
        self._retry_at: float | None = None
        """When to try again to save the state (or a removal's records); None if all is saved."""
        self._unsaved_since: float | None = None
        self._withdrawals: list[tuple[uuid.UUID, str | None]] = []
        """Removals to record: the member removed, and who held the controls."""
        """Removed members whose tokens and invite are still to be withdrawn in the database."""
        self._notices: list[Notice] = []
        self._effects: list[Effect] = []
        self._talk_sent = 0.0
        self._talk_due: float | None = None
        self._told = self.live
        """The state the lobby's streams were last told about."""
        self.presence_time = Tracker()
        """Members' minutes in the room, until written to their attendance records."""
        self.task = asyncio.get_running_loop().create_task(self._run(saved))

    # ---------------------------------------------------------------- the inbox (any task)

    def post(self, item: Item) -> None:
        """Queue an item for the session's task (an ``Ask`` of a task that is over is refused)."""
        if self.over and isinstance(item, Ask):
            item.reply.set_exception(LiveError("session_ended", "this session has ended"))
            return
        self._inbox.put_nowait(item)

    async def ask(self, fn: Callable[[LiveSession], Any]) -> Any:
        """Run ``fn`` in the session's task and return its result (or raise its refusal)."""
        item = Ask(fn)
        self.post(item)
        return await item.reply

    # ---------------------------------------------------------------- inside the task

    @property
    def presence(self) -> Presence:
        return Presence(roles=dict(self.roles), names=dict(self.names))

    def change(self, fn: Callable[[Live, float], Result]) -> None:
        """Apply a pure change; it is saved and broadcast once the current item is handled."""
        new, notices, effects = fn(self.live, self.clock())
        if new is self.live:
            return
        self.live, self._dirty = new, True
        self._notices += notices
        self._effects += effects

    def state_for(self, participant: str | None = None, *, facilitator: bool = False
                  ) -> dict[str, Any]:
        """The `state` event's data, as ``participant`` (or a facilitator / member) sees it."""
        if participant is not None:
            facilitator = self.roles.get(participant) in FACILITATING
        names = {p: n for p, n in self.names.items() if p in self.known}
        return view(self.live, self.clock(), self.presence, facilitator=facilitator,
                    talk=self.talk if facilitator else None, names=names,
                    weak=self.weak, viewer=participant, moments=self.words.moments).data()

    async def _run(self, saved: store.Saved | None) -> None:
        try:
            if saved is not None:
                self._recover(saved.alive_at)
            if saved is not None or await self._open():
                await self._commit()
                await self._loop()
        except Exception:
            log.exception("live session task failed")
        finally:
            self.over = True
            self.presence_time.leave_all(self.clock())
            await self._record_attendance(final=True)
            while not self._inbox.empty():
                item = self._inbox.get_nowait()
                if isinstance(item, Ask) and not item.reply.done():
                    item.reply.set_exception(LiveError("session_ended", "this session has ended"))

    async def _open(self) -> bool:
        async for db in transaction(self.db):
            saved = await store.open_live(db, self.id)
        if saved is None:
            self._ended(self.id)
            return False
        self.group_id, self.live = saved.group_id, saved.live
        kept = self.last_pairs.get(str(self.group_id))
        if kept and not self.live.last_pairs:  # "keep last time's pairs" across sessions
            self.live = self.live.model_copy(update={"last_pairs": kept})
        return True

    def _recover(self, alive_at: float | None) -> None:
        """Whoever still held a turn when the server stopped (it crashed: a graceful stop counts
        everyone as gone) is gone since it was last known to run."""
        at = alive_at if alive_at is not None else self.clock()
        held = [t.participant_id for t in self.live.round.turns if t.connected] \
            if self.live.round else []
        for participant in held:
            self._gone(participant, at=at)

    def end(self) -> None:
        """The session has ended: the task stops after the item in hand, saving nothing more,
        and the speaking-time figures are gone."""
        self.over = True
        self.talk.clear()
        self.weak.clear()
        self.words.clear()
        groups = self.live.pairs.groups if self.live.pairs else self.live.last_pairs
        if self.group_id is not None and any(len(g) > 1 for g in groups):
            self.last_pairs[str(self.group_id)] = groups
        self.post(Stop())

    async def _loop(self) -> None:
        while True:
            item = await self._next()
            if self.over:
                return
            if isinstance(item, Stop):
                if item.lose_everyone:
                    for participant in list(self.roles):
                        self._gone(participant)
                await self._commit()
                return
            try:
                if item is None:
                    if not self._due():  # nothing was due after all (clock skew): do not spin
                        await asyncio.sleep(0.05)
                elif isinstance(item, Ask):
                    self._answer(item)
                else:
                    self._presence(item)
            except Exception:  # a bug in one item must not take the session's room with it
                log.exception("live session item failed")
            await self._commit()
            await self._retry()
            await self._record_attendance()

    async def _next(self) -> Item | None:
        """The next item, or None when a deadline comes first."""
        now = self.clock()
        due = [d for d in (clocks.next_deadline(self.live, now), self._talk_due, self._retry_at)
               if d is not None]
        if due and min(due) <= now:
            return None
        if not self._inbox.empty():
            return self._inbox.get_nowait()
        try:
            async with asyncio.timeout(min(due) - now if due else None):
                return await self._inbox.get()
        except TimeoutError:
            return None

    def _due(self) -> bool:
        """Handle whatever is due; False if nothing was."""
        now, version, handled = self.clock(), self.live.version, False
        if self._talk_due is not None and self._talk_due <= now:
            self._send_talk()
            handled = True
        if self._retry_at is not None and self._retry_at <= now:
            handled = True  # the loop saves again after the item (``_retry``)
        self.change(clocks.tick)
        return handled or self.live.version != version

    def _answer(self, item: Ask) -> None:
        try:
            result = item.fn(self)
        except RoundsError as exc:
            if not item.reply.done():
                item.reply.set_exception(exc)
        except Exception as exc:
            log.exception("live session request failed")
            if not item.reply.done():
                item.reply.set_exception(exc)
        else:
            if not item.reply.done():
                item.reply.set_result(result)

    # ---------------------------------------------------------------- the room

    def _presence(self, event: PresenceEvent) -> None:
        p = event.participant
        if isinstance(event, Speaking):
            self._speaking(p, event.talk_seconds)
        elif isinstance(event, WeakLink):
            self._weak_link(p, event.weak)
        elif isinstance(event, Joined | Reconnected):
            # A Reconnected (back within the room's grace, or a second connection replacing
            # the first) carries no role: it is the one the participant joined with.
            role = event.role if isinstance(event, Joined) else self.known.get(p)
            if role is None:
                log.warning("a participant came back unseen")
                role = "member"
            if p in self.live.removed:  # a removed member's join token may still be valid
                self.control.remove_participant(self.id, p)
                return
            self.roles[p] = self.known[p] = role
            if role == Role.member:
                self.presence_time.arrive(p, self.clock())
            if isinstance(event, Joined):
                self.names[p] = event.name
            self._forwarding.pop(p, None)
            self.change(lambda live, now: joined(live, p, role, self.presence, now))
            self._enforce_floor()
            if not self._dirty:  # otherwise the broadcast after the change reaches them
                self.send_state(p)
            for said in words.history(self.words, self.live):
                self.control.send_event(self.id, said, p)
        elif isinstance(event, ConnectionLost):
            self._gone(p, at=event.at)
        elif isinstance(event, Left):
            self._gone(p)

    def _gone(self, participant: str, at: float | None = None) -> None:
        """``participant`` has left or dropped (at ``at``, default now)."""
        self.roles.pop(participant, None)
        self.weak.discard(participant)
        if participant in self.words.moments:
            self.words.moments.discard(participant)
            self._tell_facilitators()
        self._forwarding.pop(participant, None)
        self.presence_time.leave(participant, self.clock() if at is None else at)
        self.change(lambda live, now: lost(live, participant, self.presence,
                                           now if at is None else at))

    def _tell_facilitators(self) -> None:
        for other, role in self.roles.items():
            if role in FACILITATING:
                self.send_state(other)

    def say(self, action: WordRequest | ChatRequest, participant: str) -> None:
        """A private word or a chat message (``app.facilitation.words``): delivered now, kept
        in memory only."""
        now = self.clock()
        if isinstance(action, WordRequest):
            deliveries = words.word(self.words, action, participant, self.roles, now)
            if action.action == "moment" and deliveries:
                self._tell_facilitators()
                if self.roles.get(participant) not in FACILITATING:
                    self.send_state(participant)
        else:
            live, deliveries = words.chat(self.words, self.live, action, participant,
                                          self.roles, now)
            self.change(lambda _, __: (live, [], []))
        for delivery in deliveries:
            for to in delivery.to:
                self.control.send_event(self.id, delivery.event, to)

    def _weak_link(self, participant: str, weak: bool) -> None:
        """Someone's link is short (videos paused for them) or recovered: the facilitators see
        it in their state (``weak_links``), so a silence is not read as something else. In
        memory only, like speaking time."""
        if weak == (participant in self.weak):
            return
        (self.weak.add if weak else self.weak.discard)(participant)
        for other, role in self.roles.items():
            if role in FACILITATING:
                self.send_state(other)

    def _speaking(self, participant: str, seconds: float) -> None:
        self.talk[participant] = seconds
        if self._talk_due is None:  # the latest figures go out when the interval is up
            self._talk_due = max(self.clock(), self._talk_sent + TALK_EVERY)

    def _send_talk(self) -> None:
        """The speaking-time figures, to the facilitators in the room only."""
        self._talk_due, self._talk_sent = None, self.clock()
        figures = TalkTime(seconds={p: round(s, 1) for p, s in self.talk.items()})
        event = figures.model_dump(mode="json")
        for participant, role in self.roles.items():
            if role in FACILITATING:
                self.control.send_event(self.id, event, participant)

    # ---------------------------------------------------------------- after a change

    async def _commit(self) -> None:
        """Save a changed state, then enforce the floor, broadcast, and carry out effects."""
        if not self._dirty:
            return
        notices, effects, before = self._notices, self._effects, self._told
        self._dirty, self._notices, self._effects = False, [], []
        saved = await self._save()
        if saved is False:  # ended elsewhere (`rounds purge`): nothing may outlive it
            self._ended(self.id)
            return
        self._tell_the_lobby(before)
        self._enforce_floor()
        for participant in self.roles:  # each as they see it (their pair, their moment)
            self.send_state(participant)
        for notice in notices:
            if isinstance(notice, PairsNotice) and notice.to is not None:
                for to in notice.to:
                    self.control.send_event(self.id, notice_event(notice), to)
            else:
                self.control.send_event(self.id, notice_event(notice))
        for effect in effects:
            await self._remove(effect.participant)

    def _tell_the_lobby(self, before: Live) -> None:
        """Tell the waiting pages (``feed``) who has been let in or refused, and the
        facilitators who is waiting."""
        self._told = now = self.live
        for participant in now.admitted:
            if participant not in before.admitted:
                self.feed.publish(self.id, "admitted", {}, to=participant)
        for participant in now.removed:
            if participant not in before.removed:
                self.feed.publish(self.id, "refused", {"code": "removed"}, to=participant)
        if now.lobby != before.lobby:
            self.feed.publish(self.id, "lobby", self.lobby(), leads_only=True)

    def lobby(self) -> dict[str, Any]:
        """The `lobby` event: who is waiting, with their names (for facilitators)."""
        return {"waiting": [{"participant_id": p, "name": self.names.get(p)}
                            for p in self.live.lobby]}

    async def _save(self) -> bool | None:
        """Save the current state: True if saved, False if the session has ended elsewhere, None
        if the database failed (the room goes on from memory and ``_retry`` saves it later)."""
        try:
            async for db in transaction(self.db):
                saved = await store.save(db, self.id, self.live)
        except Exception:
            if self._unsaved_since is None:
                log.exception("could not save a live session; retrying every %.0f s", SAVE_RETRY)
                self._unsaved_since = self.clock()
            else:
                log.warning("could not save a live session (unsaved for %.1f s)",
                            self.clock() - self._unsaved_since)
            self._retry_at = self.clock() + SAVE_RETRY
            return None
        if self._unsaved_since is not None:
            log.info("live session saved again after %.1f s", self.clock() - self._unsaved_since)
            self._unsaved_since = None
        if not self._withdrawals:
            self._retry_at = None
        return saved

    async def _retry(self) -> None:
        """Once its time has come, save again what could not be saved (and the records of a
        removal), whether or not anything changed since."""
        if self.over or self._retry_at is None or self._retry_at > self.clock():
            return
        self._retry_at = None
        if self._unsaved_since is not None:
            saved = await self._save()
            if saved is False:
                self._ended(self.id)
                return
            if saved is None:
                return
        await self._withdraw()

    async def _record_attendance(self, *, final: bool = False) -> None:
        """Add the whole minutes members have been present to their records (with ``final``,
        the rest rounded); if the database fails they wait for the next write."""
        taken = self.presence_time.take(final=final)
        if not taken:
            return
        try:
            async for db in transaction(self.db):
                for participant, minutes in taken.items():
                    await attendance.record(db, session_id=uuid.UUID(self.id),
                                            member_id=uuid.UUID(participant), minutes=minutes)
        except Exception:
            log.warning("could not record attendance yet")
            self.presence_time.give_back(taken)

    def send_state(self, participant: str) -> None:
        """Send one participant the state as they see it."""
        self.control.send_event(self.id, {"kind": "state", **self.state_for(participant)},
                                participant)

    def _enforce_floor(self) -> None:
        """Tell the SFU whose audio to forward, whose video matters most, and which small
        rooms (pairs) to keep apart."""
        apart = pairs.rooms(self.live.pairs)  # the room does nothing if it is already so
        self.control.split_room(self.id, [list(g) for g in apart] if apart else None)
        holder = floor_holder(self.live)
        if holder != self._floor:
            self._floor = holder
            self.control.set_floor(self.id, holder)
        heard = audible(self.live, self.presence)
        for participant in self.roles:
            on = participant in heard
            if self._forwarding.get(participant) != on:
                self.control.set_audio_forwarding(self.id, participant, on)
                self._forwarding[participant] = on

    async def _remove(self, participant: str) -> None:
        """Disconnect a removed participant, refuse their tokens for this room (also after a
        restart) and disable their personal invite (a shared link stays: it belongs to the
        others it was sent to)."""
        self.control.remove_participant(self.id, participant)
        try:
            member_id = uuid.UUID(participant)
        except ValueError:
            return
        self._withdrawals.append((member_id, self.live.controller))
        await self._withdraw()

    async def _withdraw(self) -> None:
        """Record the removals not yet recorded; if the database fails they wait for
        ``_retry`` (the removed stay out meanwhile: ``live.removed`` is in the state)."""
        while self._withdrawals:
            member_id, by = self._withdrawals[0]
            try:
                async for db in transaction(self.db):
                    await store.withdraw(db, room=uuid.UUID(self.id), participant=member_id)
                    if self.group_id is not None:
                        await revoke_personal_invite(db, member_id, group_id=self.group_id)
                    await record(db, actor=_member_actor(by), action=Action.room_remove,
                                 object_type="member", object_id=member_id,
                                 detail={"session": self.id})
            except Exception:
                log.warning("could not record a removal yet; retrying in %.0f s", SAVE_RETRY)
                if self._retry_at is None:
                    self._retry_at = self.clock() + SAVE_RETRY
                return
            self._withdrawals.pop(0)
