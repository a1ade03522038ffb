"""The bus between app/ and the media workers (issue 16, step 1 of docs/architecture.md's
"Many media workers"): ``RoomControl``'s commands go to the workers, presence events and the
clients' app messages come back, all as plain JSON, so that app/ can drive rooms in another
process the same way it drives them in its own.

- ``Bus``: channels of JSON objects. ``LocalBus`` is one process's (each message is encoded
  and decoded, so nothing but data crosses); ``RedisBus`` is Redis streams, for processes on
  one machine or many (a stream rather than pub/sub: a reader that reconnects reads on from
  where it was; each keeps only the last ``RETAIN`` seconds: the messages carry display names
  and what participants send each other, which Rounds never keeps).
- ``WorkerEnd``: on a media worker, applies the commands to the worker's own ``RoomControl``
  and publishes its presence events and app messages (an app message waits for the app's
  answer, ``APP_TIMEOUT`` at most, and is refused if none comes).
- ``BusRoomControl``: on the API side, the same methods as ``RoomControl``; the rooms and
  their participants are kept from the presence events, so ``rooms()``, ``participants()``
  and what ``revoke`` and ``send_event`` return need no round trip. Each event names the
  worker (and its boot) it comes from, so when a worker dies (``workers_gone``, from the
  heartbeats) the participants it held count as lost, and when a room starts again on another
  worker its floor is set there again.

Commands are states, not toggles (``set_floor`` names who has the floor), so one applied twice
does no harm; revocations go to every worker, since a room placed later must refuse the same
tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from .errors import AppRejected
from .facade import RoomControl
from .presence import (
    AppHandler,
    AppMessage,
    ConnectionLost,
    Joined,
    Left,
    Listener,
    PresenceEvent,
    Reconnected,
    Speaking,
    WeakLink,
)

logger = logging.getLogger(__name__)

COMMANDS = "rounds:commands"
"""Every worker's commands (step 3 gives each worker its own, and keeps this for revocations)."""
EVENTS = "rounds:events"
"""Presence events and app messages, from every worker to the API."""
APP_TIMEOUT = 5.0
"""Seconds a worker waits for the app's answer to a client's app message before refusing it."""
RETRY = 1.0
"""Seconds between tries to reach a bus that cannot be reached."""

_EVENTS: dict[str, type[PresenceEvent]] = {
    cls.__name__: cls for cls in (Joined, Left, ConnectionLost, Reconnected, Speaking, WeakLink)
}


RETAIN = 60.0
"""Seconds a Redis stream keeps a message (trimmed at each new one): long enough for a
reader that lost Redis for a moment to read on, and the bus is for what happens now, not a
record. (Run Redis without persistence, as docker-compose.yml does.)"""


class Subscription(Protocol):
    """The messages of one channel from when it was subscribed, in order."""

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]: ...

    def close(self) -> None: ...


class Bus(Protocol):
    """Channels of JSON objects: every subscription to a channel gets every message published
    on it after it was made, in order."""

    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    async def subscribe(self, channel: str) -> Subscription: ...


class LocalBus:
    """A ``Bus`` inside one process."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[bytes]]] = {}

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode()
        for queue in self._queues.get(channel, ()):
            queue.put_nowait(data)

    async def subscribe(self, channel: str) -> _LocalSubscription:
        return _LocalSubscription(self._queues.setdefault(channel, set()))


class _LocalSubscription:
    def __init__(self, queues: set[asyncio.Queue[bytes]]) -> None:
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._queues = queues
        queues.add(self._queue)

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            yield json.loads(await self._queue.get())

    def close(self) -> None:
        self._queues.discard(self._queue)


class RedisBus:
    """A ``Bus`` on Redis streams (``url``: redis://host:port/db); every stream's key starts
    with ``prefix`` (one Redis for several deployments, or tests)."""

    def __init__(self, url: str, prefix: str = "") -> None:
        import redis.asyncio

        self.redis = redis.asyncio.Redis.from_url(url)
        self.prefix = prefix

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        oldest = int((time.time() - RETAIN) * 1000)
        await self.redis.xadd(self.prefix + channel, {"m": json.dumps(message)},
                              minid=f"{oldest}-0", approximate=False)

    async def subscribe(self, channel: str) -> _RedisSubscription:
        key = self.prefix + channel
        last = await self.redis.xrevrange(key, count=1)
        return _RedisSubscription(self.redis, key, last[0][0] if last else b"0-0")

    async def close(self) -> None:
        await self.redis.aclose()


class _RedisSubscription:
    def __init__(self, redis: Any, channel: str, after: Any) -> None:
        self._redis, self._channel, self._after = redis, channel, after

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        while True:
            try:
                read = await self._redis.xread({self._channel: self._after}, count=100,
                                               block=1000)
            except Exception as exc:  # noqa: BLE001 - Redis away: read on from here when back
                logger.warning("reading %s failed (%s); trying again", self._channel,
                               type(exc).__name__)
                await asyncio.sleep(RETRY)
                continue
            for _, entries in read:
                for entry_id, fields in entries:
                    self._after = entry_id
                    try:
                        message = json.loads(fields[b"m"])
                    except (KeyError, ValueError):
                        logger.warning("a malformed message on %s", self._channel)
                        continue
                    if isinstance(message, dict):
                        yield message

    def close(self) -> None:
        pass


def encode_event(event: PresenceEvent) -> dict[str, Any]:
    return {"type": "presence", "event": type(event).__name__, **dataclasses.asdict(event)}


def decode_event(message: dict[str, Any]) -> PresenceEvent:
    """A presence event from its message (ValueError if it is not one)."""
    cls = _EVENTS.get(message.get("event", ""))
    if cls is None:
        raise ValueError(f"not a presence event: {message.get('event')!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: v for k, v in message.items() if k in names})
    except TypeError as exc:
        raise ValueError(f"a malformed {cls.__name__}") from exc


class _End:
    """One end of the bus: tasks that handle what comes in, and one that publishes what goes
    out in the order it was posted."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._tasks: list[asyncio.Task[None]] = []
        self._out: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    async def listen(self, channel: str, handle: Callable[[dict[str, Any]], Any]) -> None:
        """Call ``handle`` with each message on ``channel`` from now on (or, if the bus cannot
        be reached now, from when it can)."""
        subscription: Subscription | None = None
        try:
            subscription = await self.bus.subscribe(channel)
        except Exception as exc:  # noqa: BLE001 - the bus away: listen once it is back
            logger.warning("the bus cannot be reached (%s); listening on %s once it can",
                           type(exc).__name__, channel)

        async def run() -> None:
            nonlocal subscription
            while subscription is None:
                await asyncio.sleep(RETRY)
                with contextlib.suppress(Exception):
                    subscription = await self.bus.subscribe(channel)
            try:
                async for message in subscription:
                    try:
                        result = handle(message)
                        if asyncio.iscoroutine(result):
                            await result
                    except Exception:
                        logger.exception("a bus message on %s failed", channel)
            finally:
                subscription.close()

        self._tasks.append(asyncio.create_task(run()))

    def post(self, channel: str, message: dict[str, Any]) -> None:
        """Publish ``message`` after what was posted before it."""
        if not any(t.get_name() == "bus-out" for t in self._tasks):
            self._tasks.append(asyncio.create_task(self._publish_posted(), name="bus-out"))
        self._out.put_nowait((channel, message))

    async def _publish_posted(self) -> None:
        while True:
            channel, message = await self._out.get()
            try:
                await self.bus.publish(channel, message)
            except Exception:
                logger.exception("publishing on %s failed", channel)
            finally:
                self._out.task_done()

    async def flush(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 - a bounded wait
        """Wait until what was posted is published (``timeout`` at most: the bus may be away)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._out.join(), timeout)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()


class WorkerEnd(_End):
    """A media worker's end of the bus: commands in, presence events and app messages out."""

    def __init__(self, bus: Bus, control: RoomControl, worker: str, boot: str = "") -> None:
        super().__init__(bus)
        self.control, self.worker, self.boot = control, worker, boot
        self._asked = itertools.count(1)
        self._answers: dict[int, asyncio.Future[str | None]] = {}
        self._stop: Callable[[], None] | None = None

    async def start(self) -> None:
        await self.listen(COMMANDS, self._command)
        await self.listen(f"rounds:worker:{self.worker}:answers", self._answer)
        self._stop = self.control.add_listener(self._presence)
        self.control.set_message_handler(self._app_message)

    async def close(self) -> None:
        if self._stop is not None:
            self._stop()
            self.control.set_message_handler(None)
        await super().close()

    def _presence(self, event: PresenceEvent) -> None:
        self.post(EVENTS, {**encode_event(event), "worker": self.worker, "boot": self.boot})

    def lose_everyone(self) -> None:
        """Before this worker hands its rooms over: the API hears that every participant's
        connection was lost (they come back on the room's next worker), and nothing more of
        these rooms."""
        if self._stop is not None:
            self._stop()
            self._stop = None
        for room in self.control.rooms():
            for participant in self.control.participants(room):
                self._presence(ConnectionLost(room, participant))

    async def _app_message(self, message: AppMessage) -> None:
        asked = next(self._asked)
        answer: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._answers[asked] = answer
        try:
            self.post(EVENTS, {"type": "app", "worker": self.worker, "asked": asked,
                               **dataclasses.asdict(message)})
            refusal = await asyncio.wait_for(answer, APP_TIMEOUT)
        except TimeoutError:
            raise AppRejected("the app did not answer") from None
        finally:
            self._answers.pop(asked, None)
        if refusal is not None:
            raise AppRejected(refusal)

    def _answer(self, message: dict[str, Any]) -> None:
        answer = self._answers.get(message.get("asked", 0))
        if answer is not None and not answer.done():
            refusal = message.get("refused")
            answer.set_result(refusal if isinstance(refusal, str) else None)

    def _command(self, message: dict[str, Any]) -> None:
        control, name = self.control, message.get("command")
        if name == "revoke":
            control.revoke(room=message.get("room"), participant=message.get("participant"),
                           at=message.get("at"))
        elif name == "set_audio_forwarding":
            control.set_audio_forwarding(message["room"], message["participant"],
                                         bool(message["enabled"]))
        elif name == "set_floor":
            control.set_floor(message["room"], message.get("participant"))
        elif name == "split_room":
            control.split_room(message["room"], message.get("groups"))
        elif name == "send_event":
            control.send_event(message["room"], message["event"], message.get("participant"))
        elif name == "announce":
            control.announce()
        else:
            logger.warning("unknown bus command %r", name)


class BusRoomControl(RoomControl):
    """``RoomControl`` for rooms on media workers, over a bus (the same methods)."""

    def __init__(self, bus: Bus) -> None:  # (no hub: the rooms are elsewhere)
        self._end = _End(bus)
        self._members: dict[str, dict[str, tuple[str, str]]] = {}
        """room -> participant -> the (worker, boot) their connection is on"""
        self._floors: dict[str, str | None] = {}
        self._last_beat: dict[str, float] = {}
        """Each worker's last heartbeat (Unix time), as ``workers_gone`` was last told."""
        self._listeners: list[Listener] = []
        self._handler: AppHandler | None = None

    async def start(self) -> None:
        await self._end.listen(EVENTS, self._event)

    async def close(self) -> None:
        await self._end.close()

    def _send(self, command: str, **args: Any) -> None:
        self._end.post(COMMANDS, {"command": command, **args})

    async def _event(self, message: dict[str, Any]) -> None:
        if message.get("type") == "app":
            await self._app_message(message)
            return
        event = decode_event(message)
        where = (str(message.get("worker", "")), str(message.get("boot", "")))
        members = self._members.setdefault(event.room, {})
        if isinstance(event, Joined | Reconnected):
            if where not in members.values() and self._floors.get(event.room) is not None:
                # the room (again) on a worker: it starts without a floor
                self._send("set_floor", room=event.room, participant=self._floors[event.room])
            before = members.get(event.participant)
            if before is not None and before[0] and before != where:
                # back on another worker before the loss of the first was noticed: lost there
                # first, at its last heartbeat (so a turn stands still while they were away)
                self._tell(ConnectionLost(event.room, event.participant,
                                          self._last_beat.get(before[0])))
            members[event.participant] = where
        elif isinstance(event, Left) or (
                isinstance(event, ConnectionLost) and members.get(event.participant) == where):
            members.pop(event.participant, None)
        if not members:
            del self._members[event.room]
        self._tell(event)

    def _tell(self, event: PresenceEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                logger.exception("presence listener failed")

    def workers_gone(self, live: dict[str, str], last_beat: dict[str, float] | None = None
                     ) -> None:
        """``live``: each live worker's boot, from the heartbeats. Whoever was connected to a
        worker not among them (dead, or started again) has lost their connection, at the
        worker's last heartbeat (``last_beat``, Unix time) if it is known."""
        if last_beat is not None:
            self._last_beat = last_beat
        for room, members in list(self._members.items()):
            for participant, (worker, boot) in list(members.items()):
                if worker and live.get(worker) != boot:
                    del members[participant]
                    if not members:
                        del self._members[room]
                    at = (last_beat or {}).get(worker)
                    self._tell(ConnectionLost(room, participant, at))

    async def _app_message(self, message: dict[str, Any]) -> None:
        refusal: str | None = None
        try:
            names = {f.name for f in dataclasses.fields(AppMessage)}
            app = AppMessage(**{k: v for k, v in message.items() if k in names})
            if self._handler is None:
                raise AppRejected(f"no handler for '{app.kind}'")
            await self._handler(app)
        except AppRejected as exc:
            refusal = exc.detail or "app_rejected"
        except Exception:
            logger.exception("app handler failed")
            refusal = "the app could not handle this message"
        self._end.post(f"rounds:worker:{message.get('worker')}:answers",
                  {"asked": message.get("asked"), "refused": refusal})

    def revoke(self, *, room: str | None = None, participant: str | None = None,
               at: float | None = None) -> bool:
        if room is None and participant is None:
            raise ValueError("a revocation names a room, a participant or both")
        self._send("revoke", room=room, participant=participant,
                   at=time.time() if at is None else at)
        if participant is None and room is not None:
            self._floors.pop(room, None)
        rooms = [room] if room is not None else list(self._members)
        return any(participant is None or participant in self._members.get(r, ())
                   for r in rooms if self._members.get(r))

    def close_room(self, room: str) -> None:
        self.revoke(room=room)

    def remove_participant(self, room: str, participant: str) -> bool:
        return self.revoke(room=room, participant=participant)

    def set_audio_forwarding(self, room: str, participant: str, enabled: bool) -> None:
        self._send("set_audio_forwarding", room=room, participant=participant, enabled=enabled)

    def set_floor(self, room: str, participant: str | None) -> None:
        self._floors[room] = participant
        self._send("set_floor", room=room, participant=participant)

    def split_room(self, room: str, groups: list[list[str]] | None) -> None:
        self._send("split_room", room=room, groups=groups)

    def send_event(self, room: str, event: dict[str, object],
                   participant: str | None = None) -> int:
        kind = event.get("kind")
        if not isinstance(kind, str) or not kind:
            raise ValueError("an app event needs a 'kind' string")
        self._send("send_event", room=room, event=event, participant=participant)
        members = self._members.get(room, {})
        return len(members) if participant is None else int(participant in members)

    def announce(self) -> None:
        self._send("announce")

    def set_message_handler(self, handler: AppHandler | None) -> None:
        self._handler = handler

    def rooms(self) -> list[str]:
        return list(self._members)

    def participants(self, room: str) -> list[str]:
        return list(self._members.get(room, ()))

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def events(self) -> asyncio.Queue[PresenceEvent]:
        queue: asyncio.Queue[PresenceEvent] = asyncio.Queue()
        self.add_listener(queue.put_nowait)
        return queue
