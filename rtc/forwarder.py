"""RTP-level forwarding between aiortc peer connections: the SFU's data path.

Theory of operation
-------------------
Media is never decoded, re-encoded or stored. Each published stream (one participant's
microphone or camera) is a ``Source`` bound to the ``RTCRtpReceiver`` of that participant's
publish peer connection; each subscribed stream is a ``Sink`` bound to an ``RTCRtpSender`` of a
subscriber's subscribe peer connection. ``Forwarder.connect(sink, source)`` points a sink at a
source (or at nothing).

aiortc has no public hook for this (aiortc issues 449, 627), so this module - and only this
module - touches aiortc internals:

* receive: the receiver's ``_handle_rtp_packet`` is replaced on the instance. The replacement
  does what aiortc's does *before* depacketising (RTCP receiver statistics, RTX unwrapping,
  NACK generation, REMB estimation for video) and then, instead of feeding the jitter buffer and
  the decoder thread, hands the packet to every sink of the source. The decoder thread aiortc
  starts stays idle. Any exception is caught and counted: one escaping would tear down the
  publisher's whole peer connection.
* send: for each sink the packet is copied with the sender's SSRC, the negotiated payload type,
  and sequence number / timestamp rewritten as ``(in + offset) mod 2^n``. Offsets are re-based
  whenever a sink switches source or resumes, so the sender's sequence numbers keep increasing
  (SRTP replay protection would silently drop a repeat). The packet is stored in the sender's
  RTP history, serialised with the sender's header-extension map and sent with the DTLS
  transport's ``_send_rtp``, so SRTP, NACK -> RTX retransmission (``_retransmit``) and sender
  reports (whose counters are updated here) keep working inside aiortc.
* keyframes: the sender's ``_send_keyframe`` (called by aiortc on PLI/FIR) is replaced so the
  request goes upstream as a PLI to the source's publisher, at most one per publisher per
  ``keyframe_throttle`` seconds (a throttled request is deferred, not lost). A sink that starts
  on a new video source forwards nothing until a VP8 keyframe starts, asks for one at once and
  again every ``keyframe_retry`` seconds while it waits.
* the subscriber's link (rtc/bandwidth.py): the sender's ``_handle_rtcp_packet`` is wrapped so
  the browser's REMB and receiver-report loss reach the subscriber's ``Link``; a retransmission
  is sent only within the link's repair budget; a video the link cannot take is ``pause``d (the
  subscriber's connection task chooses which) and starts again at a keyframe. One sink's
  keyframe requests reach the publisher at most once a ``sink_keyframe_interval`` (none while
  paused or already waiting for one), so a weak receiver cannot make every publisher send
  keyframes continuously.
* senders are created with a ``PlaceholderTrack`` that never yields a frame, so aiortc's own
  encoder loop parks instead of polling.
* hostile datagrams: a ``Forwarder`` installs rtc/guard.py's guards on aioice's and aiortc's
  receive steps (class-level, once per process): a datagram that is not STUN is accepted only
  from an address ICE validated (the nominated pair's, or one whose check succeeded on that
  local candidate), and one whose handling raises (empty, truncated, oversize, bad SRTP/SRTCP,
  garbage DTLS) is dropped and counted instead of ending the DTLS transport - and with it
  someone's media. ``Forwarder.dropped`` has the counts.

``verify_aiortc_internals()`` checks every internal named here and those rtc/guard.py uses; the
server runs it at start and tests/rtc run it too, so an aiortc upgrade that moves one fails
loudly.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.codecs import is_rtx
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTP_HISTORY_SIZE,
    HeaderExtensionsMap,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpSrPacket,
    RtpPacket,
    pack_remb_fci,
    unpack_remb_fci,
    unwrap_rtx,
)

from . import guard, vp8
from .bandwidth import Link
from .messages import Kind

logger = logging.getLogger(__name__)

StreamKey = tuple[str, str]
"""(participant, kind) of a published stream: what a subscriber receives."""
CLOCK_RATES: dict[str, int] = {"audio": 48000, "video": 90000}
SHIFTS_KEPT = 64
"""Sequence-number offsets a sink remembers for packets that arrive late: one per run of
dropped packets, so the last 64 dropped frames (4 s and more)."""

# aiortc private names, kept in one place (checked by verify_aiortc_internals)
_RX = "_RTCRtpReceiver__"
_TX = "_RTCRtpSender__"
RECEIVER_PRIVATE = (
    "codecs",
    "remote_streams",
    "rtx_ssrc",
    "nack_generator",
    "remote_bitrate_estimator",
)
SENDER_PRIVATE = (
    "rtp_history",
    "rtp_header_extensions_map",
    "ntp_timestamp",
    "rtp_timestamp",
    "octet_count",
    "packet_count",
)
_TX_NTP, _TX_RTP_TS = _TX + "ntp_timestamp", _TX + "rtp_timestamp"
_TX_OCTETS, _TX_PACKETS = _TX + "octet_count", _TX + "packet_count"


class PlaceholderTrack(MediaStreamTrack):
    """A track that never produces a frame: it parks aiortc's sender loop."""

    def __init__(self, kind: Kind) -> None:
        super().__init__()
        self.kind = kind

    async def recv(self) -> Any:
        await asyncio.Future()  # until the sender is stopped (cancelled)


is_vp8_keyframe_start = vp8.is_keyframe_start


@dataclass(eq=False)
class Source:
    """One published stream: a participant's microphone or camera as its receiver gets it."""

    participant: str
    kind: Kind
    receiver: RTCRtpReceiver
    enabled: bool = True
    """False while forwarding is stopped (server-side mute)."""
    media_ssrc: int | None = None
    sinks: set[Sink] = field(default_factory=set)
    packets: int = 0
    errors: int = 0
    last_keyframe_request: float = -1e9
    keyframe_requests: int = 0
    keyframe_pending: bool = False
    octets: int = 0
    """Bytes received (payload and header), for the stream's rate."""
    spoken: int = 0
    """Packets that carried a voice level (audio), since start: who is speaking."""
    voiced: int = 0
    """Packets since the last ``take_voice`` whose RFC 6464 level is voice."""
    leveled: int = 0
    """Packets since the last ``take_voice`` that carried an audio level."""
    layers: int = 1
    """Temporal layers the publisher sends (1: none marked; 3 at L1T3)."""
    layer_octets: list[int] = field(default_factory=lambda: [0] * vp8.LAYERS)
    """Bytes received in each temporal layer (a stream without layers counts as layer 0)."""


@dataclass(eq=False)
class Sink:
    """One subscribed stream: a subscriber's sender and the source it currently carries."""

    sender: RTCRtpSender
    kind: Kind
    subscriber: str
    source: Source | None = None
    payload_type: int = 0
    mid: str | None = None
    rebase: bool = True
    waiting_keyframe: bool = False
    waiting_since: float = 0.0
    seq_offset: int = 0
    ts_offset: int = 0
    last_seq: int = 0
    last_ts: int = 0
    last_time: float = 0.0
    ts_source: Source | None = None
    history: dict[int, RtpPacket] = field(default_factory=dict)
    """The sender's RTP history (aiortc retransmits from it on NACK)."""
    extensions_map: HeaderExtensionsMap = field(default_factory=HeaderExtensionsMap)
    """The sender's header extension ids (configured when it starts)."""
    link: Link | None = None
    """The subscriber's downlink (rtc/bandwidth.py): its estimate and its repair budget."""
    paused: bool = False
    """A video paused because the subscriber's link cannot take it (nothing is sent)."""
    layer: int = vp8.LAYERS - 1
    """The highest temporal layer sent (frames of higher layers are dropped whole)."""
    target: int = vp8.LAYERS - 1
    """The layer the subscriber's link chose; a step down applies at the next frame, a step
    up at the next frame that may start it (a layer sync or a keyframe)."""
    target_since: float = 0.0
    shifts: list[tuple[int, int, int]] = field(default_factory=list)
    """(first incoming sequence number, offset, frames dropped) for the last offsets: a packet
    that arrives late (a retransmission from the publisher) is numbered as its place was."""
    frames_dropped: int = 0
    """Frames not sent because their layer is above ``layer`` (since the last rebase)."""
    last_pli: float = -1e9
    sent: int = 0
    retransmit_requests: int = 0
    keyframe_requests: int = 0


class Forwarder:
    """Binds receivers (sources) and senders (sinks) and moves RTP between them."""

    def __init__(
        self,
        *,
        keyframe_throttle: float = 0.3,
        keyframe_retry: float = 1.0,
        sink_keyframe_interval: float = 1.0,
        speaking_threshold_dbov: int = 50,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keyframe_throttle = keyframe_throttle
        self.keyframe_retry = keyframe_retry
        self.sink_keyframe_interval = sink_keyframe_interval
        self.speaking_threshold = speaking_threshold_dbov
        self._clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        self.errors = 0
        """Exceptions caught in the data path (each would have closed a peer connection)."""
        self.received: dict[str, int] = {"audio": 0, "video": 0}
        """RTP packets received from publishers, by kind, since start (for metrics)."""
        self.forwarded: dict[str, int] = {"audio": 0, "video": 0}
        """RTP packets sent to subscribers, by kind, since start (for metrics)."""
        guard.install()
        self.dropped = guard.DROPPED
        """Datagrams dropped at the network edge (process-wide): foreign source, or malformed."""

    # --- binding ---

    def add_source(self, receiver: RTCRtpReceiver, participant: str, kind: Kind) -> Source:
        """Take over a publish receiver's packets: from now on they are forwarded, not decoded."""
        source = Source(participant=participant, kind=kind, receiver=receiver)

        async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
            try:
                await self._on_rtp(source, packet, arrival_time_ms)
            except Exception:  # never let it reach aiortc: it would close the connection
                source.errors += 1
                self.errors += 1
                if source.errors == 1:
                    logger.exception("forwarding error (participant %s)", participant)

        receiver._handle_rtp_packet = handle  # type: ignore[method-assign]
        return source

    def remove_source(self, source: Source) -> None:
        """Stop forwarding a source; its sinks go idle until connected elsewhere."""
        for sink in list(source.sinks):
            self.connect(sink, None)
        source.enabled = False

    def add_sink(self, sender: RTCRtpSender, kind: Kind, subscriber: str,
                  link: Link | None = None) -> Sink:
        """Take over a subscribe sender: keyframe requests it gets go to its current source
        (at most one a ``sink_keyframe_interval`` from one sink), retransmissions are spent
        from the subscriber's ``link`` budget, and its REMB and loss reports fill the link."""
        sink = Sink(sender=sender, kind=kind, subscriber=subscriber, link=link)
        sink.history = getattr(sender, _TX + "rtp_history")  # fixed objects for the sender's life
        sink.extensions_map = getattr(sender, _TX + "rtp_header_extensions_map")
        retransmit = sender._retransmit
        handle_rtcp = sender._handle_rtcp_packet

        def keyframe() -> None:
            sink.keyframe_requests += 1
            now = self._clock()
            if sink.source is None or sink.paused or sink.waiting_keyframe \
                    or now - sink.last_pli < self.sink_keyframe_interval:
                return  # one weak receiver must not make every publisher send keyframes
            sink.last_pli = now
            self.request_keyframe(sink.source)

        async def counted_retransmit(sequence_number: int) -> None:
            sink.retransmit_requests += 1
            packet = sink.history.get(sequence_number % RTP_HISTORY_SIZE)
            if packet is None or sink.paused:
                return
            if link is not None and not link.may_repair(len(packet.payload) + 12,
                                                        self._clock()):
                return
            await retransmit(sequence_number)

        async def reported(packet: Any) -> None:
            if link is not None:
                if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                    with contextlib.suppress(ValueError):
                        link.remb(unpack_remb_fci(packet.fci)[0], self._clock())
                elif isinstance(packet, RtcpRrPacket | RtcpSrPacket):
                    for report in packet.reports:
                        if report.ssrc == sender._ssrc:
                            link.report(report.fraction_lost)
            await handle_rtcp(packet)

        sender._send_keyframe = keyframe  # type: ignore[method-assign]
        sender._retransmit = counted_retransmit  # type: ignore[method-assign]
        sender._handle_rtcp_packet = reported  # type: ignore[method-assign]
        return sink

    def pause(self, sink: Sink, paused: bool) -> None:
        """Stop (or start again) sending a video to a subscriber whose link cannot take it;
        a resumed video starts at a keyframe, with contiguous sequence numbers."""
        if sink.paused == paused:
            return
        sink.paused = paused
        if not paused and sink.source is not None:
            sink.waiting_keyframe, sink.waiting_since, sink.rebase = True, self._clock(), True
            self.request_keyframe(sink.source)

    def set_layer(self, sink: Sink, layer: int) -> None:
        """Send a video's temporal layers up to ``layer`` (0: the base only) to a subscriber."""
        layer = min(max(layer, 0), vp8.LAYERS - 1)
        if sink.target != layer:
            sink.target, sink.target_since = layer, self._clock()

    def now(self) -> float:
        """The forwarder's clock (what ``Link`` times are measured in)."""
        return self._clock()

    def configure_sink(self, sink: Sink, transceiver: RTCRtpTransceiver) -> None:
        """Read the negotiated payload type and mid of a sink's transceiver."""
        codecs = [c for c in transceiver._codecs if not is_rtx(c)]
        if codecs and codecs[0].payloadType is not None:
            sink.payload_type = codecs[0].payloadType
        sink.mid = transceiver.mid

    def connect(self, sink: Sink, source: Source | None) -> None:
        """Point a sink at a source (or at nothing); sequence numbers keep increasing."""
        if sink.source is source:
            return
        if sink.source is not None:
            sink.source.sinks.discard(sink)
        sink.source = source
        sink.rebase = True
        if source is not None:
            source.sinks.add(sink)
            if sink.kind == "video":
                sink.waiting_keyframe = True
                sink.waiting_since = self._clock()
                self.request_keyframe(source)

    def resume(self, source: Source) -> None:
        """Re-base every sink of a source after a pause (keeps sequence numbers contiguous)."""
        for sink in source.sinks:
            sink.rebase = True

    # --- keyframes ---

    def request_keyframe(self, source: Source) -> None:
        """Ask a publisher for a keyframe (PLI), throttled; a throttled request is deferred."""
        if source.kind != "video" or source.keyframe_pending:
            return
        wait = source.last_keyframe_request + self.keyframe_throttle - self._clock()
        source.keyframe_pending = True
        if wait > 0:
            asyncio.get_running_loop().call_later(wait, self._spawn_pli, source)
        else:
            self._spawn_pli(source)

    def _spawn_pli(self, source: Source) -> None:
        task = asyncio.ensure_future(self._send_pli(source))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_pli(self, source: Source) -> None:
        source.keyframe_pending = False
        source.last_keyframe_request = self._clock()
        if source.media_ssrc is None:
            return
        source.keyframe_requests += 1
        try:
            await source.receiver._send_rtcp_pli(source.media_ssrc)
        except Exception:  # a closing transport must not take anything else down
            self.errors += 1

    # --- data path ---

    async def _on_rtp(self, source: Source, packet: RtpPacket, arrival_time_ms: int) -> None:
        receiver = source.receiver
        codecs = getattr(receiver, _RX + "codecs")
        codec = codecs.get(packet.payload_type)
        if codec is None:
            return
        if source.kind == "video":
            estimator = getattr(receiver, _RX + "remote_bitrate_estimator")
            rtcp_ssrc = getattr(receiver, _RX + "rtcp_ssrc")
            if estimator is not None and packet.extensions.abs_send_time is not None:
                remb = estimator.add(
                    abs_send_time=packet.extensions.abs_send_time,
                    arrival_time_ms=arrival_time_ms,
                    payload_size=len(packet.payload) + packet.padding_size,
                    ssrc=packet.ssrc,
                )
                if rtcp_ssrc is not None and remb is not None:
                    await receiver._send_rtcp(
                        RtcpPsfbPacket(
                            fmt=RTCP_PSFB_APP,
                            ssrc=rtcp_ssrc,
                            media_ssrc=0,
                            fci=pack_remb_fci(*remb),
                        )
                    )
        streams = getattr(receiver, _RX + "remote_streams")
        stats = streams.get(packet.ssrc)
        if stats is None:
            stats = streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        stats.add(packet)
        if is_rtx(codec):
            original_ssrc = getattr(receiver, _RX + "rtx_ssrc").get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or len(packet.payload) < 2 or apt not in codecs:
                return
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
        source.media_ssrc = packet.ssrc
        nack = getattr(receiver, _RX + "nack_generator")
        if nack is not None and nack.add(packet):
            await receiver._send_rtcp_nack(packet.ssrc, sorted(nack.missing))
        source.packets += 1
        size = len(packet.payload) + 12
        source.octets += size
        self.received[source.kind] += 1
        desc = None
        if source.kind == "video":
            desc = vp8.parse(packet.payload)
            tid = desc.tid if desc is not None and desc.tid is not None else 0
            if tid < vp8.LAYERS:
                source.layer_octets[tid] += size
                if tid >= source.layers:
                    source.layers = tid + 1
        level = packet.extensions.audio_level
        if level is not None:
            source.leveled += 1
            if level[1] <= self.speaking_threshold:
                source.voiced += 1
                source.spoken += 1
        if not source.enabled or not source.sinks:
            return
        now, ntp = self._clock(), _ntp_now()
        for sink in list(source.sinks):
            await self._send(sink, source, packet, desc, now, ntp)

    async def _send(
        self, sink: Sink, source: Source, packet: RtpPacket, desc: vp8.Descriptor | None,
        now: float, ntp: int
    ) -> None:
        if sink.paused:
            return
        if sink.waiting_keyframe:
            if desc is None or not desc.keyframe:
                if now - sink.waiting_since >= self.keyframe_retry:
                    sink.waiting_since = now
                    self.request_keyframe(source)
                return
            sink.waiting_keyframe = False
        if sink.rebase:
            sink.rebase = False
            sink.seq_offset = (sink.last_seq + 1 - packet.sequence_number) & 0xFFFF
            sink.frames_dropped = 0
            sink.shifts = [(packet.sequence_number, sink.seq_offset, 0)]
            if sink.ts_source is not source:
                elapsed = int(max(now - sink.last_time, 0.001) * CLOCK_RATES[sink.kind])
                sink.ts_offset = (sink.last_ts + elapsed - packet.timestamp) & 0xFFFFFFFF
                sink.ts_source = source
        payload = packet.payload
        offset = sink.seq_offset
        if desc is not None and desc.tid is not None:
            seq_in = packet.sequence_number
            dropped = sink.frames_dropped
            late = bool(sink.shifts) and ((seq_in - sink.shifts[-1][0]) & 0xFFFF) >= 0x8000
            if late:  # a retransmission or a reordered packet: numbered as its place was
                offset, dropped = next(((o, d) for s, o, d in reversed(sink.shifts)
                                        if ((seq_in - s) & 0xFFFF) < 0x8000), (offset, dropped))
            elif desc.start:
                self._next_frame(sink, source, desc, now)
                dropped = sink.frames_dropped
            if desc.tid > sink.layer:  # the receiver sees contiguous sequence numbers
                if not late:
                    sink.seq_offset = (sink.seq_offset - 1) & 0xFFFF
                    shift = ((seq_in + 1) & 0xFFFF, sink.seq_offset, dropped)
                    if sink.shifts and sink.shifts[-1][0] == seq_in:  # the same dropped run
                        sink.shifts[-1] = shift
                    else:
                        sink.shifts.append(shift)
                        del sink.shifts[:-SHIFTS_KEPT]
                return
            if dropped and desc.picture_id is not None:
                payload = vp8.with_picture_id(payload, desc, desc.picture_id - dropped)
        sender = sink.sender
        seq = (packet.sequence_number + offset) & 0xFFFF
        out = RtpPacket(
            payload_type=sink.payload_type,
            marker=packet.marker,
            sequence_number=seq,
            timestamp=(packet.timestamp + sink.ts_offset) & 0xFFFFFFFF,
            ssrc=sender._ssrc,
            payload=payload,
        )
        out.extensions.mid = sink.mid
        out.extensions.audio_level = packet.extensions.audio_level
        if sink.kind == "video":
            out.extensions.abs_send_time = (ntp >> 14) & 0x00FFFFFF
        if ((seq - sink.last_seq) & 0xFFFF) < 0x8000:  # newer than the newest sent
            sink.last_seq, sink.last_ts, sink.last_time = seq, out.timestamp, now
        sink.history[seq % RTP_HISTORY_SIZE] = out
        try:
            await sender.transport._send_rtp(out.serialize(sink.extensions_map))
        except ConnectionError:
            return
        sink.sent += 1
        self.forwarded[sink.kind] += 1
        # what aiortc's sender reports (RTCP SR) is what this module sent on its behalf
        setattr(sender, _TX_NTP, ntp)
        setattr(sender, _TX_RTP_TS, out.timestamp)
        setattr(sender, _TX_OCTETS, getattr(sender, _TX_OCTETS) + len(out.payload))
        setattr(sender, _TX_PACKETS, getattr(sender, _TX_PACKETS) + 1)

    def _next_frame(self, sink: Sink, source: Source, desc: vp8.Descriptor, now: float) -> None:
        """At the first packet of a frame: apply the chosen layer and decide whether this
        frame is sent. Down at once; up one layer at a frame of that layer that depends on
        base frames only (Y), or at a keyframe; a step up that waits long asks for one."""
        tid = desc.tid or 0
        if desc.keyframe or sink.target < sink.layer:
            sink.layer = sink.target
        elif sink.target > sink.layer:
            if desc.sync and tid == sink.layer + 1:
                sink.layer = tid
            elif now - sink.target_since >= self.keyframe_retry:
                sink.target_since = now
                self.request_keyframe(source)
        if tid > sink.layer:
            sink.frames_dropped += 1

    @staticmethod
    def take_voice(source: Source) -> tuple[int, int]:
        """Return and reset (voiced packets, packets with a level) since the last call."""
        voiced, leveled = source.voiced, source.leveled
        source.voiced = source.leveled = 0
        return voiced, leveled


def _ntp_now() -> int:
    now = time.time() + 2208988800
    seconds = int(now)
    return (seconds << 32) | int((now - seconds) * (1 << 32))


def verify_aiortc_internals(transceiver: RTCRtpTransceiver) -> None:
    """Raise RuntimeError if an aiortc internal this module relies on has moved."""
    problems: list[str] = []
    receiver, sender = transceiver.receiver, transceiver.sender
    for name in RECEIVER_PRIVATE + ("rtcp_ssrc",):
        if not hasattr(receiver, _RX + name):
            problems.append(f"RTCRtpReceiver.__{name}")
    for name in SENDER_PRIVATE:
        if not hasattr(sender, _TX + name):
            problems.append(f"RTCRtpSender.__{name}")
    expected: list[tuple[object, str, list[str]]] = [
        (RTCRtpReceiver, "_handle_rtp_packet", ["self", "packet", "arrival_time_ms"]),
        (RTCRtpReceiver, "_send_rtcp", ["self", "packet"]),
        (RTCRtpReceiver, "_send_rtcp_nack", ["self", "media_ssrc", "lost"]),
        (RTCRtpReceiver, "_send_rtcp_pli", ["self", "media_ssrc"]),
        (RTCRtpSender, "_retransmit", ["self", "sequence_number"]),
        (RTCRtpSender, "_send_keyframe", ["self"]),
        (RTCRtpSender, "_handle_rtcp_packet", ["self", "packet"]),
        (type(sender.transport), "_send_rtp", ["self", "data"]),
    ]
    for owner, name, params in expected:
        fn = getattr(owner, name, None)
        if fn is None:
            problems.append(f"{getattr(owner, '__name__', owner)}.{name} missing")
        elif list(inspect.signature(fn).parameters) != params:
            problems.append(f"{getattr(owner, '__name__', owner)}.{name} signature changed")
    for name in ("_ssrc", "_rtx_ssrc"):
        if not isinstance(getattr(sender, name, None), int):
            problems.append(f"RTCRtpSender.{name}")
    if not isinstance(getattr(transceiver, "_codecs", None), list):
        problems.append("RTCRtpTransceiver._codecs")
    if RTP_HISTORY_SIZE <= 0:
        problems.append("aiortc.rtp.RTP_HISTORY_SIZE")
    problems += guard.verify(transceiver)
    if problems:
        raise RuntimeError(
            "aiortc internals used by rtc/forwarder.py (or rtc/guard.py) moved: "
            + ", ".join(problems)
        )
