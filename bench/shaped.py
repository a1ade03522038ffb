"""Benchmark (issue 12): a room of 8 where one Chromium receiver sits behind a shaped link.

    .venv/bin/python bench/shaped.py                          # the four conditions, 10 s + 30 s
    .venv/bin/python bench/shaped.py --conditions 1mbit --warmup 5 --window 15 --json out.json
    .venv/bin/python bench/shaped.py --quick                  # 1 Mbit/s only, 5 s + 10 s

Needs root (network namespaces, TUN, tc) and /usr/bin/chromium. Per condition, from scratch:

* the link (bench/netshape.py): a network namespace joined to the root namespace through two
  TUN devices and a user-space relay (delay, loss: this kernel has no netem), tbf for the rate;
* the real app (SQLite in a temporary directory) in a child process listening on every address,
  with one bench-only route, ``/bench/forwarding``, that reads the forwarder's per-subscriber
  counters (packets and bytes sent, NACKed packets retransmitted, keyframe requests) - nothing
  in app/ or rtc/ changes;
* a group, a session begun with the check-in round, eight members through invites, the lobby
  and the facilitator's admission, all through the REST API;
* seven synthetic publishers in this process (``rtc.client.Client``, aiortc), each replaying
  VP8 640x360 at 15 fps (about 600 kbit/s, a keyframe every second, encoded once) and Opus
  20 ms; they also subscribe to everyone and count what they get, so the other receivers'
  delivery is measured too. The first of them is "the speaker" (named in the output);
* one Chromium (Debian's, fake camera and microphone) in the namespace, on the app's real room
  page, as the eighth member: it publishes its camera and microphone through the link too.

After the receiver decodes video (or ``--join-wait`` seconds), ``--warmup`` seconds pass, then
the receiver's getStats are read every ``--every`` seconds over ``--window`` seconds: per
inbound video stream frames decoded, freezes (freezeCount, totalFreezesDuration); per inbound
audio stream concealedSamples / totalSamplesReceived; the transport's bytes; the selected
candidate pair's RTT. Every figure is the difference between the window's first and last
sample; "worst 5 s" is the lowest fps of any stream in any sample interval.

Conditions (rate down/up, added round-trip time, loss each way): ``none``; ``2mbit`` 2 Mbit/s,
60 ms; ``1mbit`` 1 Mbit/s down, 512 kbit/s up, 150 ms, 2 %; ``600k`` 600 kbit/s, 200 ms, 3 %;
``uplink`` (a shaped *publisher*: unshaped down, 512 kbit/s up, 2 % loss, no added delay) where
the figure that matters is how the others hear the Chromium participant.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import av  # noqa: E402
import httpx  # noqa: E402
import sfu  # noqa: E402
from aiortc.rtp import RtpPacket  # noqa: E402
from netshape import Link, Shape  # noqa: E402

from rtc.client import Client  # noqa: E402

FPS = 15
WIDTH, HEIGHT = 640, 360
PUBLISHERS = 7
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@bench.example", "correct horse battery staple"
SECRET = "bench-shaped-" + "s" * 32
TEMPLATE = "default:check-in-round"
CHROMIUM = Path(os.environ.get("ROUNDS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]

CONDITIONS: dict[str, Shape] = {
    "none": Shape(),
    "2mbit": Shape(down_kbit=2000, up_kbit=2000, rtt_ms=60),
    "1mbit": Shape(down_kbit=1000, up_kbit=512, rtt_ms=150, loss=0.02),
    "600k": Shape(down_kbit=600, up_kbit=600, rtt_ms=200, loss=0.03),
    "uplink": Shape(up_kbit=512, loss=0.02),
}


# --- media, encoded once -------------------------------------------------------------------


def encode_clip(seconds: int = 3, noise_share: int = 12) -> sfu.Clip:
    """VP8 640x360 at 15 fps (about 600 kbit/s, keyframe every second) and bench/sfu.py's Opus."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    codec.time_base = fractions.Fraction(1, FPS)
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.bit_rate = 550_000
    codec.gop_size = FPS
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    video: list[tuple[bytes, bool]] = []
    noise = WIDTH * HEIGHT // noise_share  # a part of the picture that keeps changing
    chroma = WIDTH * HEIGHT // 4
    for i in range(FPS * seconds):
        frame = av.VideoFrame(width=WIDTH, height=HEIGHT, format="yuv420p")
        row = bytes(((x + 4 * i) * 3) & 0xFF for x in range(WIDTH))
        frame.planes[0].update((row * HEIGHT)[: WIDTH * HEIGHT - noise] + os.urandom(noise))
        frame.planes[1].update(bytes([(i * 5) & 0xFF]) * chroma)
        frame.planes[2].update(bytes([128]) * chroma)
        frame.pts = i
        video.extend((bytes(p), bool(p.is_keyframe)) for p in codec.encode(frame))
    video.extend((bytes(p), bool(p.is_keyframe)) for p in codec.encode(None))
    return sfu.Clip(video=video, audio=_opus(seconds))


def _opus(seconds: int) -> list[bytes]:
    import math

    opus = av.CodecContext.create("libopus", "w")
    opus.sample_rate, opus.layout, opus.format = 48000, "stereo", "s16"
    opus.bit_rate = 32000
    out: list[bytes] = []
    samples = 960
    for i in range(50 * seconds):
        sound = av.AudioFrame(format="s16", layout="stereo", samples=samples)
        pcm = b"".join(
            int(6000 * math.sin(2 * math.pi * 330 * (i * samples + n) / 48000)).to_bytes(
                2, "little", signed=True
            )
            * 2
            for n in range(samples)
        )
        sound.planes[0].update(pcm)
        sound.sample_rate, sound.pts = 48000, i * samples
        sound.time_base = fractions.Fraction(1, 48000)
        out.extend(bytes(p) for p in opus.encode(sound))
    return out


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
        media = app.state.media
        subscribers: dict[str, dict[str, dict[str, int]]] = {}
        sources: dict[str, dict[str, int]] = {}
        for room in media.hub.rooms.values():
            for member in room.members.values():
                for kind, source in member.sources.items():
                    sources[f"{member.id}/{kind}"] = {
                        "packets": source.packets,
                        "keyframe_requests": source.keyframe_requests,
                    }
                    for sink in source.sinks:
                        row = subscribers.setdefault(sink.subscriber, {}).setdefault(
                            sink.kind,
                            {
                                "packets": 0,
                                "bytes": 0,
                                "rtx_packets": 0,
                                "rtx_bytes": 0,
                                "nacked": 0,
                                "plis": 0,
                            },
                        )
                        rtx_sent = sink.sender.__dict__.get("bench_rtx", [0, 0])
                        row["packets"] += sink.sent
                        row["bytes"] += sink.sender._RTCRtpSender__octet_count
                        row["rtx_packets"] += rtx_sent[0]
                        row["rtx_bytes"] += rtx_sent[1]
                        row["nacked"] += sink.retransmit_requests
                        row["plis"] += sink.keyframe_requests
        return JSONResponse(
            {
                "subscribers": subscribers,
                "sources": sources,
                "rtx": rtx,
                "forwarded": media.hub.forwarder.forwarded,
            }
        )

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
            [sys.executable, __file__, "--serve", str(port)],
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
    return str(grant["token"]), str(grant["participant_id"])


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


async def publish(world: World, base: str, ws: str, name: str, clip: sfu.Clip) -> Publisher:
    token, participant = await member_token(world, base, name)
    video, audio = sfu.ReplayVideo(clip), sfu.ReplayAudio(clip)
    client = Client(ws, token, audio=audio, video=video, decode=False)
    client.timeout = 30.0
    heard = Heard()
    count_heard(client, heard)
    await client.connect()
    assert client.publish_pc is not None
    await sfu.wait_connected(client.publish_pc, 30)
    sender = next(t.sender for t in client.publish_pc.getTransceivers() if t.kind == "video")
    sender._send_keyframe = video.request_keyframe  # type: ignore[method-assign]
    return Publisher(name, client, video, audio, heard, id=participant)


# --- the receiver (Chromium in the namespace) ------------------------------------------------

STATS_JS = """async () => {
  const conn = window.roundsRoom && window.roundsRoom.conn;
  const out = {t: performance.now() / 1000, me: window.roundsRoom && window.roundsRoom.me,
               inbound: [], transport: null, pair: null, publish: null,
               subscribeState: null, publishState: null};
  if (!conn || !conn.subscribePc) return out;
  out.subscribeState = conn.subscribePc.connectionState;
  out.publishState = conn.publishPc ? conn.publishPc.connectionState : null;
  const stats = await conn.subscribePc.getStats();
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp') {
      const info = conn.streamOf(s.mid);
      out.inbound.push({participant: info ? info.participant : null, kind: s.kind, mid: s.mid,
        packetsReceived: s.packetsReceived || 0, packetsLost: s.packetsLost || 0,
        bytesReceived: s.bytesReceived || 0, nackCount: s.nackCount || 0,
        pliCount: s.pliCount || 0, framesDecoded: s.framesDecoded || 0,
        framesReceived: s.framesReceived || 0, keyFramesDecoded: s.keyFramesDecoded || 0,
        freezeCount: s.freezeCount || 0, totalFreezesDuration: s.totalFreezesDuration || 0,
        concealedSamples: s.concealedSamples || 0,
        totalSamplesReceived: s.totalSamplesReceived || 0,
        retransmittedPacketsReceived: s.retransmittedPacketsReceived || 0});
    }
    if (s.type === 'transport') out.transport = {bytesReceived: s.bytesReceived,
                                                 bytesSent: s.bytesSent};
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded')
      out.pair = {rtt: s.currentRoundTripTime, incoming: s.availableIncomingBitrate || null};
  });
  if (conn.publishPc) {
    (await conn.publishPc.getStats()).forEach((s) => {
      if (s.type === 'transport') out.publish = {bytesSent: s.bytesSent};
    });
  }
  return out;
}"""


async def open_receiver(pw: Any, link: Link, world: World, base: str, wrapper: Path) -> Any:
    """Chromium in the namespace, on the room page as the eighth member; returns the page."""
    browser = await pw.chromium.launch(
        executable_path=str(wrapper),
        args=[*CHROMIUM_ARGS, f"--unsafely-treat-insecure-origin-as-secure={base}"],
    )
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}/signin")
    token = await world.invite()
    sid, gid = world.session["id"], world.group["id"]
    version = world.group.get("ground_rules_version", 1)
    member = await page.evaluate(
        """async ([token, sid, version]) => {
          const api = await import('/static/api.js');
          const joined = await api.post('/invites/accept', {token, display_name: 'Dr Receiver'});
          await api.request('POST', `/sessions/${sid}/join`, {ground_rules_version: version})
            .catch(() => null);
          return joined.member_id;
        }""",
        [token, sid, version],
    )
    await world.admit(member)
    await page.evaluate(
        "([gid, v]) => import('/static/store.js').then((s) => s.ack.set(gid, v))", [gid, version]
    )
    await page.goto(f"{base}/room?session={sid}")
    return browser, page


async def receiver_stats(page: Any) -> dict[str, Any]:
    return dict(await page.evaluate(STATS_JS))


# --- one condition ---------------------------------------------------------------------------


@dataclass
class Result:
    condition: str
    shape: str
    speaker: str
    receiver: str
    window_s: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    video: dict[str, dict[str, float]]
    """Per publisher at the receiver: fps, worst 5 s fps, freezes, freeze seconds."""
    audio: dict[str, float]
    """Per publisher at the receiver: concealed share of samples."""
    receiver_in_kbit: float
    receiver_out_kbit: float
    rtt_ms: float | None
    forwarded_kbit: float
    forwarded_video_pps: float
    rtx_kbit: float
    rtx_pps: float
    plis_from_receiver: int
    plis_to_publishers_per_s: float
    link_down: dict[str, int]
    link_up: dict[str, int]
    others_delivery: float
    """Frames the other (synthetic) receivers got from the synthetic publishers / frames sent."""
    others_worst_pair: float
    others_video_kbit: float
    """Mean video kbit/s one synthetic receiver got from one synthetic publisher."""
    published_fps: float
    """Mean video frames per second the synthetic publishers sent in the window."""
    receiver_heard: float | None
    """The receiver's microphone at the others: audio packets received / 50 per second."""
    publish_state: str | None
    subscribe_state: str | None
    notes: list[str] = field(default_factory=list)


def loadavg() -> tuple[float, float, float]:
    a, b, c = os.getloadavg()
    return (round(a, 2), round(b, 2), round(c, 2))


async def run_condition(
    name: str, shape: Shape, clip: sfu.Clip, args: argparse.Namespace
) -> Result:
    """One condition from scratch: link, app, room of eight, measured window; all torn down."""
    notes: list[str] = []
    load_before = loadavg()
    port = sfu.free_port()
    with Link(shape) as link, tempfile.TemporaryDirectory(prefix="rounds-shaped-") as tmp:
        base = f"http://{link.addr_root}:{port}"
        wrapper = Path(tmp) / "chromium"
        wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {link.ns} {CHROMIUM} "$@"\n')
        wrapper.chmod(0o755)
        async with running_server(Path(tmp), base, port):
            local = f"http://127.0.0.1:{port}"
            world = await build_world(local)
            publishers: list[Publisher] = []
            browser = None
            try:
                for i in range(PUBLISHERS):
                    publishers.append(
                        await publish(
                            world,
                            local,
                            f"ws://127.0.0.1:{port}/rtc",
                            f"Dr Publisher {i + 1}",
                            clip,
                        )
                    )
                from playwright.async_api import async_playwright

                async with async_playwright() as pw:
                    browser, page = await open_receiver(pw, link, world, base, wrapper)
                    try:
                        return await measure(
                            name, shape, link, page, publishers, local, args, load_before, notes
                        )
                    finally:
                        await browser.close()
                        log = (Path(tmp) / "server.log").read_text(errors="replace")
                        if "Traceback" in log or "ERROR" in log:
                            notes.append("server log: " + log[-1500:])
            finally:
                for p in publishers:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(p.client.close(), 10)
                await world.close()


async def forwarding(local: str) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        return dict((await http.get(f"{local}/bench/forwarding", timeout=10)).json())


async def measure(
    name: str,
    shape: Shape,
    link: Link,
    page: Any,
    publishers: list[Publisher],
    local: str,
    args: argparse.Namespace,
    load_before: tuple[float, float, float],
    notes: list[str],
) -> Result:
    ids = {p.id for p in publishers}
    deadline = time.monotonic() + args.join_wait
    stats = await receiver_stats(page)
    while time.monotonic() < deadline:
        decoding = {
            s["participant"]
            for s in stats["inbound"]
            if s["kind"] == "video" and s["framesDecoded"] > 0
        }
        if ids <= decoding:
            break
        await asyncio.sleep(1)
        stats = await receiver_stats(page)
    else:
        notes.append(
            f"after {args.join_wait:.0f} s the receiver decoded video from "
            f"{len(ids & decoding)} of {len(ids)} publishers; measuring anyway"
        )
    await asyncio.sleep(args.warmup)
    me = stats.get("me")
    samples = [await receiver_stats(page)]
    server0, link0 = await forwarding(local), link.stats()
    heard0 = {p.id: p.heard.snapshot() for p in publishers}
    sent0 = {p.id: p.video.count for p in publishers}
    t0 = time.monotonic()
    while time.monotonic() - t0 < args.window - 0.01:
        await asyncio.sleep(min(args.every, args.window - (time.monotonic() - t0)))
        samples.append(await receiver_stats(page))
    elapsed = time.monotonic() - t0
    server1, link1 = await forwarding(local), link.stats()
    heard1 = {p.id: p.heard.snapshot() for p in publishers}
    sent = {p.id: p.video.count - sent0[p.id] for p in publishers}
    me = samples[-1].get("me") or me
    return summarise(
        name,
        shape,
        publishers,
        me,
        samples,
        server0,
        server1,
        link0,
        link1,
        heard0,
        heard1,
        sent,
        elapsed,
        load_before,
        notes,
    )


def summarise(
    name: str,
    shape: Shape,
    publishers: list[Publisher],
    me: str | None,
    samples: list[dict[str, Any]],
    server0: dict[str, Any],
    server1: dict[str, Any],
    link0: dict[str, Any],
    link1: dict[str, Any],
    heard0: dict[str, Any],
    heard1: dict[str, Any],
    sent: dict[str, int],
    elapsed: float,
    load_before: tuple[float, float, float],
    notes: list[str],
) -> Result:
    def inbound(sample: dict[str, Any], pid: str, kind: str) -> dict[str, float]:
        rows = [s for s in sample["inbound"] if s["participant"] == pid and s["kind"] == kind]
        total: dict[str, float] = {}
        for row in rows:
            for k, v in row.items():
                if isinstance(v, int | float):
                    total[k] = total.get(k, 0) + v
        return total

    first, last = samples[0], samples[-1]
    dt = max(last["t"] - first["t"], 1e-6)
    video: dict[str, dict[str, float]] = {}
    audio: dict[str, float] = {}
    for p in publishers:
        a, b = inbound(first, p.id, "video"), inbound(last, p.id, "video")
        steps = [
            (
                inbound(y, p.id, "video").get("framesDecoded", 0)
                - inbound(x, p.id, "video").get("framesDecoded", 0)
            )
            / max(y["t"] - x["t"], 1e-6)
            for x, y in zip(samples, samples[1:], strict=False)
        ]
        video[p.name] = {
            "fps": (b.get("framesDecoded", 0) - a.get("framesDecoded", 0)) / dt,
            "worst_5s_fps": min(steps, default=0.0),
            "freezes": b.get("freezeCount", 0) - a.get("freezeCount", 0),
            "freeze_s": b.get("totalFreezesDuration", 0) - a.get("totalFreezesDuration", 0),
            "nacks": b.get("nackCount", 0) - a.get("nackCount", 0),
            "plis": b.get("pliCount", 0) - a.get("pliCount", 0),
        }
        a, b = inbound(first, p.id, "audio"), inbound(last, p.id, "audio")
        samples_in = b.get("totalSamplesReceived", 0) - a.get("totalSamplesReceived", 0)
        concealed = b.get("concealedSamples", 0) - a.get("concealedSamples", 0)
        audio[p.name] = concealed / samples_in if samples_in > 0 else 1.0
    tr0, tr1 = first.get("transport") or {}, last.get("transport") or {}
    pub0, pub1 = first.get("publish") or {}, last.get("publish") or {}
    rx_in = (tr1.get("bytesReceived", 0) - tr0.get("bytesReceived", 0)) * 8 / dt / 1000
    rx_out = (
        (
            (tr1.get("bytesSent", 0) - tr0.get("bytesSent", 0))
            + (pub1.get("bytesSent", 0) - pub0.get("bytesSent", 0))
        )
        * 8
        / dt
        / 1000
    )
    rtts = [s["pair"]["rtt"] for s in samples if s.get("pair") and s["pair"].get("rtt") is not None]

    def fwd(server: dict[str, Any], kind: str | None, key: str) -> int:
        rows = server["subscribers"].get(me or "", {})
        return sum(v[key] for k, v in rows.items() if kind is None or k == kind)

    forwarded = fwd(server1, None, "bytes") - fwd(server0, None, "bytes")
    rtx_bytes = fwd(server1, None, "rtx_bytes") - fwd(server0, None, "rtx_bytes")
    rtx_packets = fwd(server1, None, "rtx_packets") - fwd(server0, None, "rtx_packets")
    video_packets = fwd(server1, "video", "packets") - fwd(server0, "video", "packets")
    plis = fwd(server1, None, "plis") - fwd(server0, None, "plis")
    to_publishers = sum(
        server1["sources"].get(f"{p.id}/video", {}).get("keyframe_requests", 0)
        - server0["sources"].get(f"{p.id}/video", {}).get("keyframe_requests", 0)
        for p in publishers
    )

    def link_delta(direction: str) -> dict[str, int]:
        tbf = f"tbf_{direction}"
        r0 = link0["relay"].get(direction, {})
        r1 = link1["relay"].get(direction, {})
        out = {f"relay_{k}": r1.get(k, 0) - r0.get(k, 0) for k in r1}
        out.update({f"tbf_{k}": link1[tbf][k] - link0[tbf][k] for k in link1[tbf]})
        return out

    delivered, pairs, kbit = 0, [], []
    for receiver in publishers:
        for p in publishers:
            if p is receiver:
                continue
            got = heard1[receiver.id]["frames"].get(p.id, 0) - heard0[receiver.id]["frames"].get(
                p.id, 0
            )
            delivered += got
            pairs.append(got / max(sent[p.id], 1))
            kbit.append(
                (
                    heard1[receiver.id]["bytes"].get((p.id, "video"), 0)
                    - heard0[receiver.id]["bytes"].get((p.id, "video"), 0)
                )
                * 8
                / elapsed
                / 1000
            )
    produced = sum(sent[p.id] * (len(publishers) - 1) for p in publishers)
    heard_rx = None
    if me:
        got = [
            heard1[r.id]["packets"].get((me, "audio"), 0)
            - heard0[r.id]["packets"].get((me, "audio"), 0)
            for r in publishers
        ]
        heard_rx = min(got) / (50 * elapsed) if got else None
    speaker = publishers[0]
    return Result(
        condition=name,
        shape=shape.describe(),
        speaker=f"{speaker.name} ({speaker.id})",
        receiver=me or "?",
        window_s=round(elapsed, 1),
        load_before=load_before,
        load_after=loadavg(),
        video=video,
        audio=audio,
        receiver_in_kbit=rx_in,
        receiver_out_kbit=rx_out,
        rtt_ms=statistics.median(rtts) * 1000 if rtts else None,
        forwarded_kbit=forwarded * 8 / elapsed / 1000,
        forwarded_video_pps=video_packets / elapsed,
        rtx_kbit=rtx_bytes * 8 / elapsed / 1000,
        rtx_pps=rtx_packets / elapsed,
        plis_from_receiver=plis,
        plis_to_publishers_per_s=to_publishers / elapsed,
        link_down=link_delta("down"),
        link_up=link_delta("up"),
        others_delivery=delivered / max(produced, 1),
        others_worst_pair=min(pairs, default=0.0),
        others_video_kbit=statistics.fmean(kbit) if kbit else 0.0,
        receiver_heard=heard_rx,
        published_fps=sum(sent.values()) / len(sent) / elapsed,
        publish_state=last.get("publishState"),
        subscribe_state=last.get("subscribeState"),
        notes=notes,
    )


# --- output ----------------------------------------------------------------------------------


def dropped_share(d: dict[str, int]) -> float:
    offered = d.get("tbf_packets", 0) + d.get("tbf_dropped", 0)
    dropped = d.get("tbf_dropped", 0) + d.get("relay_lost", 0) + d.get("relay_overflow", 0)
    return dropped / offered if offered else 0.0


def table(results: list[Result]) -> str:
    head = (
        "| link to the receiver | load avg (before→after) | speaker video fps (worst 5 s) "
        "| other videos fps: median [min] | freezes (s) | audio concealed: mean (worst) "
        "| receiver in / out | forwarded to it | retransmissions to it | PLIs up, per s "
        "| dropped at the link down / up | RTT | other receivers' delivery (worst pair) "
        "| receiver heard by others | its publish pc |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        speaker = next(iter(r.video))
        others = [v["fps"] for k, v in r.video.items() if k != speaker]
        freezes = sum(v["freezes"] for v in r.video.values())
        freeze_s = sum(v["freeze_s"] for v in r.video.values())
        conceal = list(r.audio.values())
        lines.append(
            f"| {r.shape} | {r.load_before[0]:.1f}→{r.load_after[0]:.1f} "
            f"| {r.video[speaker]['fps']:.1f} ({r.video[speaker]['worst_5s_fps']:.1f}) "
            f"| {statistics.median(others):.1f} [{min(others):.1f}] "
            f"| {freezes:.0f} ({freeze_s:.1f} s) "
            f"| {statistics.fmean(conceal):.1%} ({max(conceal):.1%}) "
            f"| {r.receiver_in_kbit:.0f} / {r.receiver_out_kbit:.0f} kbit/s "
            f"| {r.forwarded_kbit:.0f} kbit/s "
            f"| {r.rtx_kbit:.0f} kbit/s ({r.rtx_pps:.0f} pkt/s) "
            f"| {r.plis_to_publishers_per_s:.1f} "
            f"| {dropped_share(r.link_down):.0%} / {dropped_share(r.link_up):.0%} "
            f"| {'-' if r.rtt_ms is None else f'{r.rtt_ms:.0f} ms'} "
            f"| {r.others_delivery:.1%} ({r.others_worst_pair:.1%}) "
            f"| {'-' if r.receiver_heard is None else f'{r.receiver_heard:.0%}'} "
            f"| {r.publish_state} |"
        )
    return "\n".join(lines)


def describe(r: Result) -> str:
    per = ", ".join(f"{k.split()[-1]} {v['fps']:.1f}" for k, v in r.video.items())
    conceal = ", ".join(f"{k.split()[-1]} {v:.1%}" for k, v in r.audio.items())
    return (
        f"{r.condition}: window {r.window_s:.0f} s, speaker {r.speaker}, receiver {r.receiver}; "
        f"fps by publisher: {per}; concealed: {conceal}; link down {r.link_down}; "
        f"up {r.link_up}; others' video {r.others_video_kbit:.0f} kbit/s per stream; "
        f"PLIs from the receiver {r.plis_from_receiver}; publishers sent {r.published_fps:.1f} fps"
        + ("; " + "; ".join(r.notes) if r.notes else "")
    )


async def main(args: argparse.Namespace) -> list[Result]:
    started = time.monotonic()
    clip = encode_clip()
    kbps = sum(len(d) for d, _ in clip.video) * 8 / 3 / 1000
    print(
        f"clip: {len(clip.video)} VP8 frames {WIDTH}x{HEIGHT} ({kbps:.0f} kbit/s), "
        f"{len(clip.audio)} Opus packets; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    results = []
    for rep in range(args.repeat):
        for name in args.conditions.split(","):
            try:
                result = await run_condition(name, CONDITIONS[name], clip, args)
            except Exception as exc:  # noqa: BLE001 (reported; the next condition still runs)
                print(f"{name} #{rep + 1}: FAILED ({type(exc).__name__}: {exc})", flush=True)
                continue
            results.append(result)
            print(describe(result), flush=True)
    print()
    print(table(results))
    print(
        f"\ntotal {time.monotonic() - started:.0f} s, load average now "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if args.json:
        write_json(args.json, results)
    return results


def write_json(path: str, results: list[Result]) -> None:
    Path(path).write_text(json.dumps([asdict(r) for r in results], indent=1))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--conditions",
        default="none,2mbit,1mbit,600k",
        help=f"comma separated, of {', '.join(CONDITIONS)}",
    )
    p.add_argument("--warmup", type=float, default=10.0, help="seconds after the receiver decodes")
    p.add_argument("--window", type=float, default=30.0, help="measured seconds")
    p.add_argument("--every", type=float, default=5.0, help="seconds between getStats reads")
    p.add_argument(
        "--join-wait",
        type=float,
        default=30.0,
        help="longest wait for the receiver to decode every publisher's video",
    )
    p.add_argument("--repeat", type=int, default=1, help="runs of each condition")
    p.add_argument(
        "--quick", action="store_true", help="1mbit only, 5 s warm-up, 10 s window, 20 s join wait"
    )
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    return p


if __name__ == "__main__":
    ns = parser().parse_args()
    if ns.serve:
        serve(ns.serve)
    else:
        if ns.quick:
            ns.conditions, ns.warmup, ns.window, ns.join_wait = "1mbit", 5.0, 10.0, 20.0
        asyncio.run(main(ns))
