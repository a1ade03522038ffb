"""Janus (Debian package ``janus``, VideoRoom plugin) as a third backend for bench/sfu.py.

Only for the comparison: a minimal Janus WebSocket API client built on aiortc, publishing the
same replayed VP8/Opus and subscribing (multistream) to every other publisher of its room.
Janus runs in a subprocess with a generated configuration (VideoRoom + WebSockets only).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import SessionDescription
from websockets.typing import Subprotocol

from rtc.messages import StreamInfo
from rtc.peers import codec_preferences

JANUS = "/usr/bin/janus"
LIB = "/usr/lib/x86_64-linux-gnu/janus"


def available() -> bool:
    return shutil.which(JANUS) is not None


def start(port: int) -> tuple[subprocess.Popen[bytes], str]:
    """Start Janus with VideoRoom and a WebSocket API on 127.0.0.1:port."""
    folder = Path(tempfile.mkdtemp(prefix="janus-bench-"))
    plugins = [p.name for p in Path(f"{LIB}/plugins").glob("*.so") if "videoroom" not in p.name]
    transports = [
        p.name for p in Path(f"{LIB}/transports").glob("*.so") if "websockets" not in p.name
    ]
    (folder / "janus.jcfg").write_text(f"""general: {{
    configs_folder = "{folder}"
    plugins_folder = "{LIB}/plugins"
    transports_folder = "{LIB}/transports"
    events_folder = "{LIB}/events"
    loggers_folder = "{LIB}/loggers"
    debug_level = 2
    session_timeout = 600
}}
media: {{
}}
nat: {{
    ice_enforce_list = "lo"
}}
plugins: {{
    disable = "{",".join(plugins)}"
}}
transports: {{
    disable = "{",".join(transports)}"
}}
events: {{
    broadcast = false
}}
loggers: {{
    disable = "libjanus_jsonlog.so"
}}
""")
    (folder / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")
    (folder / "janus.transport.websockets.jcfg").write_text(f"""general: {{
    json = "compact"
    ws = true
    ws_port = {port}
    ws_ip = "127.0.0.1"
    wss = false
}}
admin: {{
    admin_ws = false
    admin_wss = false
}}
""")
    child = subprocess.Popen(
        [JANUS, "-F", str(folder), "-C", str(folder / "janus.jcfg"), "-o"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return child, f"ws://127.0.0.1:{port}"


class Session:
    """One Janus session over one WebSocket: requests matched to answers by transaction."""

    _ids = itertools.count(1)

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.id = 0
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.reader = asyncio.ensure_future(self._read())
        self.keepalive: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for text in self.ws:
                msg = json.loads(text)
                future = self.pending.get(msg.get("transaction", ""))
                if msg.get("janus") == "ack" or future is None or future.done():
                    self.events.append(msg)
                    continue
                future.set_result(msg)

    async def call(self, body: dict[str, Any], timeout: float = 30) -> dict[str, Any]:  # noqa: ASYNC109
        tx = f"t{next(self._ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[tx] = future
        if self.id:
            body = {"session_id": self.id, **body}
        await self.ws.send(json.dumps({**body, "transaction": tx}))
        try:
            msg = await asyncio.wait_for(future, timeout)
        finally:
            self.pending.pop(tx, None)
        if msg.get("janus") == "error":
            raise RuntimeError(f"janus error: {msg.get('error')}")
        data = msg.get("plugindata", {}).get("data", {})
        if "error" in data:
            raise RuntimeError(f"videoroom error: {data['error']}")
        return msg

    @classmethod
    async def open(cls, url: str) -> Session:
        session = cls(
            await websockets.connect(
                url, subprotocols=[Subprotocol("janus-protocol")], max_size=4 << 20
            )
        )
        session.id = (await session.call({"janus": "create"}))["data"]["id"]
        session.keepalive = asyncio.ensure_future(session._keep_alive())
        return session

    async def _keep_alive(self) -> None:
        while True:  # Janus acks a keepalive: nothing to wait for
            await asyncio.sleep(20)
            tx = f"t{next(self._ids)}"
            await self.ws.send(
                json.dumps({"janus": "keepalive", "session_id": self.id, "transaction": tx})
            )

    async def attach(self) -> int:
        msg = await self.call({"janus": "attach", "plugin": "janus.plugin.videoroom"})
        return int(msg["data"]["id"])

    async def message(
        self, handle: int, body: dict[str, Any], jsep: dict[str, str] | None = None
    ) -> dict[str, Any]:
        request: dict[str, Any] = {"janus": "message", "handle_id": handle, "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        return await self.call(request)

    async def close(self) -> None:
        if self.keepalive is not None:
            self.keepalive.cancel()
        with contextlib.suppress(Exception):
            await self.call({"janus": "destroy"}, timeout=5)
        self.reader.cancel()
        with contextlib.suppress(Exception):
            await self.ws.close()


async def create_room(url: str, room: int, publishers: int) -> None:
    session = await Session.open(url)
    handle = await session.attach()
    await session.message(
        handle,
        {
            "request": "create",
            "room": room,
            "publishers": publishers,
            "bitrate": 0,
            "audiocodec": "opus",
            "videocodec": "vp8",
            "fir_freq": 0,
            "notify_joining": False,
        },
    )
    await session.close()


class JanusParticipant:
    """Publishes two tracks to a VideoRoom and subscribes to the other publishers' streams."""

    def __init__(
        self, url: str, room: int, name: str, *, audio: MediaStreamTrack, video: MediaStreamTrack
    ) -> None:
        self.url, self.room, self.name = url, room, name
        self.audio, self.video = audio, video
        self.feed = 0
        self.publish_pc: RTCPeerConnection | None = None
        self.subscribe_pc: RTCPeerConnection | None = None
        self.streams: dict[str, StreamInfo] = {}
        self.ssrc_mid: dict[int, str] = {}
        self.on_subscribe_transceiver: Any = None
        self.session: Session | None = None

    async def connect(self) -> None:
        """Join the room as a publisher and publish (offer to Janus, apply its answer)."""
        session = self.session = await Session.open(self.url)
        handle = await session.attach()
        joined = await session.message(
            handle,
            {"request": "join", "ptype": "publisher", "room": self.room, "display": self.name},
        )
        self.feed = int(joined["plugindata"]["data"]["id"])
        pc = self.publish_pc = RTCPeerConnection(configuration=RTCConfiguration(iceServers=[]))
        for track in (self.audio, self.video):
            t = pc.addTransceiver(track, direction="sendonly")
            t.setCodecPreferences(codec_preferences(track.kind))  # type: ignore[arg-type]
        await pc.setLocalDescription(await pc.createOffer())
        answer = await session.message(
            handle,
            {"request": "publish", "audio": True, "video": True},
            {"type": "offer", "sdp": pc.localDescription.sdp},
        )
        await pc.setRemoteDescription(RTCSessionDescription(**answer["jsep"]))

    async def subscribe(self, feeds: dict[int, str]) -> None:
        """One multistream subscription to every given feed (feed id -> participant)."""
        assert self.session is not None
        handle = await self.session.attach()
        request = {
            "request": "join",
            "ptype": "subscriber",
            "room": self.room,
            "streams": [{"feed": feed} for feed in feeds],
        }
        for attempt in range(100):  # a feed exists once its publisher's media is up
            try:
                offer = await self.session.message(handle, request)
                break
            except RuntimeError as exc:
                if "No such feed" not in str(exc) or attempt == 99:
                    raise
                await asyncio.sleep(0.1)
        self.streams = {
            s["mid"]: StreamInfo(participant=feeds[int(s["feed_id"])], kind=s["type"])
            for s in offer["plugindata"]["data"]["streams"]
            if s.get("type") in ("audio", "video") and s.get("feed_id") is not None
        }
        # aiortc routes a second video section with the same payload type by SSRC only once it
        # has started receiving on it; the counters attribute packets by the SDP's SSRCs instead
        for media in SessionDescription.parse(offer["jsep"]["sdp"]).media:
            for ssrc in media.ssrc:
                self.ssrc_mid[ssrc.ssrc] = media.rtp.muxId
        pc = self.subscribe_pc = RTCPeerConnection(configuration=RTCConfiguration(iceServers=[]))
        await pc.setRemoteDescription(RTCSessionDescription(**offer["jsep"]))
        for t in pc.getTransceivers():
            if self.on_subscribe_transceiver is not None:
                self.on_subscribe_transceiver(t)
        await pc.setLocalDescription(await pc.createAnswer())
        await self.session.message(
            handle, {"request": "start"}, {"type": "answer", "sdp": pc.localDescription.sdp}
        )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
        for pc in (self.publish_pc, self.subscribe_pc):
            if pc is not None:
                await pc.close()


__all__ = ["JanusParticipant", "available", "create_room", "start"]
