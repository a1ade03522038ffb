"""One client's connection: one task that owns all of its state.

``Connection.run`` accepts the WebSocket and runs three coroutines: a *reader* (WebSocket ->
inbox, size check), a *writer* (outbox -> WebSocket) and the *main loop*, the only code that
changes this client's state. The main loop takes items from the inbox - client messages and
nudges from the room - applies the handshake table (``ALLOWED``), runs the heartbeat (ping after
``ping_after`` seconds of silence, drop after ``drop_after``), the rate limit, and owns the two
peer connections (publish: client offers; subscribe: server offers, batched, reusing inactive
media sections).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

import pydantic
from aiortc import RTCPeerConnection, RTCSessionDescription
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import jointoken
from . import messages as m
from .errors import (
    AppRejected,
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
)
from .forwarder import Kind, Source
from .peers import (
    new_publish_pc,
    offered_kinds,
    parse_candidate,
    with_opus_fec,
)
from .presence import AppMessage
from .subscriptions import Subscriptions

if TYPE_CHECKING:
    from .hub import Hub
    from .room import Room

logger = logging.getLogger(__name__)


class State(StrEnum):
    NEW = "new"
    GREETED = "greeted"
    JOINED = "joined"


ALLOWED: dict[State, frozenset[str]] = {
    State.NEW: frozenset({"hello"}),
    State.GREETED: frozenset({"join", "ping", "pong", "time"}),
    State.JOINED: frozenset(
        {
            "publish",
            "subscribe_answer",
            "candidate",
            "mute",
            "receive",
            "leave",
            "ping",
            "pong",
            "time",
            "app",
        }
    ),
}
"""Which client messages each state accepts; anything else is ``out-of-order``."""


@dataclass(frozen=True, slots=True)
class _Nudge:
    what: Literal["resubscribe", "kick", "closed", "too-large", "pc-down"]
    error: RTCError | None = None
    pc: RTCPeerConnection | None = None


AppHandler = Callable[[AppMessage], Awaitable[None]]


class Connection:
    """The task of one WebSocket client (implements ``room.Member``)."""

    def __init__(self, hub: Hub, websocket: WebSocket) -> None:
        self.hub = hub
        self.config = hub.config
        self.ws = websocket
        self.state = State.NEW
        self.id = ""
        self.name = ""
        self.role: Literal["facilitator", "co-facilitator", "member"] = "member"
        self.audio_muted = False
        self.video_muted = False
        self.receive_video = True
        self.sources: dict[str, Source] = {}
        self.room: Room | None = None
        self._inbox: asyncio.Queue[str | _Nudge] = asyncio.Queue()
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue()
        self._last_heard = time.monotonic()
        self._pinged = False
        self._tokens = float(self.config.rate_burst)
        self._token_time = time.monotonic()
        self._publish_pc: RTCPeerConnection | None = None
        self._subs: Subscriptions | None = None
        self._last_publish = -1e9
        self._dirty = False
        self._resubscribe_queued = False
        self._ended: DepartReason = "lost"

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
            reason: DepartReason = self._ended
            if error is not None:
                reason = {
                    "removed": "removed",
                    "room-closed": "room-closed",
                    "shutdown": "room-closed",
                    "replaced": "left",
                }.get(error.code, "lost")  # type: ignore[assignment]
            self.room.depart(self, reason)
        if self._publish_pc is not None:
            with contextlib.suppress(Exception):
                await self._publish_pc.close()
        self._publish_pc = None
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
                    self._inbox.put_nowait(_Nudge("too-large"))
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
        while True:
            timeout = self._next_deadline(started)
            try:
                item = await asyncio.wait_for(self._inbox.get(), timeout)
            except TimeoutError:
                self._heartbeat(started)
                continue
            if isinstance(item, _Nudge):
                if item.what == "closed":
                    return
                if item.what == "kick":
                    assert item.error is not None
                    raise item.error
                if item.what == "too-large":
                    limit = self.config.max_message_bytes
                    big = MessageTooLarge(f"messages are limited to {limit} bytes")
                    self.send(m.Error(code=big.code, detail=big.detail))
                    continue
                if item.what == "pc-down":
                    await self._pc_down(item.pc)
                    continue
                self._resubscribe_queued = False
                try:
                    await self._resubscribe()
                except Exception:
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
                self.send(m.Error(code=exc.code, detail=exc.detail, ref=getattr(exc, "ref", None)))

    def _next_deadline(self, started: float) -> float:
        now = time.monotonic()
        if self.state is State.NEW:
            return max(0.01, started + self.config.first_message_timeout - now)
        silence = now - self._last_heard
        target = self.config.drop_after if self._pinged else self.config.ping_after
        return max(0.01, target - silence)

    def _heartbeat(self, started: float) -> None:
        now = time.monotonic()
        if self.state is State.NEW:
            if now - started >= self.config.first_message_timeout:
                raise TimedOut("no hello in time")
            return
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
            raise _classify(exc, text) from None
        if msg.type not in ALLOWED[self.state]:
            detail = f"'{msg.type}' is not allowed in state '{self.state}'"
            if self.state is State.NEW:  # the first message must be hello
                raise HandshakeError(detail)
            raise _with_ref(ProtocolError(detail, code="out-of-order"), msg.type)
        if (
            msg.participant is not None
            and self.state is State.JOINED
            and msg.participant != self.id
        ):
            raise _with_ref(Spoofed("a message may only speak for its sender"), msg.type)
        match msg:
            case m.Hello():
                if msg.version < 1 or msg.version > self.config.max_hello_version:
                    raise HandshakeError(
                        f"protocol version {msg.version} is not supported", code="bad-version"
                    )
                self.state = State.GREETED
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
                if msg.video != self.receive_video:
                    self.receive_video = msg.video
                    self.subscriptions_changed()  # video sections go inactive, or come back
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
            code = "token-expired" if "expired" in str(exc) else "bad-token"
            raise AuthError(str(exc), code=code) from None
        room = self.hub.room_for_join(claims.room)
        self.id, self.name, self.role = claims.participant, claims.name, claims.role
        room.admit(self)  # may raise RoomFull / RoomClosed
        self.room = room
        self.state = State.JOINED
        self._subs = Subscriptions(self.config, self.id, room.forwarder, self._watch)
        self.send(
            m.Joined(
                room=room.id,
                participant=self.id,
                role=self.role,
                participants=[room.peer_info(p) for p in room.members.values() if p is not self],
                ice_servers=[
                    m.IceServerInfo(urls=list(s.urls), username=s.username, credential=s.credential)
                    for s in self.config.ice_servers
                ],
            )
        )
        self.subscriptions_changed()

    async def _publish(self, sdp: str) -> None:
        assert self.room is not None
        now = time.monotonic()
        if now - self._last_publish < self.config.publish_interval:
            raise _with_ref(RateLimited("one publish offer per second at most"), "publish")
        self._last_publish = now
        kinds = offered_kinds(sdp)
        if not kinds:  # refused before anything already published is torn down
            raise _with_ref(
                ProtocolError("the offer has no audio or video section", code="bad-sdp"), "publish"
            )
        old = self._publish_pc
        if old is not None:  # a new offer rebuilds the publish side (aioice has no ICE restart)
            self.room.unpublish(self)
            await old.close()
        pc = self._publish_pc = new_publish_pc(self.config, kinds)
        self._watch(pc)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            sources: dict[str, Source] = {}
            for t in pc.getTransceivers():
                kind: Kind = "audio" if t.kind == "audio" else "video"
                if t.mid is not None and kind not in sources:
                    sources[kind] = self.room.forwarder.add_source(t.receiver, self.id, kind)
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception as exc:
            self._publish_pc = None
            await pc.close()
            raise _with_ref(
                ProtocolError(f"cannot use this offer: {type(exc).__name__}", code="bad-sdp"),
                "publish",
            ) from None
        self.sources = sources
        self.send(m.PublishAnswer(sdp=with_opus_fec(pc.localDescription.sdp)))
        self.room.published(self)

    async def _candidate(self, msg: m.Candidate) -> None:
        subscribe_pc = self._subs.pc if self._subs is not None else None
        pc = self._publish_pc if msg.target == "publish" else subscribe_pc
        if pc is None or pc.remoteDescription is None:
            raise _with_ref(
                ProtocolError("no description to add a candidate to", code="out-of-order"),
                "candidate",
            )
        if not msg.candidate:
            return  # end of candidates
        try:
            candidate = parse_candidate(msg.candidate, msg.sdpMid, msg.sdpMLineIndex)
            await pc.addIceCandidate(candidate)
        except Exception:
            raise _with_ref(
                ProtocolError("bad ICE candidate", code="bad-candidate"), "candidate"
            ) from None

    async def _app(self, msg: m.App) -> None:
        assert self.room is not None
        handler = self.hub.app_handler
        if handler is None:
            raise _with_ref(AppRejected(f"no handler for '{msg.kind}'"), "app")
        try:
            await handler(
                AppMessage(
                    room=self.room.id,
                    participant=self.id,
                    role=self.role,
                    kind=msg.kind,
                    data=dict(msg.data),
                )
            )
        except RTCError as exc:
            raise _with_ref(exc, "app") from None
        except Exception:
            logger.exception("app handler failed for kind %s", msg.kind)
            raise _with_ref(AppRejected("the app could not handle this message"), "app") from None

    # --- recovery ---

    def _watch(self, pc: RTCPeerConnection) -> None:
        """Report a failed or closed peer connection to the main loop (which rebuilds it)."""

        def changed() -> None:
            if pc.connectionState in ("failed", "closed"):
                self._inbox.put_nowait(_Nudge("pc-down", pc=pc))

        pc.on("connectionstatechange", changed)

    async def _pc_down(self, pc: RTCPeerConnection | None) -> None:
        """Throw away a dead peer connection; aioice has no ICE restart, so rebuild instead."""
        if pc is None:
            return
        if pc is self._publish_pc:
            self._publish_pc = None
            if self.room is not None:
                self.room.unpublish(self)  # the client re-publishes with a new offer
            with contextlib.suppress(Exception):
                await pc.close()
        elif self._subs is not None and pc is self._subs.pc:
            await self._subs.reset()
            self.subscriptions_changed()

    # --- subscriptions ---

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
        offer = await subs.offer(self._wanted())
        if offer is not None:
            self.send(offer)

    def _wanted(self) -> dict[tuple[str, str], Source]:
        """The room's streams this client receives (no video when it asked for audio only)."""
        assert self.room is not None
        available = self.room.available(self.id)
        if self.receive_video:
            return available
        return {key: source for key, source in available.items() if key[1] != "video"}

    async def _subscribe_answer(self, msg: m.SubscribeAnswer) -> None:
        assert self.room is not None and self._subs is not None
        try:
            again = await self._subs.answer(msg, self._wanted())
        except RTCError as exc:
            raise _with_ref(exc, "subscribe_answer") from None
        if again or self._dirty:
            self.subscriptions_changed()


DepartReason = Literal["left", "lost", "removed", "room-closed"]


def _with_ref(exc: RTCError, ref: str) -> RTCError:
    exc.ref = ref
    return exc


def _classify(exc: pydantic.ValidationError, text: str) -> RTCError:
    """Map a validation failure to a stable error code."""
    errors = exc.errors()
    if not errors:
        return ProtocolError("invalid message")
    first = errors[0]
    kind = first["type"]
    if kind == "json_invalid" or kind == "json_type":
        return ProtocolError("message is not valid JSON", code="bad-json")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return ProtocolError("unknown or missing message type", code="unknown-type")
    where = ".".join(str(p) for p in first.get("loc", ())[1:])
    return ProtocolError(f"invalid field {where or '?'}: {first.get('msg', 'invalid')}")
