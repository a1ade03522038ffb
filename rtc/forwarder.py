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

* receive: a publisher's RTP is taken from its UDP socket by ``_tap`` (through rtc/guard.py,
  which hands it RTP and RTCP from the validated address): SRTP unprotect, parse and routing as
  aiortc's ``RTCDtlsTransport._recv_next`` does them, then ``_on_rtp``, in the datagram
  callback itself: no queue, task switch or coroutine per packet. ``_on_rtp`` does what aiortc's
  receiver does *before* depacketising (RTCP receiver statistics, RTX unwrapping, NACK
  generation, REMB estimation for video) and then, instead of feeding the jitter buffer and the
  decoder thread, hands the packet to every sink of the source. RTCP, and RTP before DTLS is
  up, take aiortc's own receive loop, whose receiver's ``_handle_rtp_packet`` is replaced on
  the instance to reach ``_on_rtp`` too. The decoder thread aiortc starts stays idle. Any
  exception is caught and counted: one escaping would tear down the publisher's whole peer
  connection.
* send: for each sink the packet is written once as bytes with the sender's SSRC, the
  negotiated payload type and extension ids, and sequence number / timestamp rewritten as
  ``(in + offset) mod 2^n``. Offsets are re-based whenever a sink switches source or resumes,
  so the sender's sequence numbers keep increasing (SRTP replay protection would silently drop
  a repeat). On a direct route (``_route``: the nominated pair is plain UDP, DTLS is up) one C
  call (rtc/srtpwire.py's ``forward``) writes it, keeps it, protects it with the DTLS
  transport's SRTP session and sends it with one ``sendto`` on the pair's socket; without the
  C part, rtc/rtpwire.py writes it and ``_transmit`` does the rest through pylibsrtp and the
  transport. A relayed pair, or a transport not yet connected, goes through aiortc's
  ``_send_rtp`` instead. The bytes are kept by
  sequence number; a NACK is answered from them through aiortc's ``_retransmit`` (RTX), and
  the sender's report counters are updated here, so sender reports keep working inside aiortc.
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

import pylibsrtp
from aioice.ice import Connection, StunProtocol
from aiortc import RTCDtlsTransport, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc import clock as aiortc_clock
from aiortc.codecs import is_rtx
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcdtlstransport import State as DtlsState
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
    wrap_rtx,
)

from . import guard, rtpwire, srtpwire, vp8
from .bandwidth import Link
from .messages import Kind

logger = logging.getLogger(__name__)

StreamKey = tuple[str, str]
"""(participant, kind) of a published stream: what a subscriber receives."""
CLOCK_RATES: dict[str, int] = {"audio": 48000, "video": 90000}
REPORT_EVERY = 16
"""A sink brings aiortc's counters of what it sent up to date every this many packets (RTCP
sender reports go out about once a second; 16 audio packets are a third of one)."""
LOSS_PASSED_ON = 13
"""The most of its subscribers' loss a publisher is told of for its audio (a fraction of 256:
5 %), whatever the weakest subscriber loses. Enough for Opus to add in-band FEC, which costs
every listener a little of the voice's bits (the more loss Opus is told of, the more), so one
very weak link does not take more; and the report's cumulative count of lost packets stays the
publisher's own. (A sender that weighs each stream's fraction by its packets for its
loss-based bandwidth control, as older WebRTC did, sees 5 % on audio alone as under the 2 %
that would hold its video back.)"""
LOSS_PASSED_FOR = 10.0
"""Seconds a subscriber's report of loss on an audio stream counts: until its next one (a
browser reports on audio every 2.5-7.5 s: WebRTC's interval for audio is 5 s, randomised by
half either way), but a subscriber that stopped reporting, or left, soon no longer counts.
(At 5 s, the bench's publishers were told of loss only 60-90 % of the time at 3 % loss.)"""
PAD_BURST = 0.05
"""Seconds of a probe's padding sent at once at most (after one packet of the video)."""
PAD_BACK = 16
"""Padding copies the last this many packets sent, in turn."""
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
    "rtx_payload_type",
    "rtx_sequence_number",
    "lsr",
    "lsr_time",
)
_TX_NTP, _TX_RTP_TS = _TX + "ntp_timestamp", _TX + "rtp_timestamp"
_TX_RTX_PT, _TX_RTX_SEQ = _TX + "rtx_payload_type", _TX + "rtx_sequence_number"
_TX_LSR, _TX_LSR_TIME = _TX + "lsr", _TX + "lsr_time"
_TX_OCTETS, _TX_PACKETS = _TX + "octet_count", _TX + "packet_count"
_DTLS = "_RTCDtlsTransport__"
_DTLS_RX_BYTES, _DTLS_RX_PACKETS = _DTLS + "rx_bytes", _DTLS + "rx_packets"
_DTLS_TX_BYTES, _DTLS_TX_PACKETS = _DTLS + "tx_bytes", _DTLS + "tx_packets"
_DTLS_CONNECTED = DtlsState.CONNECTED
_MAP_IDS = "_HeaderExtensionsMap__ids"


class PassedOnLoss(StreamStatistics):
    """An audio stream's statistics, as aiortc's receiver reports them to the publisher, with
    the fraction lost raised to what its subscribers lose (``Forwarder.subscribers_loss``).
    A browser's Opus adds in-band FEC (each packet carries a coarse copy of the one before)
    only when its reports show loss, and the publisher's own link seldom loses: without this a
    subscriber on a lossy link got no FEC to repair with (LiveKit passes its subscribers' audio
    loss on in the same way)."""

    def __init__(self, clockrate: int, subscribers_loss: Callable[[], int]) -> None:
        super().__init__(clockrate)
        self.subscribers_loss = subscribers_loss

    @property
    def fraction_lost(self) -> int:
        return max(super().fraction_lost, self.subscribers_loss())


class PlaceholderTrack(MediaStreamTrack):
    """A track that never produces a frame: it parks aiortc's sender loop."""

    def __init__(self, kind: Kind) -> None:
        super().__init__()
        self.kind = kind

    async def recv(self) -> Any:
        await asyncio.Future()  # until the sender is stopped (cancelled)


is_vp8_keyframe_start = vp8.is_keyframe_start
SENT = b""
"""What ``_rewrite`` returns for a packet it has sent itself (rtc/srtpwire.py's ``forward``;
compared by identity: CPython has one empty bytes object)."""


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
    small: Source | None = None
    """The same camera as a small picture (the publisher's second video section, a quarter of
    the pixels): what a thumbnail or a weak link gets instead (``Forwarder.switch``)."""
    remb_receiver: RTCRtpReceiver | None = None
    """The receiver whose bandwidth estimate this stream's packets feed (a small picture's is
    its camera's: one estimate, and one REMB, for everything the publisher sends); None: its
    own."""


@dataclass(eq=False)
class Sink:
    """One subscribed stream: a subscriber's sender and the source it currently carries."""

    sender: RTCRtpSender
    kind: Kind
    subscriber: str
    source: Source | None = None
    pending: Source | None = None
    """A source the sink moves to at that source's next keyframe (``Forwarder.switch``); until
    then it keeps sending its current one."""
    pending_since: float = 0.0
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
    reported: int = 0
    """``sent`` when the sender's report counters were last brought up to date."""
    rr_fraction: int = 0
    rr_at: float = -1e9
    """The fraction lost (of 256) of the subscriber's last receiver report on this stream, and
    when it came."""
    rr_highest: int | None = None
    """The highest sequence number the subscriber's last receiver report on this stream had
    seen (extended): the packets the next report covers are the difference."""
    octets: int = 0
    """Payload bytes sent since then."""
    wire_octets: int = 0
    wire_packets: int = 0
    """SRTP bytes and packets ``_transmit`` sent since then (the DTLS transport's counters)."""
    ring: list[bytes | None] = field(default_factory=lambda: [None] * RTP_HISTORY_SIZE)
    """The last packets sent, as bytes before SRTP, by sequence number: a NACK is answered
    from here (only then is an aiortc ``RtpPacket`` made, for aiortc's RTX)."""
    ext_ids: Any = None
    """The sender's negotiated extension ids (aiortc's object; configured when it starts)."""
    ext_key: tuple[Any, ...] = ()
    ext: rtpwire.Extensions = field(default_factory=rtpwire.Extensions)
    mid_element: bytes = b""
    one_byte: bool = True
    padding: float = 0.0
    """Bits per second of padding to send with this video while its link probes for its
    whole camera (``Link.padding``, set by rtc/subscriptions.py); 0: none."""
    pad_credit: float = 0.0
    pad_at: float = 0.0
    pad_back: int = 0
    """Which of the last packets sent the next padding copies (counting back)."""
    wire: tuple[Any, ...] | None = None
    """How its packets reach the subscriber's socket (``Forwarder._route``)."""


class Forwarder:
    """Binds receivers (sources) and senders (sinks) and moves RTP between them."""

    def __init__(
        self,
        *,
        keyframe_throttle: float = 0.3,
        keyframe_retry: float = 1.0,
        sink_keyframe_interval: float = 1.0,
        speaking_threshold_dbov: int = 50,
        native_wire: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.native = native_wire and srtpwire.AVAILABLE
        """SRTP and ``sendto`` in one C call (rtc/srtpwire.py), where it is built."""
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
        self.direct = 0
        """Of those, sent straight to the subscriber's socket (``_transmit``), not through
        aiortc's coroutines: all of them once a connection is up on a plain UDP pair."""
        self.padded = 0
        """Padding packets sent for probes (``_pad``; counted in ``direct`` too)."""
        self.tapped = 0
        """RTP packets taken from a publisher's socket by ``_tap`` (not aiortc's receive loop)."""
        self._by_receiver: dict[RTCRtpReceiver, Source] = {}
        guard.install()
        self.dropped = guard.DROPPED
        """Datagrams dropped at the network edge (process-wide): foreign source, or malformed."""

    # --- binding ---

    def add_source(self, receiver: RTCRtpReceiver, participant: str, kind: Kind) -> Source:
        """Take over a publish receiver's packets: from now on they are forwarded, not decoded.
        Packets reach ``_on_rtp`` from the publisher's socket through ``_tap``, or (before the
        tap has what it needs, and in tests) through aiortc's receive loop and ``handle``."""
        source = Source(participant=participant, kind=kind, receiver=receiver)
        self._by_receiver[receiver] = source

        async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
            for sink, data in self._deliver(source, packet, arrival_time_ms):
                await self._send_later(sink, data)

        receiver._handle_rtp_packet = handle  # type: ignore[method-assign]
        dtls = receiver.transport
        connection = getattr(dtls.transport, "_connection", None)
        if isinstance(connection, Connection) and not guard.tapped(connection):
            guard.set_tap(connection, self._tap(dtls))
        return source

    def _deliver(self, source: Source, packet: RtpPacket,
                 arrival_time_ms: int) -> list[tuple[Sink, bytes]]:
        """Forward one packet; what could not be sent at once is returned to be awaited."""
        try:
            return self._on_rtp(source, packet, arrival_time_ms)
        except Exception:  # never let it reach aiortc: it would close the connection
            self._failed(source)
            return []

    def _failed(self, source: Source | None) -> None:
        """Count (and log the first of a source's) exceptions caught in the data path."""
        self.errors += 1
        if source is not None:
            source.errors += 1
            if source.errors == 1:
                logger.exception("forwarding error (participant %s)", source.participant)

    def _tap(self, dtls: RTCDtlsTransport) -> Callable[[bytes], bool]:
        """What a publisher's datagrams meet first (rtc/guard.py calls it for RTP and RTCP
        from the validated address): an SRTP packet is unprotected, parsed and routed as
        aiortc's ``_recv_next`` would, and forwarded at once, with no queue, task switch or
        coroutine in between. RTCP, and anything before DTLS is up, goes to aiortc as before."""
        router = dtls._rtp_router
        native = srtpwire.native if self.native else None
        session: list[Any] = [None, 0]  # the SRTP session last seen, and its srtp_t

        def tap(data: bytes) -> bool:
            srtp = dtls._rx_srtp
            if srtp is None or len(data) < 12 or 191 < data[1] < 224:
                return False
            arrival = aiortc_clock.current_ms()
            try:
                if native is None:
                    plain = srtp.unprotect(data)
                else:
                    if session[0] is not srtp:
                        session[:] = srtp, srtpwire.session_address(srtp)
                    plain = native.unprotect(session[1], data)
                    if plain is None:
                        return True  # dropped, as aiortc drops it
                packet = RtpPacket.parse(plain, dtls._rtp_header_extensions_map)
            except (pylibsrtp.Error, ValueError):
                return True  # dropped, as aiortc drops it
            setattr(dtls, _DTLS_RX_BYTES, getattr(dtls, _DTLS_RX_BYTES) + len(data))
            setattr(dtls, _DTLS_RX_PACKETS, getattr(dtls, _DTLS_RX_PACKETS) + 1)
            receiver = router.route_rtp(packet)
            source = self._by_receiver.get(receiver)  # type: ignore[call-overload]
            if source is not None:
                self.tapped += 1
                later = self._deliver(source, packet, arrival)
                if later:
                    self._spawn(self._send_all(later))
            elif receiver is not None:
                self._spawn(receiver._handle_rtp_packet(packet, arrival_time_ms=arrival))
            return True

        return tap

    def remove_source(self, source: Source) -> None:
        """Stop forwarding a source (and its small picture); its sinks go idle until connected
        elsewhere (a sink only moving to it stays where it is)."""
        for sink in list(source.sinks):
            if sink.pending is source:
                self._unpend(sink)
            else:
                self.connect(sink, None)
        source.enabled = False
        self._by_receiver.pop(source.receiver, None)
        if source.small is not None:
            self.remove_source(source.small)

    def add_sink(self, sender: RTCRtpSender, kind: Kind, subscriber: str,
                  link: Link | None = None) -> Sink:
        """Take over a subscribe sender: keyframe requests it gets go to its current source
        (at most one a ``sink_keyframe_interval`` from one sink), retransmissions are spent
        from the subscriber's ``link`` budget, and its REMB and loss reports fill the link."""
        sink = Sink(sender=sender, kind=kind, subscriber=subscriber, link=link)
        sink.history = getattr(sender, _TX + "rtp_history")  # fixed objects for the sender's life
        sink.extensions_map = getattr(sender, _TX + "rtp_header_extensions_map")
        sink.ext_ids = getattr(sink.extensions_map, _MAP_IDS)
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
            index = sequence_number % RTP_HISTORY_SIZE
            data = sink.ring[index]
            if data is None or rtpwire.sequence_number(data) != sequence_number or sink.paused:
                return
            if link is not None:  # the speaker's repairs first
                first = sink.source is not None and sink.source.participant == link.first
                if not link.may_repair(len(data), self._clock(), first):
                    return
            sink.history[index] = RtpPacket.parse(data, sink.extensions_map)
            await retransmit(sequence_number)  # aiortc's: RTX, its own sequence numbers

        async def reported(packet: Any) -> None:
            if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
                for report in packet.reports:
                    if report.ssrc == sender._ssrc:
                        sink.rr_fraction, sink.rr_at = report.fraction_lost, self._clock()
            if link is not None:
                if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                    with contextlib.suppress(ValueError):
                        link.remb(unpack_remb_fci(packet.fci)[0], self._clock())
                elif isinstance(packet, RtcpRrPacket | RtcpSrPacket):
                    for report in packet.reports:
                        if report.ssrc == sender._ssrc:
                            last, sink.rr_highest = sink.rr_highest, report.highest_sequence
                            covered = 0 if last is None else report.highest_sequence - last
                            link.report(report.fraction_lost,
                                        covered if 0 <= covered < 1 << 15 else 0)
                            if report.lsr and report.lsr == getattr(sender, _TX_LSR):
                                sent = getattr(sender, _TX_LSR_TIME)  # our last sender report
                                link.round_trip(time.time() - sent - report.dlsr / 65536)
            await handle_rtcp(packet)

        sender._send_keyframe = keyframe  # type: ignore[method-assign]
        sender._retransmit = counted_retransmit  # type: ignore[method-assign]
        sender._handle_rtcp_packet = reported  # type: ignore[method-assign]
        return sink

    def streams(self) -> int:
        """Streams forwarded now: one subscriber's copy of one published stream each."""
        return sum(len(source.sinks) for source in self._by_receiver.values())

    def subscribers_loss(self, source: Source) -> int:
        """What the subscribers of an audio stream lose at worst, lately (``LOSS_PASSED_FOR``),
        as a fraction of 256, at most ``LOSS_PASSED_ON``."""
        since = self._clock() - LOSS_PASSED_FOR
        worst = max((s.rr_fraction for s in source.sinks if s.rr_at >= since), default=0)
        return min(worst, LOSS_PASSED_ON)

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
        sink.wire = None  # written with the new payload type from now on

    def connect(self, sink: Sink, source: Source | None) -> None:
        """Point a sink at a source (or at nothing); sequence numbers keep increasing."""
        self._unpend(sink)
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

    def switch(self, sink: Sink, source: Source | None) -> None:
        """Move a video sink to another source of the same camera (its small picture, or back)
        without a gap: it keeps sending the current one until the new one's next keyframe,
        which is asked for at once (``connect`` if nothing is being sent)."""
        if sink.source is None or source is None or sink.paused or sink.waiting_keyframe:
            self.connect(sink, source)
            return
        if sink.source is source or sink.pending is source:
            if sink.source is source:
                self._unpend(sink)
            return
        self._unpend(sink)
        sink.pending, sink.pending_since = source, self._clock()
        source.sinks.add(sink)
        self.request_keyframe(source)

    def _unpend(self, sink: Sink) -> None:
        if sink.pending is not None:
            if sink.pending is not sink.source:
                sink.pending.sinks.discard(sink)
            sink.pending = None

    def _moved(self, sink: Sink, source: Source) -> None:
        """A pending switch happens: the new source's keyframe starts."""
        if sink.source is not None:
            sink.source.sinks.discard(sink)
        sink.source, sink.pending, sink.rebase = source, None, True

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
        self._spawn(self._send_pli(source))

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
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

    def _on_rtp(self, source: Source, packet: RtpPacket,
                arrival_time_ms: int) -> list[tuple[Sink, bytes]]:
        """What aiortc's receiver does before depacketising, then one rewritten copy for each
        sink, sent at once where ``_transmit`` can; the rest is returned to be awaited."""
        receiver = source.receiver
        codecs = getattr(receiver, _RX + "codecs")
        codec = codecs.get(packet.payload_type)
        if codec is None:
            return []
        if source.kind == "video":
            rx = source.remb_receiver or receiver
            estimator = getattr(rx, _RX + "remote_bitrate_estimator")
            rtcp_ssrc = getattr(rx, _RX + "rtcp_ssrc")
            if estimator is not None and packet.extensions.abs_send_time is not None:
                remb = estimator.add(
                    abs_send_time=packet.extensions.abs_send_time,
                    arrival_time_ms=arrival_time_ms,
                    payload_size=len(packet.payload) + packet.padding_size,
                    ssrc=packet.ssrc,
                )
                if rtcp_ssrc is not None and remb is not None:
                    self._spawn(rx._send_rtcp(
                        RtcpPsfbPacket(
                            fmt=RTCP_PSFB_APP,
                            ssrc=rtcp_ssrc,
                            media_ssrc=0,
                            fci=pack_remb_fci(*remb),
                        )
                    ))
        streams = getattr(receiver, _RX + "remote_streams")
        stats = streams.get(packet.ssrc)
        if stats is None:
            stats = streams[packet.ssrc] = (
                PassedOnLoss(codec.clockRate, lambda: self.subscribers_loss(source))
                if source.kind == "audio" else StreamStatistics(codec.clockRate))
        stats.add(packet)
        if is_rtx(codec):
            original_ssrc = getattr(receiver, _RX + "rtx_ssrc").get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or len(packet.payload) < 2 or apt not in codecs:
                return []
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
        source.media_ssrc = packet.ssrc
        nack = getattr(receiver, _RX + "nack_generator")
        if nack is not None and nack.add(packet):
            self._spawn(receiver._send_rtcp_nack(packet.ssrc, sorted(nack.missing)))
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
            return []
        now, ntp = self._clock(), _ntp_now()
        later: list[tuple[Sink, bytes]] = []
        for sink in source.sinks:
            if sink.source is not source:  # switching to this source: at its keyframe
                if desc is None or not desc.keyframe:
                    if now - sink.pending_since >= self.keyframe_retry:
                        sink.pending_since = now
                        self.request_keyframe(source)
                    continue
                self._moved(sink, source)
            data = self._rewrite(sink, source, packet, desc, now, ntp)
            if data is None:
                continue
            if data is not SENT:
                if not self._transmit(sink, data):
                    later.append((sink, data))
                    continue
                self._sent_bytes(sink, data, ntp)
            if sink.padding:
                self._pad(sink, now, ntp)
        return later

    def _rewrite(
        self, sink: Sink, source: Source, packet: RtpPacket, desc: vp8.Descriptor | None,
        now: float, ntp: int
    ) -> bytes | None:
        """The packet as this sink sends it (None: not sent), kept for retransmission; ``SENT``
        if it is already sent (rtc/srtpwire.py writes, keeps and sends it in one call)."""
        if sink.paused:
            return None
        if sink.waiting_keyframe:
            if desc is None or not desc.keyframe:
                if now - sink.waiting_since >= self.keyframe_retry:
                    sink.waiting_since = now
                    self.request_keyframe(source)
                return None
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
                return None
            if dropped and desc.picture_id is not None:
                payload = vp8.with_picture_id(payload, desc, desc.picture_id - dropped)
        seq = (packet.sequence_number + offset) & 0xFFFF
        timestamp = (packet.timestamp + sink.ts_offset) & 0xFFFFFFFF
        abs_send_time = (ntp >> 14) & 0x00FFFFFF if sink.kind == "video" else None
        ids = sink.ext_ids
        key = (ids.mid, ids.abs_send_time, ids.audio_level, sink.mid)
        if key != sink.ext_key:  # the sender was configured (or the mid changed)
            sink.ext_key = key
            sink.ext = rtpwire.Extensions(ids.mid or 0, ids.abs_send_time or 0,
                                          ids.audio_level or 0)
            sink.one_byte = sink.ext.one_byte(sink.mid)
            sink.mid_element = rtpwire.mid_element(sink.ext, sink.mid) if sink.one_byte else b""
            sink.wire = None
        if ((seq - sink.last_seq) & 0xFFFF) < 0x8000:  # newer than the newest sent
            sink.last_seq, sink.last_ts, sink.last_time = seq, timestamp, now
        level = packet.extensions.audio_level
        if sink.one_byte and self.native:
            wire = self._route(sink)
            if wire is not None:
                size = srtpwire.native.forward(
                    wire, packet.marker, seq, timestamp, payload,
                    -1 if abs_send_time is None else abs_send_time,
                    -1 if level is None else (0x80 if level[0] else 0) | (level[1] & 0x7F))
                self._wired(sink, size)
                self._sent(sink, len(payload), timestamp, ntp)
                return SENT
        if sink.one_byte:
            data = rtpwire.packet(sink.payload_type, packet.marker, seq, timestamp,
                                  sink.sender._ssrc, payload, sink.ext, sink.mid_element,
                                  abs_send_time, level)
        else:  # a form rtpwire does not write: aiortc's serialiser
            out = RtpPacket(payload_type=sink.payload_type, marker=packet.marker,
                            sequence_number=seq, timestamp=timestamp, ssrc=sink.sender._ssrc,
                            payload=payload)
            out.extensions.mid = sink.mid
            out.extensions.audio_level = level
            out.extensions.abs_send_time = abs_send_time
            data = out.serialize(sink.extensions_map)
        sink.ring[seq % RTP_HISTORY_SIZE] = data
        return data

    def _route(self, sink: Sink) -> tuple[Any, ...] | None:
        """How a packet goes straight to the subscriber's UDP socket, as aiortc's ``_send_rtp``
        and aioice's ``sendto`` would send it: None unless the connection is up on a plain UDP
        pair (not TURN; such packets go aiortc's way, ``_send_later``). The sink's ``wire``:
        the pair, its transport and the SRTP session (while they are the same, the rest holds),
        then for rtc/srtpwire.py the session's ``srtp_t``, the socket, the remote address, the
        ring of packets sent, and what its packets are written with (``forward``)."""
        dtls = sink.sender.transport
        if dtls._state is not _DTLS_CONNECTED:
            return None
        pair = dtls.transport._connection._nominated.get(1)
        if pair is None or type(pair.protocol) is not StunProtocol:
            return None
        udp = getattr(pair.protocol, "transport", None)
        session = dtls._tx_srtp
        wire = sink.wire
        if wire is not None and wire[0] is pair and wire[1] is udp and wire[2] is session:
            return wire
        if udp is None or session is None:
            return None
        if not self.native:
            wire = (pair, udp, session)
        else:
            sock = udp.get_extra_info("socket")
            if sock is None:
                return None
            ext = sink.ext
            wire = (pair, udp, session, srtpwire.session_address(session), sock.fileno(),
                    srtpwire.sockaddr(pair.remote_addr), sink.ring, sink.payload_type,
                    sink.sender._ssrc, sink.mid_element, ext.abs_send_time, ext.audio_level)
        sink.wire = wire
        return wire

    def _transmit(self, sink: Sink, data: bytes) -> bool:
        """SRTP-protect and send a packet on the sink's ``_route``; False (nothing sent) if it
        has none."""
        wire = self._route(sink)
        if wire is None:
            return False
        if self.native:
            self._wired(sink, srtpwire.native.send(wire[3], wire[4], wire[5], data))
        else:
            protected = wire[2].protect(data)
            with contextlib.suppress(OSError):
                wire[1].sendto(protected, wire[0].remote_addr)
            self._wired(sink, len(protected))
        return True

    def _wired(self, sink: Sink, size: int) -> None:
        """Count ``size`` SRTP bytes sent straight to the subscriber (negative: the socket's
        buffer was full, or the socket is gone: lost, as on the network)."""
        if size > 0:
            sink.wire_octets += size
            sink.wire_packets += 1
        self.direct += 1

    def _pad(self, sink: Sink, now: float, ntp: int) -> None:
        """Padding for a probe of the sink's link (``Link.padding``), after a packet sent:
        copies of the packets just sent, as retransmissions (RTX) stamped with the time they
        leave, at the probe's rate. The browser counts them in its estimate and drops the
        copies, so the link shows whether it carries that much more without the picture the
        probe is for (libwebrtc's own probes send such "payload padding")."""
        credit = sink.pad_credit + (now - sink.pad_at) * sink.padding / 8
        sink.pad_credit, sink.pad_at = min(credit, sink.padding / 8 * PAD_BURST), now
        sender, link = sink.sender, sink.link
        payload_type = getattr(sender, _TX_RTX_PT)
        if payload_type is None or link is None:
            return
        for _ in range(PAD_BACK):
            if sink.pad_credit <= 0:
                return
            seq = (sink.last_seq - sink.pad_back) & 0xFFFF
            sink.pad_back = (sink.pad_back + 1) % PAD_BACK
            data = sink.ring[seq % RTP_HISTORY_SIZE]
            if data is None or rtpwire.sequence_number(data) != seq:
                continue
            packet = RtpPacket.parse(data, sink.extensions_map)
            packet.extensions.abs_send_time = (ntp >> 14) & 0x00FFFFFF
            rtx_seq = getattr(sender, _TX_RTX_SEQ)
            setattr(sender, _TX_RTX_SEQ, (rtx_seq + 1) & 0xFFFF)
            copy = wrap_rtx(packet, payload_type=payload_type, sequence_number=rtx_seq,
                            ssrc=sender._rtx_ssrc).serialize(sink.extensions_map)
            if not self._transmit(sink, copy):
                return
            sink.pad_credit -= len(copy)
            link.padded += len(copy)
            self.padded += 1

    async def _send_later(self, sink: Sink, data: bytes) -> None:
        """Send through aiortc's own path (a connection not up yet, or relayed by TURN)."""
        try:
            await sink.sender.transport._send_rtp(data)
        except ConnectionError:
            return
        except Exception:  # a closing transport must not take anything else down
            self._failed(sink.source)
            return
        self._sent_bytes(sink, data, _ntp_now())

    async def _send_all(self, later: list[tuple[Sink, bytes]]) -> None:
        for sink, data in later:
            await self._send_later(sink, data)

    def _sent(self, sink: Sink, octets: int, timestamp: int, ntp: int) -> None:
        """Count a sent packet (``octets`` of payload, its RTP ``timestamp``). What aiortc
        reports for the sender (RTCP SR: counts, and an NTP time with the RTP timestamp sent
        then) and for the DTLS transport (getStats) is what was sent: brought up to date at
        the first packet and every ``REPORT_EVERY``."""
        sink.sent += 1
        self.forwarded[sink.kind] += 1
        sink.octets += octets
        if sink.sent % REPORT_EVERY == 1:
            self._report(sink, timestamp, ntp)

    def _sent_bytes(self, sink: Sink, data: bytes, ntp: int) -> None:
        """``_sent`` for a packet as bytes."""
        self._sent(sink, rtpwire.payload_length(data), int.from_bytes(data[4:8]), ntp)

    @staticmethod
    def _report(sink: Sink, timestamp: int, ntp: int) -> None:
        sender, dtls = sink.sender, sink.sender.transport
        setattr(sender, _TX_NTP, ntp)
        setattr(sender, _TX_RTP_TS, timestamp)
        setattr(sender, _TX_OCTETS, getattr(sender, _TX_OCTETS) + sink.octets)
        setattr(sender, _TX_PACKETS, getattr(sender, _TX_PACKETS) + sink.sent - sink.reported)
        setattr(dtls, _DTLS_TX_BYTES, getattr(dtls, _DTLS_TX_BYTES) + sink.wire_octets)
        setattr(dtls, _DTLS_TX_PACKETS, getattr(dtls, _DTLS_TX_PACKETS) + sink.wire_packets)
        sink.octets = sink.wire_octets = sink.wire_packets = 0
        sink.reported = sink.sent

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
    ids = getattr(getattr(sender, _TX + "rtp_header_extensions_map", None), _MAP_IDS, None)
    if not all(hasattr(ids, n) for n in ("mid", "abs_send_time", "audio_level")):
        problems.append("HeaderExtensionsMap.__ids")
    dtls = sender.transport
    for name in ("_rtp_router", "_rx_srtp", "_tx_srtp", "_state", "_rtp_header_extensions_map",
                 _DTLS_RX_BYTES, _DTLS_RX_PACKETS, _DTLS_TX_BYTES, _DTLS_TX_PACKETS):
        if not hasattr(dtls, name):
            problems.append(f"RTCDtlsTransport.{name}")
    if not callable(getattr(getattr(dtls, "_rtp_router", None), "route_rtp", None)):
        problems.append("RtpRouter.route_rtp")
    if "transport" not in getattr(StunProtocol, "__annotations__", {}):
        problems.append("StunProtocol.transport")
    if not callable(getattr(aiortc_clock, "current_ms", None)):
        problems.append("aiortc.clock.current_ms")
    if not isinstance(getattr(transceiver, "_codecs", None), list):
        problems.append("RTCRtpTransceiver._codecs")
    if not isinstance(getattr(StreamStatistics, "fraction_lost", None), property):
        problems.append("StreamStatistics.fraction_lost")  # PassedOnLoss overrides it
    if RTP_HISTORY_SIZE <= 0:
        problems.append("aiortc.rtp.RTP_HISTORY_SIZE")
    problems += guard.verify(transceiver)
    problems += srtpwire.verify()
    if problems:
        raise RuntimeError(
            "aiortc internals used by rtc/forwarder.py (or rtc/guard.py) moved: "
            + ", ".join(problems)
        )
