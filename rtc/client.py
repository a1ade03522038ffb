"""A Python client of the rtc/ protocol, built on aiortc: used by tests and the benchmark.

It speaks docs/protocol.md exactly as a browser would (two peer connections, publish offer,
subscription answers with the mid -> participant map), so tests exercise the real server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import websockets
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

from . import messages as m
from .peers import codec_preferences


@dataclass
class Received:
    """What one subscribed media section has delivered, per participant it carried."""

    frames: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_frame_at: dict[str, float] = field(default_factory=dict)
    last_size: tuple[int, int] | None = None
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)
    """The size of the last video frame decoded from each participant."""


class Client:
    """One participant: joins, publishes the given tracks, subscribes to everyone else."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        audio: MediaStreamTrack | None = None,
        video: MediaStreamTrack | None = None,
        small: MediaStreamTrack | None = None,
        decode: bool = True,
    ) -> None:
        self.url = url
        self.token = token
        self.audio = audio
        self.video = video
        self.small = small
        """The camera as a small picture: a second video section, after ``video``."""
        self.decode = decode
        self.id = ""
        self.messages: list[dict[str, Any]] = []
        self.streams: dict[str, m.StreamInfo] = {}
        self.received: dict[str, Received] = defaultdict(Received)
        self.publish_pc: RTCPeerConnection | None = None
        self.subscribe_pc: RTCPeerConnection | None = None
        self.joined_at = 0.0
        self.timeout = 10.0
        """Seconds to wait for each server answer during connect and publish."""
        self.on_subscribe_transceiver: Callable[[RTCRtpTransceiver], None] | None = None
        self._ws: Any = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._changed = asyncio.Condition()
        self.ice: list[m.IceServerInfo] = []

    # --- lifecycle ---

    async def connect(self, *, publish: bool = True) -> None:
        """Handshake, join, start the read loop and (optionally) publish."""
        self._ws = await websockets.connect(self.url, max_size=4 << 20)
        await self.send({"type": "hello", "version": m.PROTOCOL_VERSION})
        await self.expect("hello", timeout=self.timeout)
        await self.send({"type": "join", "token": self.token})
        joined = await self.expect("joined", timeout=self.timeout)
        self.id = joined["participant"]
        self.ice = [m.IceServerInfo(**s) for s in joined["ice_servers"]]
        self.joined_at = time.monotonic()
        self._tasks.append(asyncio.ensure_future(self._loop()))
        if publish:
            await self.publish()

    async def close(self, *, leave: bool = True) -> None:
        if leave and self._ws is not None:
            with contextlib.suppress(Exception):
                await self.send({"type": "leave"})
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await self._ws.close()
        for pc in (self.publish_pc, self.subscribe_pc):
            if pc is not None:
                await pc.close()

    def _configuration(self, max_bundle: bool) -> RTCConfiguration:
        from aiortc import RTCIceServer

        servers = [
            RTCIceServer(urls=s.urls, username=s.username, credential=s.credential)
            for s in self.ice
        ]
        policy = RTCBundlePolicy.MAX_BUNDLE if max_bundle else RTCBundlePolicy.BALANCED
        return RTCConfiguration(iceServers=servers, bundlePolicy=policy)

    async def publish(self) -> None:
        pc = self.publish_pc = RTCPeerConnection(configuration=self._configuration(True))
        for track in (self.audio, self.video, self.small):
            if track is not None:
                t = pc.addTransceiver(track, direction="sendonly")
                t.setCodecPreferences(codec_preferences(track.kind))  # type: ignore[arg-type]
        await pc.setLocalDescription(await pc.createOffer())
        mark = self.mark()
        await self.send({"type": "publish", "sdp": pc.localDescription.sdp})
        answer = await self.expect("publish_answer", since=mark, timeout=self.timeout)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))

    # --- wire ---

    async def send(self, message: dict[str, Any] | str) -> None:
        await self._ws.send(message if isinstance(message, str) else json.dumps(message))

    def mark(self) -> int:
        """A position in the message log, for ``expect(since=...)``."""
        return len(self.messages)

    async def expect(
        self,
        kind: str,
        timeout: float = 10.0,  # noqa: ASYNC109
        where: Callable[[dict[str, Any]], bool] = lambda _: True,
        since: int | None = None,
    ) -> dict[str, Any]:
        """Wait for a server message of a type received after ``since`` (default: now)."""
        deadline = time.monotonic() + timeout
        start = len(self.messages) if since is None else since
        if self._tasks:
            async with self._changed:
                while True:
                    for msg in self.messages[start:]:
                        if msg["type"] == kind and where(msg):
                            return msg
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"no {kind} message")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), left)
        while True:
            left = deadline - time.monotonic()
            text = await asyncio.wait_for(self._ws.recv(), max(left, 0.01))
            msg = json.loads(text)
            m.SERVER_ADAPTER.validate_python(msg)  # the server only sends documented messages
            self.messages.append(msg)
            if msg["type"] == kind and where(msg):
                return msg
            if msg["type"] == "error":
                raise RuntimeError(f"server error {msg['code']}: {msg['detail']}")

    async def _loop(self) -> None:
        try:
            async for text in self._ws:
                msg = json.loads(text)
                m.SERVER_ADAPTER.validate_python(msg)
                if msg["type"] == "subscribe_offer":
                    await self._on_offer(msg)
                elif msg["type"] == "ping":
                    await self.send({"type": "pong", "id": msg.get("id")})
                async with self._changed:
                    self.messages.append(msg)
                    self._changed.notify_all()
        except websockets.ConnectionClosed:
            pass
        async with self._changed:
            self.messages.append({"type": "_closed", "code": self._ws.close_code})
            self._changed.notify_all()

    async def _on_offer(self, msg: dict[str, Any]) -> None:
        if msg.get("restart") and self.subscribe_pc is not None:
            await self.subscribe_pc.close()
            self.subscribe_pc = None
        if self.subscribe_pc is None:
            self.subscribe_pc = RTCPeerConnection(configuration=self._configuration(True))
            self.subscribe_pc.on("track", self._on_track)
        pc = self.subscribe_pc
        self.streams = {mid: m.StreamInfo(**s) for mid, s in msg["streams"].items()}
        await pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="offer"))
        for t in pc.getTransceivers():
            if self.on_subscribe_transceiver is not None:
                self.on_subscribe_transceiver(t)
        await pc.setLocalDescription(await pc.createAnswer())
        await self.send(
            {
                "type": "subscribe_answer",
                "revision": msg["revision"],
                "sdp": pc.localDescription.sdp,
            }
        )

    def _on_track(self, track: MediaStreamTrack) -> None:
        assert self.subscribe_pc is not None
        mid = next(t.mid for t in self.subscribe_pc.getTransceivers() if t.receiver.track is track)
        if self.decode and mid is not None:
            self._tasks.append(asyncio.ensure_future(self._consume(mid, track)))

    async def _consume(self, mid: str, track: MediaStreamTrack) -> None:
        rec = self.received[mid]
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                info = self.streams.get(mid)
                if info is None:
                    continue
                rec.frames[info.participant] += 1
                rec.first_frame_at.setdefault(info.participant, time.monotonic())
                if isinstance(frame, VideoFrame):
                    rec.last_size = (frame.width, frame.height)
                    rec.sizes[info.participant] = rec.last_size

    # --- queries ---

    def frames_from(self, participant: str, kind: str) -> int:
        """Decoded frames received from a participant's stream of a kind, over all mids."""
        return sum(
            rec.frames.get(participant, 0)
            for mid, rec in self.received.items()
            if self._kind_of(mid) == kind
        )

    def size_from(self, participant: str) -> tuple[int, int] | None:
        """The size of the last video frame decoded from a participant (any mid)."""
        sizes = [rec.sizes[participant] for rec in self.received.values()
                 if participant in rec.sizes]
        return sizes[-1] if sizes else None

    def _kind_of(self, mid: str) -> str | None:
        if self.subscribe_pc is None:
            return None
        return next((t.kind for t in self.subscribe_pc.getTransceivers() if t.mid == mid), None)

    def subscribed(self) -> set[tuple[str, str]]:
        """The (participant, kind) pairs the latest subscription offer carries."""
        return {(s.participant, s.kind) for s in self.streams.values()}
