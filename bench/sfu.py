"""Benchmark: rtc/'s RTP forwarder against aiortc's MediaRelay on the same synthetic load.

    .venv/bin/python bench/sfu.py                       # 1x12 and 2x8, 10 s each, both modes
    .venv/bin/python bench/sfu.py --layouts 1x4 --duration 5

Synthetic participants (in this process) publish pre-encoded VP8 (320x240, 15 fps, keyframe
every second; a keyframe request makes the replay jump to the next keyframe) and Opus (20 ms),
encoded once up front and replayed as packets. Subscribers count RTP packets and frames
(marker bits) without decoding. The server runs in a subprocess so its CPU time (all threads,
from /proc) is measured alone. For each layout the same load runs against:

* ``sfu``: rtc/ as shipped (RTP-level forwarding, rtc/forwarder.py);
* ``relay``: the same signalling, but media goes through aiortc's MediaRelay: the server
  decodes each published stream once and re-encodes it for every subscriber.

Printed per run: server CPU ms per forwarded stream-second, server CPU µs per forwarded packet,
forwarded packets/s (as received by subscribers), video frame delivery ratio (frames received /
frames published x subscribers, during the measured window) and join-to-first-frame times
(from the later of the two participants' joins to the subscriber's first video keyframe packet).

For the load figure (docs/reliability.md, "Load"), every run also reports:

* joins: attempts and successes. A join succeeds when hello, join and the publish answer came
  back (each within 30 s) and the publish connection reached ``connected`` (ICE + DTLS) within
  30 s more. A failed attempt is closed and tried again after JOIN_RETRY_DELAY seconds, at most
  ``--join-retries`` more times (default 2); a participant that fails every attempt is left out
  of the run (delivery then counts only the pairs that are there);
* the server process's resident memory (VmRSS from /proc), sampled every RSS_EVERY seconds from
  the moment it listens to the end of the measured window: once listening, after the joins, at
  1 min into the window, at the end, and the least-squares slope after that first minute;
* delivery against the schedule (frames received / FPS x seconds x pairs; the ``delivery``
  column divides by the frames the publishers produced, and a publisher whose connection died
  produces none), over the window and in each whole minute of it;
* connections aioice closed during the window because consent expired (RFC 7675: no answer to
  6 consent checks in a row), on the server and in the bench process;
* when any of the participants' peer connections (publish or subscribe) was not ``connected``
  at a sample during the measured window: when first seen, the most, and at the end.

    .venv/bin/python bench/sfu.py --modes sfu --layouts 10x8 --duration 600
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import logging
import math
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import av  # noqa: E402
from aiortc.mediastreams import MediaStreamTrack  # noqa: E402
from aiortc.rtp import RtpPacket  # noqa: E402

from rtc import jointoken  # noqa: E402
from rtc.client import Client  # noqa: E402
from rtc.forwarder import is_vp8_keyframe_start  # noqa: E402

SECRET = b"bench-secret"
FPS = 15
WIDTH, HEIGHT = 320, 240
CLIP_SECONDS = 3
PROFILE: str | None = None
JOIN_TIMEOUT = 30.0
JOIN_RETRY_DELAY = 2.0
RSS_EVERY = 5.0


# --- media, encoded once -------------------------------------------------------------------


@dataclass
class Clip:
    video: list[tuple[bytes, bool]]
    """VP8 frames (data, is keyframe)."""
    audio: list[bytes]
    """Opus packets of 20 ms."""
    temporal: list[tuple[int, bool]] = field(default_factory=list)
    """Each video frame's temporal layer and layer sync (empty: no layers)."""


def encode_clip() -> Clip:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    codec.time_base = fractions.Fraction(1, FPS)
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.bit_rate = 300_000
    codec.gop_size = FPS
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    video: list[tuple[bytes, bool]] = []
    for i in range(FPS * CLIP_SECONDS):
        frame = av.VideoFrame(width=WIDTH, height=HEIGHT, format="yuv420p")
        row = bytes(((x + 4 * i) * 3) & 0xFF for x in range(WIDTH))
        noise = os.urandom(WIDTH * HEIGHT // 4)  # a "face" that keeps changing: real bitrate
        frame.planes[0].update(row * (HEIGHT * 3 // 4) + noise)
        frame.planes[1].update(bytes([(i * 5) & 0xFF]) * (WIDTH * HEIGHT // 4))
        frame.planes[2].update(bytes([128]) * (WIDTH * HEIGHT // 4))
        frame.pts = i
        for packet in codec.encode(frame):
            video.append((bytes(packet), bool(packet.is_keyframe)))
    for packet in codec.encode(None):
        video.append((bytes(packet), bool(packet.is_keyframe)))
    return Clip(video=video, audio=encode_opus(CLIP_SECONDS))


def encode_opus(seconds: int) -> list[bytes]:
    """A 330 Hz tone as Opus packets of 20 ms (32 kbit/s, stereo)."""
    opus = av.CodecContext.create("libopus", "w")
    opus.sample_rate, opus.layout, opus.format = 48000, "stereo", "s16"
    opus.bit_rate = 32000
    audio: list[bytes] = []
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
        audio.extend(bytes(p) for p in opus.encode(sound))
    return audio


class ReplayVideo(MediaStreamTrack):
    """Replays pre-encoded VP8 frames at FPS; a keyframe request jumps to the next keyframe."""

    kind = "video"

    def __init__(self, clip: Clip) -> None:
        super().__init__()
        self.frames = clip.video
        self.temporal = clip.temporal
        self.index = 0
        self.count = 0
        self.want_keyframe = False
        self.start: float | None = None

    def request_keyframe(self) -> None:
        self.want_keyframe = True

    async def recv(self) -> av.Packet:
        if self.start is None:
            self.start = time.monotonic()
        await asyncio.sleep(max(0.0, self.start + self.count / FPS - time.monotonic()))
        if self.want_keyframe:
            self.want_keyframe = False
            while not self.frames[self.index % len(self.frames)][1]:
                self.index += 1
        data, _ = self.frames[self.index % len(self.frames)]
        packet = av.Packet(data)
        if self.temporal:  # read by bench/shaped_room.py's packetizer
            packet.opaque = self.temporal[self.index % len(self.temporal)]
        packet.pts, packet.time_base = self.count, fractions.Fraction(1, FPS)
        self.index += 1
        self.count += 1
        return packet


class ReplayAudio(MediaStreamTrack):
    kind = "audio"

    def __init__(self, clip: Clip) -> None:
        super().__init__()
        self.packets = clip.audio
        self.count = 0
        self.start: float | None = None

    async def recv(self) -> av.Packet:
        if self.start is None:
            self.start = time.monotonic()
        await asyncio.sleep(max(0.0, self.start + self.count * 0.02 - time.monotonic()))
        packet = av.Packet(self.packets[self.count % len(self.packets)])
        packet.pts, packet.time_base = self.count * 960, fractions.Fraction(1, 48000)
        self.count += 1
        return packet


# --- counting subscribers --------------------------------------------------------------------


@dataclass
class Counts:
    packets: int = 0
    video_frames: int = 0
    first_frame: dict[str, float] = field(default_factory=dict)
    frames_from: dict[str, int] = field(default_factory=dict)


def install_counter(client: Client, counts: Counts) -> None:
    """Count what the subscribe connection receives, instead of decoding it."""
    done: set[int] = set()

    def instrument(transceiver: Any) -> None:
        receiver = transceiver.receiver
        if id(receiver) in done:
            return
        done.add(id(receiver))
        kind, mid_holder = transceiver.kind, transceiver

        async def count(packet: RtpPacket, arrival_time_ms: int) -> None:
            counts.packets += 1
            if kind != "video" or len(packet.payload) < 3:
                return
            mid = getattr(client, "ssrc_mid", {}).get(packet.ssrc, mid_holder.mid or "")
            info = client.streams.get(mid)
            if info is not None and info.participant not in counts.first_frame:
                if is_vp8_keyframe_start(packet.payload):
                    counts.first_frame[info.participant] = time.monotonic()
            if packet.marker:
                counts.video_frames += 1
                if info is not None:
                    counts.frames_from[info.participant] = (
                        counts.frames_from.get(info.participant, 0) + 1
                    )

        receiver._handle_rtp_packet = count

    client.on_subscribe_transceiver = instrument


class ConsentExpiries(logging.Handler):
    """Counts aioice's "Consent to send expired": RFC 7675 consent checks (every 4-6 s, each
    given 0.5 s and no retransmission) failed 6 times in a row, so aioice closed the connection."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "Consent to send expired" in record.getMessage():
            self.count += 1


CONSENT = ConsentExpiries()


def count_consent_expiries() -> None:
    """In this process (records still reach no other handler below WARNING)."""
    log = logging.getLogger("aioice.ice")
    log.setLevel(logging.INFO)
    log.addHandler(CONSENT)


# --- server subprocess -------------------------------------------------------------------------


def serve(mode: str, port: int, profile: str | None = None) -> None:
    """Run the server (child process), optionally under cProfile."""
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    from rtc.config import RTCConfig
    from rtc.server import create_asgi

    config = RTCConfig(join_secret=SECRET, max_participants=16, rate_per_second=500)
    count_consent_expiries()
    app = create_asgi(config, serve_testpage=False)
    if mode == "relay":
        use_media_relay(app.state.rtc)

    async def stats(request: Request) -> JSONResponse:
        forwarder = app.state.rtc.hub.forwarder
        return JSONResponse(
            {
                "received": sum(forwarder.received.values()),
                "forwarded": sum(forwarder.forwarded.values()),
                "consent_expired": CONSENT.count,
            }
        )

    app.add_route("/stats", stats)
    if profile is None:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
        return
    import cProfile

    with cProfile.Profile() as profiler:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    profiler.dump_stats(profile)


def use_media_relay(server: Any) -> None:
    """Swap the RTP forwarder for aiortc's MediaRelay (decode once, encode per subscriber)."""
    from aiortc import RTCPeerConnection
    from aiortc.contrib.media import MediaRelay

    import rtc.subscriptions
    from rtc.forwarder import Forwarder, Kind, Sink, Source
    from rtc.peers import codec_preferences

    class RelayForwarder(Forwarder):
        def __init__(self) -> None:
            super().__init__()
            self.relay = MediaRelay()

        def add_source(self, receiver: Any, participant: str, kind: Kind) -> Source:
            return Source(participant=participant, kind=kind, receiver=receiver)

        def add_sink(self, sender: Any, kind: Kind, subscriber: str) -> Sink:
            return Sink(sender=sender, kind=kind, subscriber=subscriber)

        def configure_sink(self, sink: Sink, transceiver: Any) -> None:
            pass

        def connect(self, sink: Sink, source: Source | None) -> None:
            if sink.source is source:
                return
            sink.source = source
            track = source.receiver.track if source is not None else None
            sink.sender.replaceTrack(
                self.relay.subscribe(track, buffered=False) if track is not None else None
            )

        def remove_source(self, source: Source) -> None:
            pass

    def add_send_transceiver(pc: RTCPeerConnection, kind: Kind) -> Any:
        t = pc.addTransceiver(kind, direction="sendonly")
        t.setCodecPreferences(codec_preferences(kind))
        return t

    rtc.subscriptions.add_send_transceiver = add_send_transceiver  # type: ignore[assignment]
    server.hub.forwarder = RelayForwarder()


async def server_stats(port: int) -> dict[str, int]:
    """The server's packet counters (the relay mode counts nothing: zeros)."""
    import httpx

    async with httpx.AsyncClient() as http:
        return dict((await http.get(f"http://127.0.0.1:{port}/stats", timeout=10)).json())


async def published_packets(clients: list[Any]) -> int:
    """RTP packets the publishers' aiortc senders have sent (outbound-rtp packetsSent)."""
    total = 0
    for _, client, _, _, _ in clients:
        for sender in client.publish_pc.getSenders():
            for stat in (await sender.getStats()).values():
                if stat.type == "outbound-rtp":
                    total += stat.packetsSent
    return total


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float | None:
    """The process's resident set size (VmRSS) in MiB, or None once it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


async def wait_connected(pc: Any, timeout: float) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while pc.connectionState != "connected":
        if pc.connectionState in ("failed", "closed") or time.monotonic() > deadline:
            raise TimeoutError(f"publish connection {pc.connectionState} after {timeout:.0f} s")
        await asyncio.sleep(0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- one run ------------------------------------------------------------------------------------


@dataclass
class Result:
    mode: str
    layout: str
    streams: int
    cpu_ms_per_stream_second: float
    cpu_us_per_packet: float
    packets_per_second: float
    delivery: float
    first_frame: list[float]
    missing_first_frames: int
    client_cpu_share: float
    cpu_ms_per_frame: float
    worst_pairs: list[tuple[float, str, str]]
    published: int
    server_received: int
    server_forwarded: int
    subscribers_received: int
    wanted: int
    """Participants the layout asks for."""
    joined: int
    """Participants that joined (at some attempt)."""
    join_attempts: int
    join_errors: list[str]
    join_seconds: float
    """From the first join attempt until the last participant joined (or gave up)."""
    rss: list[tuple[float, float]]
    """(seconds from the start of the measured window, server RSS MiB)."""
    scheduled_delivery: float
    """Video frames received / frames the pairs present should have carried at FPS over the
    window. ``delivery`` divides by the frames the publishers' tracks produced instead, and a
    publisher whose connection died produces none."""
    per_minute: list[float]
    """Scheduled delivery in each whole minute of the measured window."""
    down: list[tuple[float, int]]
    """(seconds from the start of the window, peer connections of the participants that were not
    connected) at each sample where there were any."""
    consent_expired: tuple[int, int]
    """Connections aioice closed for expired consent during the window: (server, bench)."""


async def run(
    mode: str,
    rooms: int,
    people: int,
    duration: float,
    warmup: float,
    clip: Clip,
    retries: int = 2,
) -> Result:
    port = free_port()
    if mode == "janus":
        import janus_client

        child, url = janus_client.start(port)
    else:
        command = [sys.executable, __file__, "--serve", mode, "--port", str(port)]
        if PROFILE:
            command += ["--profile", f"{PROFILE}.{mode}.{rooms}x{people}"]
        child = subprocess.Popen(command)  # noqa: ASYNC220 (started once, before any load)
        url = f"ws://127.0.0.1:{port}/rtc"
    clients: list[tuple[str, Any, Counts, ReplayVideo, float]] = []
    rss: list[tuple[float, float]] = []
    timeline: list[tuple[float, int, int]] = []  # (time, frames received, pcs not connected)
    sampler: asyncio.Future[None] | None = None
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            await asyncio.sleep(0.05)
        sampler = asyncio.ensure_future(sample(child.pid, clients, rss, timeline))
        if mode == "janus":
            for room_no in range(rooms):
                await janus_client.create_room(url, room_no + 1, people)

        async def join(room_no: int, person: int) -> None:
            """One attempt to bring participant r<room>p<person> in (the caller retries)."""
            pid = f"r{room_no}p{person}"
            video = ReplayVideo(clip)
            client: Any
            if mode == "janus":
                client = janus_client.JanusParticipant(
                    url, room_no + 1, pid, audio=ReplayAudio(clip), video=video
                )
            else:
                claims = jointoken.JoinClaims(
                    room=f"room{room_no}",
                    participant=pid,
                    role="member",
                    name=pid,
                    expires_at=int(time.time()) + 3600,
                )
                client = Client(
                    url,
                    jointoken.issue(SECRET, claims),
                    audio=ReplayAudio(clip),
                    video=video,
                    decode=False,
                )
                client.timeout = JOIN_TIMEOUT  # an overloaded server answers slowly
            counts = Counts()
            install_counter(client, counts)
            try:
                await client.connect()
                joined_at = time.monotonic()
                assert client.publish_pc is not None
                await wait_connected(client.publish_pc, JOIN_TIMEOUT)
            except BaseException:
                await client.close()
                raise
            sender = next(
                t.sender for t in client.publish_pc.getTransceivers() if t.kind == "video"
            )
            sender._send_keyframe = video.request_keyframe  # type: ignore[method-assign]
            clients.append((pid, client, counts, video, joined_at))

        attempts, errors, join_start = 0, [], time.monotonic()
        for room_no in range(rooms):
            for person in range(people):
                for attempt in range(1 + retries):
                    attempts += 1
                    try:
                        await join(room_no, person)
                        break
                    except Exception as exc:  # noqa: BLE001 (counted and reported)
                        errors.append(f"r{room_no}p{person}#{attempt + 1} {type(exc).__name__}")
                        await asyncio.sleep(JOIN_RETRY_DELAY)
        join_seconds = time.monotonic() - join_start
        if not clients:
            raise RuntimeError(f"nobody joined ({', '.join(errors[:5])})")
        joined = {pid: at for pid, _, _, _, at in clients}
        room_of = {pid: pid.split("p")[0] for pid in joined}
        others = {pid: sum(room_of[o] == room_of[pid] for o in joined) - 1 for pid in joined}
        if mode == "janus":  # everyone published: now each subscribes to the rest of its room
            feeds = {pid: c.feed for pid, c, _, _, _ in clients}
            for pid, client, _, _, _ in clients:
                joined[pid] = time.monotonic()
                await client.subscribe(
                    {feeds[o]: o for o in feeds if o != pid and room_of[o] == room_of[pid]}
                )

        def pairs() -> list[tuple[str, str]]:
            return [(s, p) for s in joined for p in joined if s != p and room_of[s] == room_of[p]]

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            got = {pid: counts.first_frame for pid, _, counts, _, _ in clients}
            if all(p in got[s] for s, p in pairs()):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(warmup)
        t0, cpu0, own0 = time.monotonic(), cpu_seconds(child.pid), time.process_time()
        server0 = await server_stats(port) if mode != "janus" else {}
        published0 = await published_packets(clients)
        sent0 = {pid: v.count for pid, _, _, v, _ in clients}
        rx0 = {pid: (c.packets, c.video_frames) for pid, _, c, _, _ in clients}
        pair0 = {pid: dict(c.frames_from) for pid, _, c, _, _ in clients}
        consent0 = CONSENT.count
        await asyncio.sleep(duration)
        sampler.cancel()
        take_sample(child.pid, clients, rss, timeline)
        elapsed = time.monotonic() - t0
        cpu = cpu_seconds(child.pid) - cpu0
        own = time.process_time() - own0
        server1 = await server_stats(port) if mode != "janus" else {}
        published = await published_packets(clients) - published0
        sent = sum((v.count - sent0[pid]) * others[pid] for pid, _, _, v, _ in clients)
        packets = sum(c.packets - rx0[pid][0] for pid, _, c, _, _ in clients)
        frames = sum(c.video_frames - rx0[pid][1] for pid, _, c, _, _ in clients)
        per_pair = sorted(
            (c.frames_from.get(p, 0) - pair0[s].get(p, 0), s, p)
            for s, _, c, _, _ in clients
            for p in joined
            if p != s and room_of[p] == room_of[s]
        )
        firsts = []
        missing = 0
        for s, p in pairs():
            counts = next(c for pid, _, c, _, _ in clients if pid == s)
            if p in counts.first_frame:
                firsts.append(counts.first_frame[p] - max(joined[s], joined[p]))
            else:
                missing += 1
        for _, client, _, _, _ in clients:
            await client.close()
        streams = len(pairs()) * 2
        minutes = [  # the first sample at or after each whole minute of the window
            next(x for x in timeline if x[0] >= t0 + 60 * k)
            for k in range(int((timeline[-1][0] - t0) // 60) + 1)
        ]
        return Result(
            mode=mode,
            layout=f"{rooms}x{people}",
            streams=streams,
            cpu_ms_per_stream_second=cpu * 1000 / (streams * elapsed),
            cpu_us_per_packet=cpu * 1e6 / max(packets, 1),
            packets_per_second=packets / elapsed,
            delivery=frames / max(sent, 1),
            first_frame=firsts,
            missing_first_frames=missing,
            client_cpu_share=own / elapsed,
            cpu_ms_per_frame=cpu * 1000 / max(frames, 1),
            worst_pairs=[(n / (elapsed * FPS), s, p) for n, s, p in per_pair[:3]],
            published=published,
            server_received=server1.get("received", 0) - server0.get("received", 0),
            server_forwarded=server1.get("forwarded", 0) - server0.get("forwarded", 0),
            subscribers_received=packets,
            wanted=rooms * people,
            joined=len(clients),
            join_attempts=attempts,
            join_errors=errors,
            join_seconds=join_seconds,
            rss=[(t - t0, mib) for t, mib in rss],
            scheduled_delivery=frames / max(FPS * elapsed * len(pairs()), 1),
            per_minute=[
                (rx1 - rx0) / max(FPS * (t1 - t0_) * len(pairs()), 1)
                for (t0_, rx0, _), (t1, rx1, _) in zip(minutes, minutes[1:], strict=False)
            ],
            down=[(t - t0, n) for t, _, n in timeline if n],
            consent_expired=(
                server1.get("consent_expired", 0) - server0.get("consent_expired", 0),
                CONSENT.count - consent0,
            ),
        )
    finally:
        if sampler is not None:
            sampler.cancel()
        child.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(10)
        if child.poll() is None:
            child.kill()


def take_sample(
    pid: int,
    clients: list[tuple[str, Any, Counts, ReplayVideo, float]],
    rss: list[tuple[float, float]],
    timeline: list[tuple[float, int, int]],
) -> None:
    """The server's RSS now; video frames received by all subscribers so far, and how many of
    the participants' peer connections (publish and subscribe) are not connected."""
    now, mib = time.monotonic(), rss_mib(pid)
    if mib is not None:
        rss.append((now, mib))
    down = sum(
        pc is None or pc.connectionState != "connected"
        for _, client, _, _, _ in clients
        for pc in (client.publish_pc, client.subscribe_pc)
    )
    timeline.append((now, sum(c.video_frames for _, _, c, _, _ in clients), down))


async def sample(*args: Any) -> None:
    """``take_sample`` every RSS_EVERY seconds until cancelled."""
    while True:
        take_sample(*args)
        await asyncio.sleep(RSS_EVERY)


def describe_load(r: Result) -> str:
    """Joins, server memory and delivery over time (the load figure)."""
    ok = r.join_attempts - len(r.join_errors)
    text = (
        f"{r.layout:>5} {r.mode:>6}: joins {r.joined}/{r.wanted} participants in "
        f"{r.join_seconds:.0f} s, {ok}/{r.join_attempts} attempts succeeded "
        f"({ok / max(r.join_attempts, 1):.1%})"
        + (f", failed: {', '.join(r.join_errors[:10])}" if r.join_errors else "")
    )
    window = [(t, mib) for t, mib in r.rss if t >= 0]
    if window:
        start = window[0][1]
        one = next((mib for t, mib in window if t >= 60), None)
        text += (
            f"; server RSS {r.rss[0][1]:.0f} MiB once listening, {start:.0f} MiB after the joins"
            + (f", {one:.0f} MiB at 1 min" if one is not None else "")
            + f", {window[-1][1]:.0f} MiB at the end ({window[-1][0]:.0f} s), "
            f"max {max(mib for _, mib in r.rss):.0f} MiB"
        )
        late = [(t, mib) for t, mib in window if t >= 60]
        if len(late) >= 3:
            mt = statistics.fmean(t for t, _ in late)
            mm = statistics.fmean(mib for _, mib in late)
            slope = sum((t - mt) * (mib - mm) for t, mib in late) / sum(
                (t - mt) ** 2 for t, _ in late
            )
            text += f"; slope after 1 min {slope * 60:+.2f} MiB/min ({len(late)} samples)"
    late_down = [(t, n) for t, n in r.down if t >= 0]
    if late_down:
        text += (
            f"; participants' peer connections not connected: {late_down[0][1]} at "
            f"{late_down[0][0]:.0f} s (first seen), {max(n for _, n in late_down)} at most, "
            f"{late_down[-1][1]} at {late_down[-1][0]:.0f} s, of {2 * r.joined}"
        )
    text += (
        f"; delivery against the {FPS} fps schedule {r.scheduled_delivery:.1%}; consent expired "
        f"on {r.consent_expired[0]} server and {r.consent_expired[1]} bench connections"
    )
    if r.per_minute:
        text += "; per minute " + " ".join(f"{d:.1%}" for d in r.per_minute)
    return text


def describe(r: Result) -> str:
    ff = sorted(r.first_frame)
    ff_text = (
        f"median {statistics.median(ff) * 1000:.0f} ms, "
        f"p95 {ff[min(len(ff) - 1, round(0.95 * (len(ff) - 1)))] * 1000:.0f} ms, "
        f"max {ff[-1] * 1000:.0f} ms"
        if ff
        else "none"
    )
    return (
        f"{r.layout:>5} {r.mode:>6}: {r.cpu_ms_per_stream_second:7.2f} ms CPU/stream-s, "
        f"{r.cpu_us_per_packet:7.1f} µs CPU/packet, {r.packets_per_second:7.0f} pkt/s, "
        f"delivery {r.delivery:6.1%}, first frame {ff_text}"
        + (f" ({r.missing_first_frames} pairs never got one)" if r.missing_first_frames else "")
        + f"; {r.cpu_ms_per_frame:.2f} ms CPU per delivered video frame"
        + f"; RTP packets: published {r.published}"
        + (f", server got {r.server_received}" if r.mode != "janus" else "")
        + (f", forwarded {r.server_forwarded}" if r.mode == "sfu" else "")
        + f", subscribers got {r.subscribers_received}"
        + f"; worst pairs {', '.join(f'{s}<-{p} {x:.0%}' for x, s, p in r.worst_pairs)}"
        f"; bench clients used {r.client_cpu_share:.0%} of a core"
    )


async def main(args: argparse.Namespace) -> None:
    started = time.monotonic()
    count_consent_expiries()
    clip = encode_clip()
    kbps = sum(len(d) for d, _ in clip.video) * 8 / CLIP_SECONDS / 1000
    print(
        f"encoded {len(clip.video)} VP8 frames ({kbps:.0f} kbit/s) and {len(clip.audio)} Opus "
        f"packets once, in {time.monotonic() - started:.1f} s"
    )
    for layout in args.layouts.split(","):
        rooms, people = (int(x) for x in layout.lower().split("x"))
        results = {}
        for mode in args.modes.split(","):
            try:
                result = await run(
                    mode, rooms, people, args.duration, args.warmup, clip, args.join_retries
                )
            except Exception as exc:  # an overloaded server may not even let everyone join
                print(f"{layout:>5} {mode:>6}: FAILED ({type(exc).__name__}: {exc})", flush=True)
                continue
            finally:
                await asyncio.sleep(2)  # let closing connections settle before the next run
            results[mode] = result
            print(describe(result), flush=True)
            print(describe_load(result), flush=True)
        if "sfu" in results and "relay" in results:
            ratio = results["relay"].cpu_ms_per_stream_second / max(
                results["sfu"].cpu_ms_per_stream_second, 1e-9
            )
            per_frame = results["relay"].cpu_ms_per_frame / max(
                results["sfu"].cpu_ms_per_frame, 1e-9
            )
            print(
                f"{layout:>5}  MediaRelay / RTP forwarder: {ratio:.1f}x CPU per stream-second, "
                f"{per_frame:.1f}x CPU per delivered video frame (delivery "
                f"{results['relay'].delivery:.1%} vs {results['sfu'].delivery:.1%})"
            )
    print(f"total {time.monotonic() - started:.0f} s on {os.cpu_count()} cores")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layouts", default="1x12,2x8", help="rooms x people, comma separated")
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument(
        "--modes",
        default="sfu,relay",
        help="sfu (rtc/), relay (aiortc MediaRelay), janus (needs /usr/bin/janus)",
    )
    parser.add_argument(
        "--join-retries",
        type=int,
        default=2,
        help=f"attempts after a failed join, {JOIN_RETRY_DELAY:.0f} s apart (default 2)",
    )
    parser.add_argument("--serve", choices=["sfu", "relay"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile", help="write the server's cProfile stats to PATH.<mode>.<RxN>")
    ns = parser.parse_args()
    if ns.serve:
        serve(ns.serve, ns.port, ns.profile)
    else:
        PROFILE = ns.profile
        asyncio.run(main(ns))
