"""Benchmark: rtc/'s RTP forwarder against aiortc's MediaRelay on the same synthetic load.

    .venv/bin/python bench/sfu.py                       # 1x12 and 2x8, 10 s each, both modes
    .venv/bin/python bench/sfu.py --layouts 1x4 --duration 5
    .venv/bin/python bench/sfu.py --modes sfu,janus --layouts 1x12,2x8 --duration 15 --repeat 3
    .venv/bin/python bench/sfu.py --modes app --layouts 1x12 --api-rate 0,200 --repeat 3

Synthetic participants publish pre-encoded VP8 (320x240, 15 fps, keyframe every second; a
keyframe request makes the replay jump to the next keyframe) and Opus (20 ms), encoded once up
front and replayed as packets; with ``--layers``, bench/shaped_room.py's clip instead (640x360,
about 600 kbit/s, each frame marked with its temporal layer as the room page's L1T3 sends it),
so that the forwarder's per-copy layer decisions run as they do with browsers. Subscribers
count RTP packets and frames (marker bits) without decoding. The participants live in
``--client-procs`` load generator processes (bench/loadgen.py, default 2), each holding a share
of every room, so that one interpreter is not the bottleneck; this process only orchestrates
(server, joins in order, samples, results). The server runs in a subprocess so its CPU time
(all threads, from /proc) is measured alone.
For each layout the same load runs against:

* ``sfu``: rtc/ as shipped (RTP-level forwarding, rtc/forwarder.py);
* ``sfupy``: rtc/ without its compiled part (``RTCConfig.native_wire`` off, rtc/srtpwire.py):
  SRTP through pylibsrtp and each copy sent through the event loop, as before it;
* ``relay``: the same signalling, but media goes through aiortc's MediaRelay: the server
  decodes each published stream once and re-encodes it for every subscriber;
* ``shed``: rtc/ as ``sfu``, with load shedding on (``RTCConfig.shed_load``, rtc/overload.py):
  the run also prints how long the server spent at each overload level;
* ``janus``: Janus's VideoRoom (bench/janus_client.py), the same participants;
* ``app``: the whole app (app.main under uvicorn, SQLite in a temporary directory), so that REST
  and media share one process and event loop as in production. Each room is a real session:
  an admin makes a group and a session over the REST API, and each participant accepts an
  invite, asks to join and is admitted, and joins with the token the app grants (rooms are
  ``app@R``: ``--api-rate R``, comma separated, runs bench/apiload.py in its own process,
  sending R requests a second at endpoints that read the database during the measured window,
  and prints their p50/p99 latency and errors).

``--repeat K`` runs the modes alternately K times per layout (sfu, janus, sfu, janus, ...) and
then prints, per mode, median [min–max] over the repetitions, and each repetition's ratio to
``janus`` (and relay to sfu, app@R to app@0), pair by pair. ``--burn`` starts a bounded CPU
burner (a busy loop that ends by itself, killed at the end of each run anyway) and pins it and
the server under test to the first CPU, and the load generators, the REST load and this process
to the others: delivery measured while another process keeps the server's core busy.

Every run also prints the load generators' CPU, the server's, and the UDP receive errors over
the window: the host's (RcvbufErrors, InErrors of /proc/net/snmp and snmp6: any socket on the
machine) and
the datagrams the kernel dropped on the load generators' and on the server's own sockets (full
receive buffer, /proc/net/udp): loss there is the harness's or the server's, not the network's.
The bench prints the commit, the UTC time and the load average first, and the load average at
the end.

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
  6 consent checks in a row), on the server and in the load generators;
* when any of the participants' peer connections (publish or subscribe) was not ``connected``
  at a sample during the measured window: when first seen, the most, and at the end.

    .venv/bin/python bench/sfu.py --modes sfu --layouts 10x8 --duration 600
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import functools
import json
import logging
import math
import os
import pickle
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import av  # noqa: E402
import procs  # noqa: E402
from aiortc import RTCRtpSender  # noqa: E402
from aiortc.mediastreams import MediaStreamTrack  # noqa: E402
from aiortc.rtp import RtcpRrPacket, RtcpSrPacket, RtpPacket  # noqa: E402

from rtc import guard, jointoken  # noqa: E402
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
    audio_fec: list[bytes] = field(default_factory=list)
    """The same with in-band FEC, which a browser sends while it is told of loss
    (``ReplayAudio``); empty: never."""
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


@functools.lru_cache(maxsize=4)
def voice(seconds: int, rate: int = 48000) -> bytes:
    """Something like a voice, as 16-bit mono PCM: eleven harmonics of a pitch gliding around
    140 Hz, four syllables a second. It repeats every second, so any whole number of seconds
    loops cleanly."""
    pcm = bytearray()
    phase = 0.0
    for n in range(seconds * rate):
        t = n / rate
        phase += 2 * math.pi * (140 + 30 * math.sin(2 * math.pi * 3 * t)) / rate
        level = 0.5 + 0.5 * math.sin(2 * math.pi * 4 * t)
        value = level * sum(3000 / k * math.sin(k * phase) for k in range(1, 12))
        pcm += int(value).to_bytes(2, "little", signed=True)
    return bytes(pcm)


def encode_opus(seconds: int, fec: bool = False) -> list[bytes]:
    """``voice`` as Opus packets of 20 ms, as Chromium sends a microphone's: mono, 32 kbit/s,
    the encoder set for speech (``voip``) with in-band FEC allowed (the answer says
    ``useinbandfec=1``, as rtc/peers.py's does). Opus adds FEC (each packet carries a coarse
    copy of the one before, in SILK or hybrid frames; CELT frames, which a pure tone gets,
    carry none) only when told of loss: ``fec`` encodes as told of 5 %, else of none."""
    opus = av.CodecContext.create("libopus", "w")
    opus.sample_rate, opus.layout, opus.format = 48000, "mono", "s16"
    opus.bit_rate = 32000
    opus.options = {"fec": "1", "packet_loss": "5" if fec else "0", "application": "voip"}
    audio: list[bytes] = []
    samples = 960
    pcm = voice(seconds)
    for i in range(50 * seconds):
        sound = av.AudioFrame(format="s16", layout="mono", samples=samples)
        sound.planes[0].update(pcm[2 * samples * i: 2 * samples * (i + 1)])
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


DTX_EVERY = 10
"""A silent microphone with Opus DTX sends one packet in this many 20 ms frames: Chromium's
rate with ``usedtx=1`` and a silent microphone, measured (4.8 packets a second:
tests/rtc/test_browser.py)."""


FEC_FROM = 3
"""The fraction lost (of 256, 1.2 %) from which a browser's Opus adds in-band FEC: Chromium
rounds the loss its receiver reports tell it down to 0, 1, 5, 10 or 20 % (WebRTC's
audio_encoder_opus.cc, ``OptimizePacketLossRate``, after smoothing it over seconds, which
``ReplayAudio`` does not), and libopus adds FEC from 1 %."""


class ReplayAudio(MediaStreamTrack):
    """Replays the clip's Opus packets every 20 ms, with in-band FEC while the receiver reports
    that reach it say ``FEC_FROM`` or more is lost (``listen_for_loss``), as a browser does;
    ``silent``: a listener whose browser sends Opus DTX, one packet (a frame header with no
    audio, as a DTX frame is) every ``DTX_EVERY`` frames, its timestamps moving on as the
    silence's."""

    kind = "audio"

    def __init__(self, clip: Clip, silent: bool = False) -> None:
        super().__init__()
        self.plain, self.with_fec = clip.audio, clip.audio_fec
        self.told_lost = 0
        """The fraction lost (of 256) of the last receiver report on this stream."""
        self.fec_packets = 0
        """Packets sent with FEC (a silent listener's DTX frames carry none)."""
        self.silent = silent
        self.count = 0
        self.start: float | None = None

    async def recv(self) -> av.Packet:
        if self.start is None:
            self.start = time.monotonic()
        if self.silent and self.count % DTX_EVERY:
            self.count += DTX_EVERY - self.count % DTX_EVERY
        await asyncio.sleep(max(0.0, self.start + self.count * 0.02 - time.monotonic()))
        fec = self.told_lost >= FEC_FROM and bool(self.with_fec)
        packets = self.with_fec if fec else self.plain
        data = packets[self.count % len(packets)]
        self.fec_packets += fec and not self.silent
        packet = av.Packet(bytes([data[0] & 0xFC]) if self.silent else data)
        packet.pts, packet.time_base = self.count * 960, fractions.Fraction(1, 48000)
        self.count += 1
        return packet


def listen_for_loss(sender: RTCRtpSender, track: ReplayAudio) -> None:
    """Tell ``track`` the fraction lost of each receiver report on ``sender``'s stream."""
    handle = sender._handle_rtcp_packet

    async def reported(packet: Any) -> None:
        if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
            for report in packet.reports:
                if report.ssrc == sender._ssrc:
                    track.told_lost = report.fraction_lost
        await handle(packet)

    sender._handle_rtcp_packet = reported  # type: ignore[method-assign]


# --- counting subscribers --------------------------------------------------------------------


@dataclass
class Counts:
    packets: int = 0
    audio_packets: int = 0
    video_frames: int = 0
    first_frame: dict[str, float] = field(default_factory=dict)
    frames_from: dict[str, int] = field(default_factory=dict)


def install_counter(client: Client, counts: Counts) -> None:
    """Count what the subscribe connection receives, instead of decoding it.

    The counting reads the RTP header and the VP8 descriptor's first bytes only. Packets are
    taken from the socket by a tap (rtc/guard.py's, as the server's forwarder takes them):
    SRTP-unprotected (so only what the server really sent counts) and counted there, without
    aioice's queue and aiortc's parser, which would cost the load generator more CPU than the
    server under test spends on the same packet."""
    guard.install()
    done: set[int] = set()

    def instrument(transceiver: Any) -> None:
        receiver = transceiver.receiver
        if id(receiver) in done:
            return
        done.add(id(receiver))
        kind, mid_holder = transceiver.kind, transceiver

        def on_packet(ssrc: int, marker: bool, payload: bytes) -> None:
            counts.packets += 1
            if kind == "audio":
                counts.audio_packets += 1
            if kind != "video" or len(payload) < 3:
                return
            mid = getattr(client, "ssrc_mid", {}).get(ssrc, mid_holder.mid or "")
            info = client.streams.get(mid)
            if info is not None and info.participant not in counts.first_frame:
                if is_vp8_keyframe_start(payload):
                    counts.first_frame[info.participant] = time.monotonic()
            if marker:
                counts.video_frames += 1
                if info is not None:
                    counts.frames_from[info.participant] = (
                        counts.frames_from.get(info.participant, 0) + 1
                    )

        async def count(packet: RtpPacket, arrival_time_ms: int) -> None:
            on_packet(packet.ssrc, packet.marker, packet.payload)

        receiver._handle_rtp_packet = count
        receiver._bench_count = on_packet
        dtls = receiver.transport
        connection = getattr(dtls.transport, "_connection", None)
        if hasattr(guard, "set_tap") and connection is not None and not guard.tapped(connection):
            guard.set_tap(connection, counting_tap(dtls))  # (rtc/ before 1ba0ece had no tap)

    client.on_subscribe_transceiver = instrument


def counting_tap(dtls: Any) -> Any:
    """A subscribe connection's tap: unprotect, read the header, count (see install_counter)."""
    router = dtls._rtp_router

    def tap(data: bytes) -> bool:
        srtp = dtls._rx_srtp
        if srtp is None or len(data) < 12 or 191 < data[1] < 224:
            return False  # RTCP, or before DTLS: aiortc's own path
        try:
            plain = srtp.unprotect(data)
        except Exception:
            return True
        ssrc = int.from_bytes(plain[8:12], "big")
        receiver = router.ssrc_table.get(ssrc)
        if receiver is None:  # an SSRC the SDP did not announce: aiortc's routing learns it
            with contextlib.suppress(ValueError):
                receiver = router.route_rtp(RtpPacket.parse(plain))
        on_packet = getattr(receiver, "_bench_count", None)
        if on_packet is not None:
            start = 12 + 4 * (plain[0] & 0x0F)
            if plain[0] & 0x10 and len(plain) >= start + 4:
                start += 4 + 4 * int.from_bytes(plain[start + 2:start + 4], "big")
            on_packet(ssrc, bool(plain[1] & 0x80), plain[start:])
        return True

    return tap


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


class LevelTime:
    """Seconds the server spent at each overload level (rtc/overload.py), sampled every 0.1 s
    from the first /bench/stats on (the start of the measured window)."""

    def __init__(self) -> None:
        self.seconds = [0.0] * 5
        self.task: asyncio.Task[None] | None = None

    def watch(self, overload: Any) -> list[float]:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run(overload))
        return list(self.seconds)

    async def _run(self, overload: Any) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.1)
            now = time.monotonic()
            self.seconds[overload.level] += now - last
            last = now


LEVEL_TIME = LevelTime()


def count_consent_expiries() -> None:
    """In this process (records still reach no other handler below WARNING)."""
    log = logging.getLogger("aioice.ice")
    log.setLevel(logging.INFO)
    log.addHandler(CONSENT)


# --- server subprocess -------------------------------------------------------------------------


def serve(mode: str, port: int, profile: str | None = None) -> None:
    """Run the server (child process), optionally under cProfile: rtc/ alone (``sfu``,
    ``relay``) or the whole app (``app``: settings from the environment the bench set)."""
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    count_consent_expiries()
    if mode == "app":
        from app.core.config import Settings
        from app.core.migrate import upgrade
        from app.main import create_app

        settings = Settings()
        upgrade(settings.db_url)
        app = create_app(settings)
        media = app.state.media
    else:
        from rtc.config import RTCConfig
        from rtc.server import create_asgi

        config = RTCConfig(join_secret=SECRET, max_participants=16, rate_per_second=500,
                           shed_load=mode == "shed", native_wire=mode != "sfupy")
        app = create_asgi(config, serve_testpage=False)
        media = app.state.rtc
        if mode == "relay":
            use_media_relay(media)

    async def stats(request: Request) -> JSONResponse:
        forwarder = media.hub.forwarder
        return JSONResponse(
            {
                "received": sum(forwarder.received.values()),
                "forwarded": sum(forwarder.forwarded.values()),
                "consent_expired": CONSENT.count,
                "level_seconds": LEVEL_TIME.watch(media.hub.overload),
            }
        )

    app.add_route("/bench/stats", stats)
    options: dict[str, Any] = {"host": "127.0.0.1", "port": port, "log_level": "warning"}
    if mode == "app":
        options.update(access_log=False, ws_max_size=4 << 20)
    if profile is None:
        uvicorn.run(app, **options)
        return
    import cProfile

    with cProfile.Profile() as profiler:
        uvicorn.run(app, **options)
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
        return dict((await http.get(f"http://127.0.0.1:{port}/bench/stats", timeout=10)).json())


def cpu_seconds(pid: int) -> float:
    return sum(cpu_split(pid))


def cpu_split_all(pids: list[int]) -> tuple[float, float]:
    """User and kernel CPU seconds of several processes, summed."""
    splits = [cpu_split(pid) for pid in pids]
    return sum(u for u, _ in splits), sum(k for _, k in splits)


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
        return True
    return False


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process (all its threads) since it started."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


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
class Options:
    """How a run is driven (beyond mode and layout)."""

    clip: Path
    """The pickled Clip the load generators replay."""
    client_procs: int = 2
    """Load generator processes (bench/loadgen.py); participant i of a room goes to i mod N."""
    burn: tuple[int, set[int]] | None = None
    """(server's CPU, other CPUs): the server on the first, the load generators (and the REST
    load) on the others. None: nothing is pinned."""
    burner: bool = False
    """A CPU burner shares the server's CPU (``--burn``)."""
    api_rate: float = 0.0
    """REST requests a second at the app during the measured window (``app`` mode only)."""
    client_rcvbuf: int = 0
    """SO_RCVBUF of the load generators' UDP sockets (0: the system's default)."""


@dataclass
class Result:
    mode: str
    layout: str
    streams: int
    cpu_ms_per_stream_second: float
    cpu_us_per_packet: float
    packets_per_second: float
    delivery: float
    audio_delivery: float
    """Audio packets received / audio packets the publishers' tracks produced, times the
    subscribers of each: what shedding must protect."""
    first_frame: list[float]
    missing_first_frames: int
    client_cpu_share: float
    """The load generator processes' CPU over the window, in cores (1.0: one core busy)."""
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
    level_seconds: list[float] = field(default_factory=list)
    """Seconds of the window the server spent at each overload level, 0 to 4 (rtc/ only)."""
    label: str = ""
    """The mode as printed: ``app@R`` for the app under R REST requests a second."""
    client_cpu: list[float] = field(default_factory=list)
    """Each load generator process's CPU share over the window."""
    parent_cpu_share: float = 0.0
    """The bench's own process (orchestration only) over the window."""
    udp: dict[str, int] = field(default_factory=dict)
    """Over the window: the host's UDP RcvbufErrors and InErrors, and datagrams dropped on the
    load generators' and on the server's sockets (receive buffer full)."""
    server_cpu_share: float = 0.0
    server_system_share: float = 0.0
    """Of the server's CPU, the share spent in the kernel (sending, receiving, waking)."""
    burner_cpu_share: float | None = None
    api: dict[str, Any] | None = None
    """The REST load's answer (bench/apiload.py), with its own CPU share."""
    placed: dict[str, int] = field(default_factory=dict)
    """workersN: rooms placed on each media worker (the server's figures are theirs, summed)."""
    app_cpu_share: float | None = None
    """workersN: the app's own CPU (REST, the facilitation runtime) over the window."""


def save_clip(clip: Clip) -> Path:
    """The clip, pickled into a temporary file for the load generators (the caller removes it)."""
    fd, name = tempfile.mkstemp(prefix="bench-clip-")
    with os.fdopen(fd, "wb") as out:
        pickle.dump((clip.video, clip.audio, clip.temporal), out)  # plain: no class to import
    return Path(name)


def label_of(mode: str, api_rate: float) -> str:
    return f"{mode}@{api_rate:g}" if through_app(mode) and api_rate else (
        "app@0" if mode == "app" else mode)


def through_app(mode: str) -> bool:
    """Modes whose participants join through the app's REST API (``app``, ``workersN``)."""
    return mode == "app" or mode.startswith("workers")


def worker_count(mode: str) -> int:
    """``workersN``: the rooms on N ``rounds media`` processes; 0 for every other mode."""
    return int(mode[len("workers"):]) if mode.startswith("workers") else 0


BUS = "redis://127.0.0.1:6379/0"
"""The Redis the ``workersN`` modes' app and media workers share (under a prefix of their own)."""


ADMIN_ENV = "BENCH_ADMIN_PASSWORD"


def start_app(
    port: int, data: Path, bus_prefix: str | None = None
) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """Make the admin in a new SQLite database (``rounds create-admin`` migrates it), then start
    the whole app (``--serve app``) in a child process; its output goes to data/server.log.
    With ``bus_prefix`` its rooms are on media workers (``start_workers``) over Redis."""
    import shaped_room

    env = {
        **os.environ,
        "ROUNDS_DATA_DIR": str(data),
        "ROUNDS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ROUNDS_SECRET_KEY": "bench-sfu-" + "s" * 32,
        "ROUNDS_ENV": "development",
        ADMIN_ENV: shaped_room.ADMIN_PASSWORD,
    }
    if bus_prefix is not None:
        env.update(ROUNDS_MEDIA_BUS=BUS, ROUNDS_MEDIA_BUS_PREFIX=bus_prefix)
    subprocess.run(
        [sys.executable, "-m", "app.cli", "create-admin", "--email", shaped_room.ADMIN_EMAIL,
         "--name", "Dr Bench Admin", "--password-env", ADMIN_ENV],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    with (data / "server.log").open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", "app", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return child, env


def start_workers(
    n: int, bus_prefix: str, env: dict[str, str], data: Path
) -> dict[str, tuple[subprocess.Popen[bytes], int]]:
    """``n`` media workers (``rounds media``, ids w1..wN), each with a capacity far above what
    it can carry, so that placement never refuses a room and the bench finds the real limit;
    by id: (process, port). Their output goes to data/media-wK.log."""
    started = {}
    for k in range(1, n + 1):
        port = free_port()
        with (data / f"media-w{k}.log").open("wb") as log:
            started[f"w{k}"] = (subprocess.Popen(
                [sys.executable, "-m", "app.cli", "media", "--id", f"w{k}", "--bus", BUS,
                 "--bus-prefix", bus_prefix, "--host", "127.0.0.1", "--port", str(port),
                 "--capacity", "1000000", "--drain", "0"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            ), port)  # fmt: skip
    return started


async def start_api_load(
    base: str, rate: float, duration: float, world: Any, env: dict[str, str], cpus: set[int] | None
) -> asyncio.subprocess.Process:
    """bench/apiload.py, signed in and ready: it starts when given a line on stdin."""
    import shaped_room

    command = [
        sys.executable, str(ROOT / "bench" / "apiload.py"), "--base", base,
        "--rate", str(rate), "--duration", str(duration),
        "--email", shaped_room.ADMIN_EMAIL, "--password-env", ADMIN_ENV,
        "--group", str(world.group["id"]), "--session", str(world.session["id"]),
    ]  # fmt: skip
    if cpus:
        command += ["--cpus", ",".join(str(c) for c in sorted(cpus))]
    proc = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, cwd=ROOT
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    if not line or not json.loads(line).get("ready"):
        raise RuntimeError("the REST load generator did not start")
    return proc


async def run(
    mode: str,
    rooms: int,
    people: int,
    duration: float,
    warmup: float,
    clip: Clip,
    retries: int = 2,
    options: Options | None = None,
) -> Result:
    if options is None:
        options = Options(clip=save_clip(clip))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env: dict[str, str] = {}
    data: Path | None = None
    media: dict[str, tuple[subprocess.Popen[bytes], int]] = {}  # workersN: by id
    if mode == "janus":
        import janus_client

        child, url = janus_client.start(port)
    elif through_app(mode):
        data = Path(tempfile.mkdtemp(prefix="rounds-bench-"))
        prefix = f"bench-{os.getpid()}-{port}:" if worker_count(mode) else None
        child, env = start_app(port, data, prefix)
        if prefix is not None:
            media = start_workers(worker_count(mode), prefix, env, data)
        url = f"ws://127.0.0.1:{port}/rtc"
    else:
        command = [sys.executable, __file__, "--serve", mode, "--port", str(port)]
        if PROFILE:
            command += ["--profile", f"{PROFILE}.{mode}.{rooms}x{people}"]
        child = subprocess.Popen(command)  # noqa: ASYNC220 (started once, before any load)
        url = f"ws://127.0.0.1:{port}/rtc"
    contended, others = options.burn if options.burn else (None, None)
    if contended is not None:
        procs.pin(child.pid, {contended})
    workers: list[procs.Worker] = []
    worlds: list[Any] = []
    burner: subprocess.Popen[bytes] | None = None
    api: asyncio.subprocess.Process | None = None
    rss: list[tuple[float, float]] = []
    timeline: list[tuple[float, int, int]] = []  # (time, frames received, pcs not connected)
    sampler: asyncio.Future[None] | None = None
    alias: dict[str, str] = {}  # the server's participant id -> the bench's name for it
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            if child.poll() is not None:
                log = (data / "server.log").read_text()[-2000:] if data else ""
                raise RuntimeError(f"the server exited ({child.returncode}) {log}")
            await asyncio.sleep(0.05)
        for process, media_port in media.values():
            while not _listening(media_port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"a media worker did not start ({process.returncode})")
                await asyncio.sleep(0.05)
        measured = [p.pid for p, _ in media.values()] or [child.pid]
        """The processes that forward the media: the server, or the media workers."""
        if contended is not None:
            procs.pin(child.pid, {contended})  # and the threads it has started since
        if contended is not None and options.burner:
            burner = procs.start_burner(
                contended, 120 + 5 * rooms * people * (1 + retries) + warmup + duration
            )
        workers = list(
            await asyncio.gather(
                *(
                    procs.Worker.start(options.clip, others, options.client_rcvbuf)
                    for _ in range(max(1, min(options.client_procs, people)))
                )
            )
        )
        sampler = asyncio.ensure_future(sample(child.pid, workers, alias, rss, timeline))
        if mode == "janus":
            for room_no in range(rooms):
                await janus_client.create_room(url, room_no + 1, people)
        if through_app(mode):
            import shaped_room

            for _ in range(rooms):
                worlds.append(await shaped_room.build_world(base))

        joined: dict[str, float] = {}
        placed: dict[str, set[int]] = {}  # workersN: the rooms on each worker
        feeds: dict[str, int] = {}
        worker_of: dict[str, procs.Worker] = {}
        attempts, errors, join_start = 0, [], time.monotonic()
        for room_no in range(rooms):
            for person in range(people):
                pid = f"r{room_no}p{person}"
                worker_of[pid] = workers[person % len(workers)]
                join_url = url
                if through_app(mode):  # a member accepts an invite and is admitted, over REST
                    token, server_id, path = await shaped_room.member_grant(
                        worlds[room_no], base, pid)
                    alias[server_id] = pid
                    if media:  # the worker the grant names (caddy would route its path)
                        worker = path.rsplit("/", 1)[1]
                        placed[worker] = placed.get(worker, set()) | {room_no}
                        join_url = f"ws://127.0.0.1:{media[worker][1]}{path}"
                else:
                    claims = jointoken.JoinClaims(
                        room=f"room{room_no}",
                        participant=pid,
                        role="member",
                        name=pid,
                        expires_at=int(time.time()) + 3600,
                    )
                    token = jointoken.issue(SECRET, claims)
                for attempt in range(1 + retries):
                    attempts += 1
                    try:
                        answer = await worker_of[pid].call(
                            "join",
                            timeout=3 * JOIN_TIMEOUT,
                            mode=mode,
                            url=join_url,
                            pid=pid,
                            token=token,
                            room=room_no + 1,
                        )
                        joined[pid], feeds[pid] = answer["joined_at"], answer["feed"]
                        break
                    except Exception as exc:  # noqa: BLE001 (counted and reported)
                        kind = getattr(exc, "kind", type(exc).__name__)
                        errors.append(f"{pid}#{attempt + 1} {kind}")
                        await asyncio.sleep(JOIN_RETRY_DELAY)
        join_seconds = time.monotonic() - join_start
        if not joined:
            raise RuntimeError(f"nobody joined ({', '.join(errors[:5])})")
        room_of = {pid: pid.split("p")[0] for pid in joined}
        others_in = {pid: sum(room_of[o] == room_of[pid] for o in joined) - 1 for pid in joined}
        if mode == "janus":  # everyone published: now each subscribes to the rest of its room
            for pid in joined:
                joined[pid] = time.monotonic()
                await worker_of[pid].call(
                    "subscribe",
                    pid=pid,
                    feeds={
                        str(feeds[o]): o for o in joined if o != pid and room_of[o] == room_of[pid]
                    },
                )

        def pairs() -> list[tuple[str, str]]:
            return [(s, p) for s in joined for p in joined if s != p and room_of[s] == room_of[p]]

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            got, _ = await procs.snapshot(workers, alias)
            if all(p in got[s]["first_frame"] for s, p in pairs()):
                break
            await asyncio.sleep(0.5)
        if options.api_rate > 0 and worlds:
            api = await start_api_load(base, options.api_rate, duration, worlds[0], env, others)
        await asyncio.sleep(warmup)
        loaders = [w.pid for w in workers]
        udp0 = procs.udp_counters()
        drops0 = (procs.socket_drops(loaders), procs.socket_drops([child.pid]))
        t0, own0 = time.monotonic(), time.process_time()
        user0, system0 = cpu_split_all(measured)
        app0 = cpu_seconds(child.pid) if media else 0.0
        cpu0 = user0 + system0
        loaders0 = [cpu_seconds(pid) for pid in loaders]
        burner0 = cpu_seconds(burner.pid) if burner else 0.0
        counted = mode != "janus" and not media  # workers serve no /bench/stats
        server0 = await server_stats(port) if counted else {}
        snap0, consent0 = await procs.snapshot(workers, alias, stats=True)
        if api is not None:
            assert api.stdin is not None
            api.stdin.write(b"go\n")
            await api.stdin.drain()
        await asyncio.sleep(duration)
        sampler.cancel()
        await take_sample(child.pid, workers, alias, rss, timeline)
        elapsed = time.monotonic() - t0
        user1, system1 = cpu_split_all(measured)
        app_cpu = cpu_seconds(child.pid) - app0 if media else None
        cpu = user1 + system1 - cpu0
        system_share = (system1 - system0) / max(cpu, 1e-9)
        own = time.process_time() - own0
        loaders_cpu = [cpu_seconds(pid) - c0 for pid, c0 in zip(loaders, loaders0, strict=True)]
        burner_cpu = cpu_seconds(burner.pid) - burner0 if burner and burner.poll() is None else None
        server1 = await server_stats(port) if counted else {}
        snap1, consent1 = await procs.snapshot(workers, alias, stats=True)
        udp1 = procs.udp_counters()
        drops1 = (procs.socket_drops(loaders), procs.socket_drops([child.pid]))
        api_result = None
        if api is not None:
            assert api.stdout is not None
            api_result = json.loads(await asyncio.wait_for(api.stdout.readline(), 60))
        published = sum(snap1[p]["published"] - snap0[p]["published"] for p in joined)
        sent = sum((snap1[p]["sent"] - snap0[p]["sent"]) * others_in[p] for p in joined)
        packets = sum(snap1[p]["packets"] - snap0[p]["packets"] for p in joined)
        frames = sum(snap1[p]["video_frames"] - snap0[p]["video_frames"] for p in joined)
        audio_sent = sum((snap1[p]["audio_sent"] - snap0[p]["audio_sent"]) * others_in[p]
                         for p in joined)
        audio = sum(snap1[p]["audio_packets"] - snap0[p]["audio_packets"] for p in joined)
        per_pair = sorted(
            (snap1[s]["frames_from"].get(p, 0) - snap0[s]["frames_from"].get(p, 0), s, p)
            for s, p in pairs()
        )
        firsts = []
        missing = 0
        for s, p in pairs():
            if p in snap1[s]["first_frame"]:
                firsts.append(snap1[s]["first_frame"][p] - max(joined[s], joined[p]))
            else:
                missing += 1
        streams = len(pairs()) * 2
        minutes = [  # the first sample at or after each whole minute of the window
            next(x for x in timeline if x[0] >= t0 + 60 * k)
            for k in range(int((timeline[-1][0] - t0) // 60) + 1)
        ]
        return Result(
            mode=mode,
            label=label_of(mode, options.api_rate),
            layout=f"{rooms}x{people}",
            streams=streams,
            cpu_ms_per_stream_second=cpu * 1000 / (streams * elapsed),
            cpu_us_per_packet=cpu * 1e6 / max(packets, 1),
            packets_per_second=packets / elapsed,
            delivery=frames / max(sent, 1),
            audio_delivery=audio / max(audio_sent, 1),
            first_frame=firsts,
            missing_first_frames=missing,
            client_cpu_share=sum(loaders_cpu) / elapsed,
            client_cpu=[c / elapsed for c in loaders_cpu],
            parent_cpu_share=own / elapsed,
            server_cpu_share=cpu / elapsed,
            server_system_share=system_share,
            burner_cpu_share=burner_cpu / elapsed if burner_cpu is not None else None,
            udp={
                "RcvbufErrors": udp1["RcvbufErrors"] - udp0["RcvbufErrors"],
                "InErrors": udp1["InErrors"] - udp0["InErrors"],
                "client_drops": procs.dropped_between(drops0[0], drops1[0])[0],
                "client_closed": procs.dropped_between(drops0[0], drops1[0])[1],
                "server_drops": procs.dropped_between(drops0[1], drops1[1])[0],
                "server_closed": procs.dropped_between(drops0[1], drops1[1])[1],
            },
            api=api_result,
            placed={w: len(r) for w, r in sorted(placed.items())},
            app_cpu_share=app_cpu / elapsed if app_cpu is not None else None,
            cpu_ms_per_frame=cpu * 1000 / max(frames, 1),
            worst_pairs=[(n / (elapsed * FPS), s, p) for n, s, p in per_pair[:3]],
            published=published,
            server_received=server1.get("received", 0) - server0.get("received", 0),
            server_forwarded=server1.get("forwarded", 0) - server0.get("forwarded", 0),
            subscribers_received=packets,
            wanted=rooms * people,
            joined=len(joined),
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
            level_seconds=[b - a for a, b in zip(server0.get("level_seconds", []),
                                                 server1.get("level_seconds", []), strict=False)],
            consent_expired=(
                server1.get("consent_expired", 0) - server0.get("consent_expired", 0),
                consent1 - consent0,
            ),
        )
    finally:
        if sampler is not None:
            sampler.cancel()
        if api is not None and api.returncode is None:
            api.kill()
            await api.wait()
        await asyncio.gather(*(w.stop() for w in workers), return_exceptions=True)
        for world in worlds:
            await world.close()
        procs.stop(burner)
        procs.stop(child)
        for process, _ in media.values():
            procs.stop(process)
        if data is not None:
            shutil.rmtree(data, ignore_errors=True)


async def take_sample(
    pid: int,
    workers: list[procs.Worker],
    alias: dict[str, str],
    rss: list[tuple[float, float]],
    timeline: list[tuple[float, int, int]],
) -> None:
    """The server's RSS now; video frames received by all subscribers so far, and how many of
    the participants' peer connections (publish and subscribe) are not connected."""
    now, mib = time.monotonic(), rss_mib(pid)
    if mib is not None:
        rss.append((now, mib))
    counts, _ = await procs.snapshot(workers, alias)
    timeline.append(
        (
            now,
            sum(c["video_frames"] for c in counts.values()),
            sum(c["down"] for c in counts.values()),
        )
    )


async def sample(*args: Any) -> None:
    """``take_sample`` every RSS_EVERY seconds until cancelled."""
    while True:
        await take_sample(*args)
        await asyncio.sleep(RSS_EVERY)


def describe_load(r: Result) -> str:
    """Joins, server memory and delivery over time (the load figure)."""
    ok = r.join_attempts - len(r.join_errors)
    text = (
        f"{r.layout:>5} {r.label or r.mode:>6}: joins {r.joined}/{r.wanted} participants in "
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
        f"{r.layout:>5} {r.label or r.mode:>6}: {r.cpu_ms_per_stream_second:7.2f} ms CPU/stream-s, "
        f"{r.cpu_us_per_packet:7.1f} µs CPU/packet, {r.packets_per_second:7.0f} pkt/s, "
        f"delivery {r.delivery:6.1%} (audio {r.audio_delivery:6.1%}), first frame {ff_text}"
        + (f" ({r.missing_first_frames} pairs never got one)" if r.missing_first_frames else "")
        + f"; {r.cpu_ms_per_frame:.2f} ms CPU per delivered video frame"
        + f"; RTP packets: published {r.published}"
        + (f", server got {r.server_received}" if r.mode != "janus" and not r.placed else "")
        + (f", forwarded {r.server_forwarded}"
           if r.mode in ("sfu", "sfupy", "shed", "app") else "")
        + f", subscribers got {r.subscribers_received}"
        + ("; seconds at overload levels 0-4: " + " ".join(f"{x:.1f}" for x in r.level_seconds)
           if r.mode == "shed" else "")
        + (f"; rooms per media worker {r.placed}, the app used {r.app_cpu_share:.0%} of a core"
           if r.placed and r.app_cpu_share is not None else "")
        + f"; worst pairs {', '.join(f'{s}<-{p} {x:.0%}' for x, s, p in r.worst_pairs)}"
        f"; bench clients used {r.client_cpu_share:.0%} of a core"
        + (
            f" ({len(r.client_cpu)} load generator processes: "
            + " ".join(f"{c:.0%}" for c in r.client_cpu)
            + f"; bench parent {r.parent_cpu_share:.0%})"
            if r.client_cpu
            else ""
        )
        + f"; server used {r.server_cpu_share:.0%} of a core "
        f"({r.server_system_share:.0%} of it in the kernel)"
        + (
            f"; UDP receive errors in the window: host RcvbufErrors +{r.udp['RcvbufErrors']}, "
            f"InErrors +{r.udp['InErrors']}; dropped on the load generators' sockets "
            f"+{r.udp['client_drops']}, on the server's +{r.udp['server_drops']}"
            + (
                f" (sockets closed meanwhile, not counted: {r.udp['client_closed']} of the load "
                f"generators', {r.udp['server_closed']} of the server's)"
                if r.udp["client_closed"] or r.udp["server_closed"]
                else ""
            )
            if r.udp
            else ""
        )
        + (
            f"; burner used {r.burner_cpu_share:.0%} of a core"
            if r.burner_cpu_share is not None
            else ""
        )
        + (f"; {describe_api(r.api)}" if r.api is not None else "")
    )


def describe_api(api: dict[str, Any]) -> str:
    errors = sum(api["errors"].values())
    return (
        f"REST load: {api['sent']} requests in {api['seconds']:.1f} s "
        f"({api['sent'] / max(api['seconds'], 1e-9):.0f}/s), p50 {api['p50_ms']:.1f} ms, "
        f"p99 {api['p99_ms']:.1f} ms, max {api['max_ms']:.0f} ms, {errors} errors"
        + (f" ({', '.join(f'{k} x{n}' for k, n in api['errors'].items())})" if errors else "")
        + f", {api['skipped']} skipped, sender at most {api['late_ms']:.0f} ms late, "
        f"its CPU {api['cpu_share']:.0%} of a core; p50 by endpoint "
        + ", ".join(f"{k} {v:.1f} ms" for k, v in api["p50_ms_by_endpoint"].items() if v)
    )


def spread(values: list[float], fmt: str) -> str:
    """median [min–max] of the values, each formatted with ``fmt``."""
    return (
        f"{format(statistics.median(values), fmt)} "
        f"[{format(min(values), fmt)}–{format(max(values), fmt)}]"
    )


def kernel(r: Result) -> float:
    """The server's CPU per packet spent in the kernel, in µs."""
    return r.cpu_us_per_packet * r.server_system_share


def summarise(layout: str, results: dict[str, list[Result | None]]) -> list[str]:
    """Per mode: median [min–max] over the repetitions; then each repetition's ratio to the
    baseline, pair by pair (repetition i against repetition i): every mode against ``janus``,
    ``relay`` against ``sfu``, and ``app@R`` against ``app@0``."""
    lines = []
    for label, runs in results.items():
        ok = [r for r in runs if r is not None]
        if not ok:
            lines.append(f"{layout:>5} {label:>6}: no successful run of {len(runs)}")
            continue
        lines.append(
            f"{layout:>5} {label:>6}: {len(ok)}/{len(runs)} runs, median [min–max]: "
            f"{spread([r.cpu_ms_per_stream_second for r in ok], '.2f')} ms CPU/stream-s, "
            f"{spread([r.cpu_us_per_packet for r in ok], '.1f')} µs CPU/packet "
            f"(user {spread([r.cpu_us_per_packet - kernel(r) for r in ok], '.1f')}, "
            f"kernel {spread([kernel(r) for r in ok], '.1f')}), "
            f"delivery {spread([r.delivery for r in ok], '.1%')} "
            f"(audio {spread([r.audio_delivery for r in ok], '.1%')}), "
            f"server {spread([r.server_cpu_share for r in ok], '.0%')} of a core, "
            f"bench clients {spread([r.client_cpu_share for r in ok], '.0%')} of a core"
            + (
                f", REST p99 {spread([r.api['p99_ms'] for r in ok if r.api], '.1f')} ms"
                if all(r.api for r in ok)
                else ""
            )
        )
    comparisons = [(m, "janus") for m in results if m != "janus" and "janus" in results]
    if "relay" in results and "sfu" in results:
        comparisons.append(("relay", "sfu"))
    if "sfupy" in results and "sfu" in results:
        comparisons.append(("sfu", "sfupy"))
    comparisons += [(m, "app@0") for m in results if m.startswith("app@") and m != "app@0"]
    comparisons = [(m, b) for m, b in comparisons if b in results]
    for mode, baseline in comparisons:
        pairs = [
            (r, b)
            for r, b in zip(results[mode], results[baseline], strict=False)
            if r is not None and b is not None
        ]
        if not pairs:
            continue
        cpu = [r.cpu_ms_per_stream_second / max(b.cpu_ms_per_stream_second, 1e-9) for r, b in pairs]
        per_packet = [r.cpu_us_per_packet / max(b.cpu_us_per_packet, 1e-9) for r, b in pairs]
        lines.append(
            f"{layout:>5} {mode}/{baseline}, repetition by repetition: CPU per stream-second "
            + " ".join(f"{x:.2f}" for x in cpu)
            + f" -> {spread(cpu, '.2f')}; CPU per packet "
            + " ".join(f"{x:.2f}" for x in per_packet)
            + f" -> {spread(per_packet, '.2f')}; delivery "
            + " ".join(f"{r.delivery:.1%}/{b.delivery:.1%}" for r, b in pairs)
            + "; audio " + " ".join(f"{r.audio_delivery:.1%}/{b.audio_delivery:.1%}"
                                    for r, b in pairs)
        )
    return lines


async def main(args: argparse.Namespace) -> None:
    started = time.monotonic()
    print(procs.header(), flush=True)
    count_consent_expiries()
    if args.layers:
        import shaped_room

        clip = shaped_room.encode_clip(CLIP_SECONDS)
    else:
        clip = encode_clip()
    kbps = sum(len(d) for d, _ in clip.video) * 8 / CLIP_SECONDS / 1000
    print(
        f"encoded {len(clip.video)} VP8 frames ({kbps:.0f} kbit/s) and {len(clip.audio)} Opus "
        f"packets once, in {time.monotonic() - started:.1f} s"
        + (" (video in three temporal layers, as a browser's L1T3)" if clip.temporal else "")
    )
    burn = procs.affinity_plan() if args.burn or args.pin else None
    if burn is not None:
        os.sched_setaffinity(0, burn[1])
        print(
            f"pinned: {'a CPU burner and ' if args.burn else ''}the server under test on CPU "
            f"{burn[0]}; the load generators, the REST load and this process on CPU "
            f"{','.join(str(c) for c in sorted(burn[1]))}"
        )
    rates = [float(x) for x in args.api_rate.split(",")]
    variants = [
        (mode, rate)
        for mode in args.modes.split(",")
        for rate in (rates if through_app(mode) else [0.0])
    ]
    clip_file = save_clip(clip)
    try:
        for layout in args.layouts.split(","):
            rooms, people = (int(x) for x in layout.lower().split("x"))
            procs_n = args.client_procs or min(2, people)
            print(
                f"{layout:>5}: {procs_n} load generator processes, their UDP receive buffers "
                + (f"{args.client_rcvbuf} bytes" if args.client_rcvbuf else "the system's default"),
                flush=True,
            )
            all_results: dict[str, list[Result | None]] = {label_of(*v): [] for v in variants}
            for rep in range(args.repeat):
                results = {}
                for mode, rate in variants:
                    label = label_of(mode, rate)
                    options = Options(
                        clip=clip_file,
                        client_procs=procs_n,
                        burn=burn,
                        burner=args.burn,
                        api_rate=rate,
                        client_rcvbuf=args.client_rcvbuf,
                    )
                    try:
                        result = await run(
                            mode, rooms, people, args.duration, args.warmup, clip,
                            args.join_retries, options,
                        )  # fmt: skip
                    except Exception as exc:  # an overloaded server may not let everyone join
                        print(
                            f"{layout:>5} {label:>6}: FAILED ({type(exc).__name__}: {exc})",
                            flush=True,
                        )
                        all_results[label].append(None)
                        continue
                    finally:
                        await asyncio.sleep(2)  # let closing connections settle
                    results[label] = result
                    all_results[label].append(result)
                    if args.repeat > 1:
                        print(f"{layout:>5} repetition {rep + 1}/{args.repeat}:", flush=True)
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
                        f"{layout:>5}  MediaRelay / RTP forwarder: {ratio:.1f}x CPU per "
                        f"stream-second, {per_frame:.1f}x CPU per delivered video frame (delivery "
                        f"{results['relay'].delivery:.1%} vs {results['sfu'].delivery:.1%})"
                    )
            if args.repeat > 1 or len(variants) > 1:
                for line in summarise(layout, all_results):
                    print(line, flush=True)
    finally:
        os.unlink(clip_file)
    print(
        f"total {time.monotonic() - started:.0f} s on {os.cpu_count()} cores; "
        f"load average at the end {procs.loadavg()}"
    )


if __name__ == "__main__":
    sys.modules.setdefault("sfu", sys.modules["__main__"])  # bench modules import it as ``sfu``
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layouts", default="1x12,2x8", help="rooms x people, comma separated")
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument(
        "--modes",
        default="sfu,relay",
        help="sfu (rtc/), sfupy (rtc/ without rtc/_srtpwire.c: SRTP through pylibsrtp, sends "
        "through the event loop), relay (aiortc MediaRelay), janus (needs /usr/bin/janus), "
        "app (the whole app: REST and media in one process, rooms joined through the REST API), "
        "workersN (the app with its rooms placed on N `rounds media` processes over the Redis "
        "on 127.0.0.1:6379; the server's CPU is theirs, summed)",
    )
    parser.add_argument(
        "--join-retries",
        type=int,
        default=2,
        help=f"attempts after a failed join, {JOIN_RETRY_DELAY:.0f} s apart (default 2)",
    )
    parser.add_argument(
        "--client-procs",
        type=int,
        default=0,
        help="load generator processes holding the participants (default 2, fewer for rooms "
        "of one)",
    )
    parser.add_argument(
        "--client-rcvbuf",
        type=int,
        default=0,
        help="SO_RCVBUF in bytes for the load generators' UDP sockets (default: the system's, "
        "net.core.rmem_default; the kernel caps it at net.core.rmem_max)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the modes alternately this many times per layout, then summarise",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="the server alone on the first CPU, the load generators on the others",
    )
    parser.add_argument(
        "--burn",
        action="store_true",
        help="a CPU burner and the server on the first CPU, the load generators on the others",
    )
    parser.add_argument(
        "--api-rate",
        default="0",
        help="app mode: REST requests a second during the window, comma separated: one run "
        "each (default 0)",
    )
    parser.add_argument(
        "--layers",
        action="store_true",
        help="publish video in three temporal layers, as the room page's L1T3 (bench/"
        "shaped_room.py's clip: 640x360, about 600 kbit/s), not the default clip without them",
    )
    parser.add_argument("--serve", choices=["sfu", "sfupy", "shed", "relay", "app"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile", help="write the server's cProfile stats to PATH.<mode>.<RxN>")
    ns = parser.parse_args()
    if ns.serve:
        serve(ns.serve, ns.port, ns.profile)
    else:
        PROFILE = ns.profile
        asyncio.run(main(ns))
