"""One client's connection: one task that owns all of its state.

``Connection.run`` accepts the WebSocket and runs three coroutines: a *reader* (WebSocket ->
inbox, size check), a *writer* (outbox -> WebSocket) and the *main loop*, the only code that
changes this client's state. The main loop takes items from the inbox - client messages and
nudges from the room - runs the heartbeat (ping after ``ping_after`` seconds of silence, drop
after ``drop_after``) and the rate limit, and dispatches each message the handshake table
(``messages.ALLOWED``) allows. It owns the client's two peer connections through
``Publishing`` (rtc/publish.py: the client offers) and ``Subscriptions`` (rtc/subscriptions.py:
the server offers, batched, reusing inactive media sections), and rebuilds either when it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pydantic
from aiortc import RTCPeerConnection
from aiortc.exceptions import InvalidStateError
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import jointoken
from . import messages as m
from .errors import (
    AuthError,
    HandshakeError,
    InternalError,
    MessageTooLarge,
    ProtocolError,
    RateLimited,
    RTCError,
    ServerClosing,
    Spoofed,
    TimedOut,
    close_code,
    depart_reason,
)
from .forwarder import Source
from .jointoken import Role
from .peers import add_candidate
from .presence import AppMessage, DepartReason
from .publish import Publishing
from .subscriptions import Subscriptions

ALLOCATE_EVERY = 0.5
"""Seconds between two looks at what the subscriber's link takes (rtc/bandwidth.py)."""

if TYPE_CHECKING:
    from .hub import Hub
    from .room import Room

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Nudge:
    what: Literal["resubscribe", "kick", "closed", "too_large", "pc_down"]
    error: RTCError | None = None
    pc: RTCPeerConnection | None = None


class Connection:
    """The task of one WebSocket client (implements ``room.Member``)."""

    def __init__(self, hub: Hub, websocket: WebSocket) -> None:
        self.hub = hub
        self.config = hub.config
        self.ws = websocket
        self.stage = m.Stage.NEW
        self.id = ""
        self.name = ""
        self.role: Role = "member"
        self.audio_muted = False
        self.video_muted = False
        self.sources: dict[str, Source] = {}
        self.room: Room | None = None
        self._inbox: asyncio.Queue[str | _Nudge] = asyncio.Queue()
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue()
        self._last_heard = time.monotonic()
        self._pinged = False
        self._tokens = float(self.config.rate_burst)
        self._token_time = time.monotonic()
        self._pub: Publishing | None = None
        self._subs: Subscriptions | None = None
        self._dirty = False
        self._resubscribe_queued = False
        self._ended: DepartReason = "lost"
        self._weak = False
        """Some videos are paused or reduced for this client because its link is short."""

    # --- what the room calls ---

    def send(self, message: m.ServerMessage) -> None:
        """Queue a message; a client that falls too far behind is dropped."""
        if self._outbox.qsize() >= self.config.outbox_limit:
            self.kick(TimedOut("client is not reading its messages"))
            return
        self._outbox.put_nowait(m.dump(message))

    def subscriptions_changed(self) -> None:
        self._dirty = True
        if not self._resubscribe_queued:
            self._resubscribe_queued = True
            self._inbox.put_nowait(_Nudge("resubscribe"))

    def kick(self, error: RTCError) -> None:
        self._inbox.put_nowait(_Nudge("kick", error))

    # --- the task ---

    async def run(self) -> None:
        """Serve the client until it leaves, is dropped, or the server closes."""
        await self.ws.accept()
        reader = asyncio.ensure_future(self._read())
        writer = asyncio.ensure_future(self._write())
        error: RTCError | None = None
        try:
            await self._main()
        except RTCError as exc:
            error = exc
        except asyncio.CancelledError:
            error = ServerClosing("server is shutting down")
        except Exception:
            logger.exception("connection task failed (participant %s)", self.id or "-")
            error = InternalError("internal error")
        finally:
            reader.cancel()
            await self._teardown(error)
            if error is not None:
                self._outbox.put_nowait(m.dump(m.Error(code=error.code, detail=error.detail)))
            self._outbox.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 2.0)
            with contextlib.suppress(Exception):
                await self.ws.close(close_code(error))

    async def _teardown(self, error: RTCError | None) -> None:
        if self.room is not None:
            self.room.depart(self, self._ended if error is None else depart_reason(error))
        if self._pub is not None:
            await self._pub.reset()
        if self._subs is not None:
            await self._subs.reset()

    async def _read(self) -> None:
        limit = self.config.max_message_bytes
        try:
            while True:
                event = await self.ws.receive()
                if event["type"] == "websocket.disconnect":
                    break
                self._last_heard = time.monotonic()
                self._pinged = False
                text = event.get("text")
                if text is None:
                    data = event.get("bytes") or b""
                    text = (
                        data.decode("utf-8", "replace") if len(data) <= limit else "x" * (limit + 1)
                    )
                if len(text) > limit or len(text.encode()) > limit:
                    self._inbox.put_nowait(_Nudge("too_large"))
                else:
                    self._inbox.put_nowait(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        self._inbox.put_nowait(_Nudge("closed"))

    async def _write(self) -> None:
        try:
            while (text := await self._outbox.get()) is not None:
                await self.ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass  # the client is gone; the reader reports it

    async def _main(self) -> None:
        started = time.monotonic()
        allocate_at = started + ALLOCATE_EVERY
        while True:
            timeout = min(self._next_deadline(started), max(0.01, allocate_at - time.monotonic()))
            try:
                item = await asyncio.wait_for(self._inbox.get(), timeout)
            except TimeoutError:
                self._heartbeat(started)
                if time.monotonic() >= allocate_at:
                    allocate_at = time.monotonic() + ALLOCATE_EVERY
                    self._allocate()
                continue
            if isinstance(item, _Nudge):
                if item.what == "closed":
                    return
                if item.what == "kick":
                    assert item.error is not None
                    raise item.error
                if item.what == "too_large":
                    limit = self.config.max_message_bytes
                    big = MessageTooLarge(f"messages are limited to {limit} bytes")
                    self.send(m.Error(code=big.code, detail=big.detail))
                    continue
                if item.what == "pc_down":
                    await self._pc_down(item.pc)
                    continue
                self._resubscribe_queued = False
                try:
                    await self._resubscribe()
                except Exception as exc:
                    pc = self._subs.pc if self._subs is not None else None
                    if (isinstance(exc, InvalidStateError) and "closed" in str(exc)) or (
                            pc is not None and pc.connectionState == "closed"):
                        # closed under the offer (the client left, or dropped it): no fault
                        logger.info("subscribe connection closed during an offer (participant "
                                    "%s): a new one is offered", self.id)
                    else:
                        logger.exception("subscription offer failed (participant %s)", self.id)
                    if self._subs is not None:
                        await self._pc_down(self._subs.pc)
                continue
            try:
                self._take_token()
                if await self._handle(item) == "leave":
                    return
            except RTCError as exc:
                if exc.fatal:
                    raise
                self.send(m.Error(code=exc.code, detail=exc.detail, ref=exc.ref))

    def _next_deadline(self, started: float) -> float:
        now = time.monotonic()
        if self.stage is m.Stage.NEW:
            return max(0.01, started + self.config.first_message_timeout - now)
        silence = now - self._last_heard
        target = self.config.drop_after if self._pinged else self.config.ping_after
        if self.stage is m.Stage.GREETED:
            target = min(target, self.config.join_timeout - (now - started) + silence)
        return max(0.01, target - silence)

    def _heartbeat(self, started: float) -> None:
        now = time.monotonic()
        if self.stage is m.Stage.NEW:
            if now - started >= self.config.first_message_timeout:
                raise TimedOut("no hello in time")
            return
        if self.stage is m.Stage.GREETED and now - started >= self.config.join_timeout:
            raise TimedOut("no join in time")
        silence = now - self._last_heard
        if silence >= self.config.drop_after:
            raise TimedOut("connection silent for too long")
        if silence >= self.config.ping_after and not self._pinged:
            self._pinged = True
            self.send(m.ServerPing(id=str(int(now))))

    def _take_token(self) -> None:
        now = time.monotonic()
        self._tokens = min(
            float(self.config.rate_burst),
            self._tokens + (now - self._token_time) * self.config.rate_per_second,
        )
        self._token_time = now
        if self._tokens < 1.0:
            raise RateLimited("too many messages")
        self._tokens -= 1.0

    # --- messages ---

    async def _handle(self, text: str) -> str | None:
        try:
            msg = m.parse_client(text)
        except pydantic.ValidationError as exc:
            raise m.classify(exc) from None
        try:
            return await self._dispatch(msg)
        except RTCError as exc:
            exc.ref = msg.type  # every refusal names the message it refuses
            raise

    async def _dispatch(self, msg: m.ClientMessage) -> str | None:
        if msg.type not in m.ALLOWED[self.stage]:
            detail = f"'{msg.type}' is not allowed in state '{self.stage}'"
            if self.stage is m.Stage.NEW:  # the first message must be hello
                raise HandshakeError(detail)
            raise ProtocolError(detail, code="out_of_order")
        if (
            msg.participant is not None
            and self.stage is m.Stage.JOINED
            and msg.participant != self.id
        ):
            raise Spoofed("a message may only speak for its sender")
        match msg:
            case m.Hello():
                if msg.version < 1 or msg.version > self.config.max_hello_version:
                    raise HandshakeError(
                        f"protocol version {msg.version} is not supported", code="bad_version"
                    )
                self.stage = m.Stage.GREETED
                self.send(m.ServerHello(version=msg.version))
            case m.Join():
                await self._join(msg)
            case m.Publish():
                await self._publish(msg.sdp)
            case m.SubscribeAnswer():
                await self._subscribe_answer(msg)
            case m.Candidate():
                await self._candidate(msg)
            case m.Mute():
                self.audio_muted, self.video_muted = msg.audio, msg.video
                assert self.room is not None
                self.room.broadcast(self.room.mute_state(self))
            case m.Receive():
                assert self._subs is not None
                if msg.video != self._subs.video:
                    self._subs.video = msg.video
                    self.subscriptions_changed()  # video sections go inactive, or come back
            case m.Tiles():
                assert self._subs is not None
                self._subs.tiles(msg.heights)
            case m.Leave():
                self._ended = "left"
                return "leave"
            case m.Ping():
                self.send(m.ServerPong(id=msg.id))
            case m.Pong():
                pass
            case m.Time():
                self.send(m.TimeReply(t0=msg.t0, server_time=time.time() * 1000.0))
            case m.App():
                await self._app(msg)
        return None

    async def _join(self, msg: m.Join) -> None:
        try:
            claims = jointoken.verify(self.config.join_secret, msg.token)
        except jointoken.JoinTokenError as exc:
            expired = "expired" in str(exc)  # else the class's code, bad_token
            raise AuthError(str(exc), code="token_expired" if expired else None) from None
        if claims.worker != self.config.worker:
            raise AuthError("this join token is for another media server")
        room = self.hub.room_for_join(claims)  # may raise RoomClosed / Removed / Revoked
        self.id, self.name, self.role = claims.participant, claims.name, claims.role
        room.admit(self)  # may raise RoomFull / RoomClosed
        self.room = room
        self.stage = m.Stage.JOINED
        self._pub = Publishing(self.config, self.id, room.forwarder, self._watch)
        self._subs = Subscriptions(self.config, self.id, room.forwarder, self._watch)
        self.send(room.welcome(self))
        self.subscriptions_changed()

    async def _publish(self, sdp: str) -> None:
        assert self.room is not None and self._pub is not None
        kinds = self._pub.check(sdp)  # a refused offer leaves what is published alone
        if self._pub.pc is not None:  # a new offer rebuilds the publish side
            self.room.unpublish(self)
            await self._pub.reset()
        answer, self.sources = await self._pub.offer(sdp, kinds)
        self.send(answer)
        self.room.published(self)

    async def _candidate(self, msg: m.Candidate) -> None:
        side = self._pub if msg.target == "publish" else self._subs
        await add_candidate(side.pc if side is not None else None, msg)

    async def _app(self, msg: m.App) -> None:
        assert self.room is not None
        data = dict(msg.data)
        await self.hub.deliver(AppMessage(self.room.id, self.id, self.role, msg.kind, data))

    # --- recovery ---

    def _watch(self, pc: RTCPeerConnection) -> None:
        """Report a failed or closed peer connection to the main loop (which rebuilds it)."""

        def changed() -> None:
            if pc.connectionState in ("failed", "closed"):
                self._inbox.put_nowait(_Nudge("pc_down", pc=pc))

        pc.on("connectionstatechange", changed)

    async def _pc_down(self, pc: RTCPeerConnection | None) -> None:
        """Throw away a dead peer connection; aioice has no ICE restart, so rebuild instead."""
        if pc is None:
            return
        if self._pub is not None and pc is self._pub.pc:
            if self.room is not None:
                self.room.unpublish(self)  # the client re-publishes with a new offer
            await self._pub.reset()
        elif self._subs is not None and pc is self._subs.pc:
            await self._subs.reset()
            self.subscriptions_changed()

    # --- subscriptions ---

    def _allocate(self) -> None:
        """Fit the videos this subscriber receives to what its link takes (rtc/bandwidth.py)
        and to what the server keeps up with (rtc/overload.py); tell the page which are paused
        or reduced, and whether for the server's sake, when that changes."""
        if self._subs is None:
            return
        before = self._subs.told
        told = self._subs.allocate(self.room.floor if self.room is not None else None,
                                   self.hub.overload.level)
        if told is None:
            return
        if told.message() != before.message():
            self.send(told.message())
        if told.weak != self._weak and self.room is not None:
            self._weak = told.weak
            self.room.link_changed(self, self._weak)  # the facilitators see it

    async def _resubscribe(self) -> None:
        """Bring the subscribe connection in line with the room: one batched offer at a time."""
        subs = self._subs
        if self.room is None or subs is None or subs.awaiting is not None or not self._dirty:
            return
        await asyncio.sleep(self.config.renegotiate_delay)  # let a burst of changes settle
        self._dirty = False
        if subs.pc is not None and subs.pc.connectionState == "closed":
            await self._pc_down(subs.pc)  # the client closed it: start over on a new one
            return
        offer = await subs.offer(self.room.available(self.id))
        if offer is not None:
            self.send(offer)

    async def _subscribe_answer(self, msg: m.SubscribeAnswer) -> None:
        assert self.room is not None and self._subs is not None
        again = await self._subs.answer(msg, self.room.available(self.id))
        if again or self._dirty:
            self.subscriptions_changed()

