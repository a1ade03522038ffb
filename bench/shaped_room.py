"""bench/shaped.py's room: the app in a child process, its world built through the REST API,
and the seven synthetic publishers.

* ``running_server``: the real app (SQLite in a temporary directory) in a child process
  (``python bench/shaped_room.py PORT``) listening on every address, with one bench-only route,
  ``/bench/forwarding``, that reads the forwarder's per-subscriber counters (packets and bytes
  sent, NACKed packets actually retransmitted - aiortc's ``_retransmit`` wrapped in the child
  - and keyframe requests). Nothing in app/ or rtc/ changes.
* ``build_world`` / ``member_token``: an admin who facilitates, a group, a session begun with
  the check-in round; each member accepts an invite, waits in the lobby and is admitted.
* ``publish``: a member whose ``rtc.client.Client`` replays VP8 640x360 at 15 fps (about
  600 kbit/s, a keyframe every second, encoded once by ``encode_clip``) and Opus 20 ms, and
  counts what it receives per sender without decoding (``Heard``).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import av  # noqa: E402
import httpx  # noqa: E402
import sfu  # noqa: E402
from aiortc.rtp import RtpPacket  # noqa: E402

from rtc.client import Client  # noqa: E402

FPS = 15
WIDTH, HEIGHT = 640, 360
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@bench.example", "correct horse battery staple"
SECRET = "bench-shaped-" + "s" * 32
TEMPLATE = "default:check-in-round"


# --- media, encoded once -------------------------------------------------------------------


PATTERN = [(0, False), (2, True), (1, True), (2, False)]
"""L1T3 as libvpx's temporal layering mode 3 encodes it: (TID, layer sync) of each frame in a
period of four. T0 predicts from the last T0; the first T2 and the T1 from that T0 only (they
are layer syncs); the second T2 from the T1. Checked by decoding the thinned streams: every
frame of the base alone, and of base and T1, is bit-identical to the same frame decoded from
the full stream (with error resilience, which keeps upper layers from changing the entropy
state the base depends on)."""


def encode_clip(seconds: int = 3, noise_share: int | None = None, layers: bool = True,
                small: bool = False) -> sfu.Clip:
    """VP8 640x360 at 15 fps (about 600 kbit/s, a keyframe every 16 frames), in three temporal
    layers as a browser sends with ``scalabilityMode: "L1T3"`` (``layers``), and bench/sfu.py's
    Opus; ``small``: the same at half the width and height (about 150 kbit/s), as the room
    page's small picture."""
    width, height, share = (WIDTH // 2, HEIGHT // 2, 4) if small else (WIDTH, HEIGHT, 1)
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = fractions.Fraction(1, FPS)
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.bit_rate = (400_000 if layers else 550_000) // share
    codec.gop_size = 16 if layers else FPS
    options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    if layers:
        rates = ",".join(str(r // share) for r in (220, 360, 550))
        options |= {"error-resilient": "1",
                    "ts-parameters": f"ts_number_layers=3:ts_target_bitrate={rates}:"
                    "ts_rate_decimator=4,2,1:ts_periodicity=4:ts_layer_id=0,2,1,2:"
                    "ts_layering_mode=3"}
    codec.options = options
    video: list[tuple[bytes, bool]] = []
    if noise_share is None:  # about 600 kbit/s either way (layers cost a little more)
        noise_share = 18 if layers else 12
    noise = width * height // noise_share  # a part of the picture that keeps changing
    chroma = width * height // 4
    count = 16 * round(FPS * seconds / 16) if layers else FPS * seconds  # whole periods
    for i in range(count):
        frame = av.VideoFrame(width=width, height=height, format="yuv420p")
        row = bytes(((x + 4 * i) * 3) & 0xFF for x in range(width))
        frame.planes[0].update((row * height)[: width * height - noise] + os.urandom(noise))
        frame.planes[1].update(bytes([(i * 5) & 0xFF]) * chroma)
        frame.planes[2].update(bytes([128]) * chroma)
        frame.pts = i
        video.extend((bytes(p), bool(p.is_keyframe)) for p in codec.encode(frame))
    video.extend((bytes(p), bool(p.is_keyframe)) for p in codec.encode(None))
    temporal = [PATTERN[i % 4] for i in range(len(video))] if layers else []
    return sfu.Clip(video=video, audio=sfu.encode_opus(seconds),
                    audio_fec=sfu.encode_opus(seconds, fec=True), temporal=temporal)


def packetize_layers() -> None:
    """Make aiortc's VP8 packetizer (in this process: the synthetic publishers) write the
    temporal layer of each frame (TID, Y, TL0PICIDX) as a browser does, when the replayed
    packet carries it (``opaque``)."""
    from aiortc.codecs.vpx import PACKET_MAX, Vp8Encoder, VpxPayloadDescriptor
    from aiortc.mediastreams import VIDEO_TIME_BASE, convert_timebase

    plain = Vp8Encoder.pack

    def pack(self: Vp8Encoder, packet: av.Packet) -> tuple[list[bytes], int]:
        layer = packet.opaque
        if layer is None:
            return plain(self, packet)
        tid, sync = layer
        tl0 = getattr(self, "_bench_tl0", -1)
        if tid == 0:
            tl0 = (tl0 + 1) & 0xFF
        self._bench_tl0 = tl0  # type: ignore[attr-defined]
        buffer = bytes(packet)
        payloads, pos = [], 0
        descr = VpxPayloadDescriptor(partition_start=1, partition_id=0,
                                     picture_id=self.picture_id, tl0picidx=max(tl0, 0),
                                     tid=(tid, int(sync)))
        while pos < len(buffer):
            head = bytes(descr)
            size = min(len(buffer) - pos, PACKET_MAX - len(head))
            payloads.append(head + buffer[pos:pos + size])
            descr.partition_start = 0
            pos += size
        self.picture_id = (self.picture_id + 1) % (1 << 15)
        return payloads, convert_timebase(packet.pts, packet.time_base, VIDEO_TIME_BASE)

    Vp8Encoder.pack = pack  # type: ignore[method-assign]


# --- the server (child process) -------------------------------------------------------------


def serve(port: int) -> None:
    """Run the app on every address, plus the bench's read-only ``/bench/forwarding`` route."""
    import uvicorn
    from aiortc import RTCRtpSender
    from aiortc.rtp import RTP_HISTORY_SIZE
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    from app.core.config import Settings
    from app.core.migrate import upgrade
    from app.main import create_app

    rtx = {"packets": 0, "bytes": 0}
    original = RTCRtpSender._retransmit

    async def retransmit(self: Any, sequence_number: int) -> None:
        """aiortc's, counted: it resends only what its history still holds."""
        packet = self._RTCRtpSender__rtp_history.get(sequence_number % RTP_HISTORY_SIZE)
        if packet is not None and packet.sequence_number == sequence_number:
            rtx["packets"] += 1
            rtx["bytes"] += len(packet.payload) + 12
            per = self.__dict__.setdefault("bench_rtx", [0, 0])
            per[0] += 1
            per[1] += len(packet.payload) + 12
        await original(self, sequence_number)

    RTCRtpSender._retransmit = retransmit  # type: ignore[method-assign]
    settings = Settings()
    upgrade(settings.db_url)
    app = create_app(settings)

    async def forwarding(request: Request) -> JSONResponse:
        """Every source's and sink's counters now, keyed by object id (a rebuilt connection's
        sinks are new objects whose counters start again at zero)."""
        media = app.state.media
        sources, sinks = [], []
        for room in media.hub.rooms.values():
            for member in room.members.values():
                streams = list(member.sources.items())
                small = member.sources.get("video")
                if small is not None and small.small is not None:
                    streams.append(("small", small.small))
                for kind, source in streams:
                    sources.append(
                        {
                            "key": id(source),
                            "participant": member.id,
                            "kind": kind,
                            "packets": source.packets,
                            "keyframe_requests": source.keyframe_requests,
                            "layers": source.layers,
                        }
                    )
                    for sink in source.sinks:
                        rtx_sent = sink.sender.__dict__.get("bench_rtx", [0, 0])
                        sinks.append(
                            {
                                "key": id(sink),
                                "subscriber": sink.subscriber,
                                "kind": sink.kind,
                                "packets": sink.sent,
                                "bytes": sink.sender._RTCRtpSender__octet_count,
                                "rtx_packets": rtx_sent[0],
                                "rtx_bytes": rtx_sent[1],
                                "nacked": sink.retransmit_requests,
                                "plis": sink.keyframe_requests,
                                "source": member.id,
                                "paused": sink.paused,
                                "small": kind == "small",
                                "layer": sink.layer,
                                "estimate": sink.link.estimate if sink.link else None,
                                "loss": sink.link.loss if sink.link else None,
                                "padding": sink.padding,
                                "proven": sink.link.proven if sink.link else None,
                                "repairs": [sink.link.repairs_sent, sink.link.repairs_refused]
                                if sink.link else None,
                            }
                        )
        return JSONResponse({"sources": sources, "sinks": sinks, "rtx": rtx})

    app.add_route("/bench/forwarding", forwarding)
    everywhere = "0.0.0.0"  # the namespace reaches the app on the link's address
    uvicorn.run(
        app, host=everywhere, port=port, log_level="warning", access_log=False, ws_max_size=4 << 20
    )


def start_server(data: Path, public: str, port: int) -> subprocess.Popen[bytes]:
    """Make the admin (migrating the new database), then start the app in a child process."""
    env = {
        **os.environ,
        "ROUNDS_DATA_DIR": str(data),
        "ROUNDS_PUBLIC_URL": public,
        "ROUNDS_SECRET_KEY": SECRET,
        "ROUNDS_ENV": "development",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "create-admin",
            "--email",
            ADMIN_EMAIL,
            "--name",
            "Dr Bench Admin",
            "--password-env",
            "ADMIN_PASSWORD",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    with (data / "server.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, __file__, str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@contextlib.asynccontextmanager
async def running_server(
    data: Path, public: str, port: int
) -> AsyncIterator[subprocess.Popen[bytes]]:
    child = start_server(data, public, port)
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"http://127.0.0.1:{port}/api/v1/openapi.json")).is_success:
                        break
                if child.poll() is not None:
                    raise RuntimeError((data / "server.log").read_text()[-2000:])
                await asyncio.sleep(0.1)
        yield child
    finally:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)


# --- the world, through the REST API ---------------------------------------------------------


def api_client(base: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=base + "/api/v1", timeout=30.0)

    async def csrf(request: httpx.Request) -> None:
        token = http.cookies.get("rounds_csrf")
        if token and request.method != "GET":
            request.headers["x-csrf-token"] = token

    http.event_hooks["request"].append(csrf)
    return http


async def ok(response: Any) -> Any:
    r = await response
    if r.status_code not in (200, 201, 202):
        raise RuntimeError(f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:300]}")
    return r.json() if r.content else None


@dataclass
class World:
    admin: httpx.AsyncClient
    group: dict[str, Any]
    session: dict[str, Any]
    members: list[httpx.AsyncClient] = field(default_factory=list)

    async def invite(self) -> str:
        link = (await ok(self.admin.post(f"/groups/{self.group['id']}/invites", json={})))["link"]
        return str(link.split("#", 1)[1])

    async def admit(self, member_id: str) -> None:
        await ok(self.admin.post(f"/sessions/{self.session['id']}/lobby/{member_id}/admit"))

    async def close(self) -> None:
        for http in (self.admin, *self.members):
            await http.aclose()


async def build_world(base: str) -> World:
    admin = api_client(base)
    await ok(admin.post("/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
    me = await ok(admin.get("/auth/me"))
    group = await ok(admin.post("/groups", json={"name": "Weak links", "facilitator_id": me["id"]}))
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 300))
    session = await ok(
        admin.post(
            f"/groups/{group['id']}/sessions",
            json={"scheduled_start": start, "duration_minutes": 60},
        )
    )
    await ok(admin.post(f"/sessions/{session['id']}/facilitation", json={"template_id": TEMPLATE}))
    return World(admin, group, session)


async def member_token(world: World, base: str, name: str) -> tuple[str, str]:
    """A doctor accepts an invite, waits in the lobby, is admitted: (join token, participant)."""
    token, participant, _ = await member_grant(world, base, name)
    return token, participant


async def member_grant(world: World, base: str, name: str) -> tuple[str, str, str]:
    """``member_token``, and the grant's signalling path (``/rtc/{worker}`` on media workers)."""
    http = api_client(base)
    world.members.append(http)
    joined = await ok(
        http.post("/invites/accept", json={"token": await world.invite(), "display_name": name})
    )
    url = f"/sessions/{world.session['id']}/join"
    rules = {"ground_rules_version": world.group.get("ground_rules_version", 1)}
    if (await http.post(url, json=rules)).status_code == 202:
        await world.admit(joined["member_id"])
    grant = await ok(http.post(url, json=rules))
    return str(grant["token"]), str(grant["participant_id"]), str(grant["signalling_path"])


async def give_floor(world: World, base: str, ws: str, speaker: str) -> Client:
    """The facilitator joins (signalling only, no video received), starts the check-in and
    makes ``speaker`` the only turn: the speaker has the floor from then on."""
    rules = {"ground_rules_version": world.group.get("ground_rules_version", 1)}
    grant = await ok(world.admin.post(f"/sessions/{world.session['id']}/join", json=rules))
    fac = Client(ws, str(grant["token"]), decode=False)
    fac.timeout = 30.0
    await fac.connect(publish=False)
    await fac.send({"type": "receive", "video": False})
    for kind, data in (("phase", {"action": "start"}),
                       ("round", {"action": "setup", "rule": "manual", "order": [speaker],
                                  "turn_length": 120}),
                       ("round", {"action": "start"})):
        mark = fac.mark()
        await fac.send({"type": "app", "kind": kind, "data": data})
        for _ in range(300):
            answers = [x for x in fac.messages[mark:] if x["type"] == "error"
                       or (x["type"] == "event" and x.get("kind") == "state")]
            if answers:
                break
            await asyncio.sleep(0.1)
        else:
            raise TimeoutError(f"no answer to {kind} {data['action']}")
        if answers[0]["type"] == "error":
            raise RuntimeError(f"{kind} {data['action']}: {answers[0]}")
    return fac


# --- the synthetic publishers ----------------------------------------------------------------


@dataclass
class Heard:
    """What one synthetic participant's subscribe connection got, by (participant, kind)."""

    packets: dict[tuple[str, str], int] = field(default_factory=dict)
    bytes: dict[tuple[str, str], int] = field(default_factory=dict)
    frames: dict[str, int] = field(default_factory=dict)
    lost: dict[tuple[str, str], int] = field(default_factory=dict)
    last_seq: dict[tuple[str, str], int] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        return {
            "packets": dict(self.packets),
            "bytes": dict(self.bytes),
            "frames": dict(self.frames),
            "lost": dict(self.lost),
        }


def count_heard(client: Client, heard: Heard) -> None:
    """Count RTP packets, bytes, sequence gaps and VP8 frames per sender, without decoding."""
    done: set[int] = set()

    def instrument(transceiver: Any) -> None:
        receiver = transceiver.receiver
        if id(receiver) in done:
            return
        done.add(id(receiver))
        kind = transceiver.kind

        async def count(packet: RtpPacket, arrival_time_ms: int) -> None:
            info = client.streams.get(transceiver.mid or "")
            if info is None:
                return
            key = (info.participant, kind)
            heard.packets[key] = heard.packets.get(key, 0) + 1
            heard.bytes[key] = heard.bytes.get(key, 0) + len(packet.payload) + 12
            last = heard.last_seq.get(key)
            if last is not None:
                gap = (packet.sequence_number - last) % 65536
                if 1 < gap < 1000:
                    heard.lost[key] = heard.lost.get(key, 0) + gap - 1
            if last is None or 0 < (packet.sequence_number - last) % 65536 < 1000:
                heard.last_seq[key] = packet.sequence_number
            if kind == "video" and packet.marker:
                heard.frames[info.participant] = heard.frames.get(info.participant, 0) + 1

        receiver._handle_rtp_packet = count

    client.on_subscribe_transceiver = instrument


@dataclass
class Publisher:
    name: str
    client: Client
    video: sfu.ReplayVideo
    audio: sfu.ReplayAudio
    heard: Heard
    id: str = ""
    listen: bool = True


async def publish(
    world: World, base: str, ws: str, name: str, clip: sfu.Clip, listen: bool = True,
    small: sfu.Clip | None = None, silent: bool = False,
) -> Publisher:
    """A member who publishes the clip (and the ``small`` one as the small picture, as the
    room page does); unless ``listen``, they receive audio only (it spares this process
    decrypting six video streams it does not measure); ``silent``: their microphone hears
    silence (Opus DTX: ``sfu.ReplayAudio``)."""
    token, participant = await member_token(world, base, name)
    video, audio = sfu.ReplayVideo(clip), sfu.ReplayAudio(clip, silent=silent)
    little = sfu.ReplayVideo(small) if small is not None else None
    client = Client(ws, token, audio=audio, video=video, small=little, decode=False)
    client.timeout = 30.0
    heard = Heard()
    count_heard(client, heard)
    await client.connect()
    if not listen:
        await client.send({"type": "receive", "video": False})
    assert client.publish_pc is not None
    await sfu.wait_connected(client.publish_pc, 30)
    senders = [t.sender for t in client.publish_pc.getTransceivers() if t.kind == "video"]
    for t in client.publish_pc.getTransceivers():
        if t.kind == "audio":
            sfu.listen_for_loss(t.sender, audio)
    for sender, track in zip(senders, (video, little), strict=False):
        if track is not None:
            sender._send_keyframe = track.request_keyframe  # type: ignore[method-assign]
    return Publisher(name, client, video, audio, heard, id=participant, listen=listen)


async def forwarding(local: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        return dict((await http.get(f"{local}/bench/forwarding", timeout=10)).json())


if __name__ == "__main__":
    serve(int(sys.argv[1]))
