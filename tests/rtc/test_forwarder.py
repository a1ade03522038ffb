"""The forwarder against real aiortc objects: the internals it needs, and RTP rewriting.

The network edge (``RTCDtlsTransport._send_rtp``) is the one seam replaced here, to read
what would go on the wire.
"""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpCodecParameters
from aiortc.codecs import get_encoder
from aiortc.rtp import RtpPacket
from av import VideoFrame
from hypothesis import given, settings
from hypothesis import strategies as st

from rtc.forwarder import (
    Forwarder,
    PlaceholderTrack,
    is_vp8_keyframe_start,
    verify_aiortc_internals,
)
from rtc.server import check_aiortc

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)


@pytest.fixture
async def pc() -> AsyncIterator[RTCPeerConnection]:
    connection = RTCPeerConnection(configuration=RTCConfiguration(iceServers=[]))
    yield connection
    await connection.close()


async def test_installed_aiortc_has_every_internal_the_forwarder_uses(
    pc: RTCPeerConnection,
) -> None:
    verify_aiortc_internals(pc.addTransceiver("video"))
    await check_aiortc()


async def test_a_moved_internal_fails_loudly(pc: RTCPeerConnection) -> None:
    t = pc.addTransceiver("video")
    del t.sender._RTCRtpSender__rtp_history  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="rtp_history"):
        verify_aiortc_internals(t)


def vp8_payloads(count: int, force_keyframe_at: int | None = None) -> list[list[bytes]]:
    encoder = get_encoder(VP8)
    frames = []
    for i in range(count):
        frame = VideoFrame(width=160, height=120, format="yuv420p")
        for p in frame.planes:
            p.update(bytes([(i * 7) & 0xFF]) * p.buffer_size)
        frame.pts, frame.time_base = i * 3000, fractions.Fraction(1, 90000)
        payloads, _ = encoder.encode(frame, force_keyframe=(i == force_keyframe_at))
        frames.append(payloads)
    return frames


def test_vp8_keyframe_detection_reads_headers_only() -> None:
    frames = vp8_payloads(6, force_keyframe_at=4)
    starts = [is_vp8_keyframe_start(f[0]) for f in frames]
    assert starts == [True, False, False, False, True, False]
    assert not any(is_vp8_keyframe_start(p) for f in frames for p in f[1:])  # continuations
    assert not is_vp8_keyframe_start(b"")
    assert not is_vp8_keyframe_start(b"\x90")


class Wire:
    """Replaces a DTLS transport's send with a recorder: what would go on the network."""

    def __init__(self, transport: Any) -> None:
        self.packets: list[RtpPacket] = []
        self.fail: Exception | None = None

        async def send(data: bytes) -> None:
            if self.fail is not None:
                raise self.fail
            self.packets.append(RtpPacket.parse(data))

        transport._send_rtp = send


def source_receiver(pc: RTCPeerConnection, kind: str) -> Any:
    receiver = pc.addTransceiver(kind, direction="recvonly").receiver
    codecs = getattr(receiver, "_RTCRtpReceiver__codecs")  # noqa: B009 (set by receive())
    codecs[VP8.payloadType if kind == "video" else OPUS.payloadType] = (
        VP8 if kind == "video" else OPUS
    )
    return receiver


def packet(seq: int, ts: int, payload: bytes, pt: int, ssrc: int = 1234) -> RtpPacket:
    return RtpPacket(
        payload_type=pt,
        sequence_number=seq & 0xFFFF,
        timestamp=ts & 0xFFFFFFFF,
        ssrc=ssrc,
        payload=payload,
    )


async def test_sequence_numbers_keep_increasing_across_sources_and_pauses(
    pc: RTCPeerConnection,
) -> None:
    fwd = Forwarder(clock=lambda: 0.0)
    one = fwd.add_source(source_receiver(pc, "audio"), "one", "audio")
    two = fwd.add_source(source_receiver(pc, "audio"), "two", "audio")
    t = pc.addTransceiver(PlaceholderTrack("audio"), direction="sendonly")
    sink = fwd.add_sink(t.sender, "audio", "viewer")
    sink.payload_type = 96
    wire = Wire(t.sender.transport)
    fwd.connect(sink, one)
    for i in range(5):
        await one.receiver._handle_rtp_packet(packet(65533 + i, 1000 + 960 * i, b"a", 111), 0)
    fwd.connect(sink, two)
    for i in range(5):
        await two.receiver._handle_rtp_packet(packet(100 + i, 99 + 960 * i, b"b", 111, 55), 0)
    one.enabled = False  # server-side mute of a source not connected: nothing changes
    two.enabled = False
    await two.receiver._handle_rtp_packet(packet(105, 99 + 960 * 5, b"b", 111, 55), 0)
    two.enabled = True
    fwd.resume(two)
    await two.receiver._handle_rtp_packet(packet(300, 99 + 960 * 200, b"b", 111, 55), 0)
    seqs = [p.sequence_number for p in wire.packets]
    assert len(seqs) == 11
    assert all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:], strict=False))
    assert {p.ssrc for p in wire.packets} == {t.sender._ssrc}
    assert {p.payload_type for p in wire.packets} == {96}
    stamps = [p.timestamp for p in wire.packets]
    assert all(0 < (b - a) & 0xFFFFFFFF < 1 << 31 for a, b in zip(stamps, stamps[1:], strict=False))
    assert stamps[10] - stamps[9] == 960 * 196  # a pause keeps the source clock
    await t.sender._retransmit(seqs[-1])  # a NACK is answered with what was sent
    again = wire.packets[-1]
    assert (again.sequence_number, again.timestamp, again.payload, again.ssrc) == (
        seqs[-1], stamps[-1], b"b", t.sender._ssrc)
    assert len(wire.packets) == 12
    await t.sender._retransmit((seqs[-1] + 1) & 0xFFFF)  # never sent: nothing
    assert len(wire.packets) == 12
    assert fwd.errors == 0


async def test_new_video_subscriber_waits_for_a_keyframe(pc: RTCPeerConnection) -> None:
    fwd = Forwarder()
    source = fwd.add_source(source_receiver(pc, "video"), "one", "video")
    t = pc.addTransceiver(PlaceholderTrack("video"), direction="sendonly")
    sink = fwd.add_sink(t.sender, "video", "viewer")
    wire = Wire(t.sender.transport)
    frames = vp8_payloads(8, force_keyframe_at=5)
    fwd.connect(sink, source)
    seq = 0
    for i, payloads in enumerate(frames):
        for payload in payloads:
            await source.receiver._handle_rtp_packet(packet(seq, i * 3000, payload, 97), 0)
            seq += 1
    sent = [p.payload for p in wire.packets]
    # frame 0 is a keyframe: forwarding starts with it; nothing is skipped after
    assert sent and is_vp8_keyframe_start(sent[0]) and len(sent) == seq
    sink2 = fwd.add_sink(
        pc.addTransceiver(PlaceholderTrack("video"), "sendonly").sender, "video", "x"
    )
    wire2 = Wire(sink2.sender.transport)
    wire2.packets = []
    fwd.connect(sink2, source)
    await asyncio.sleep(0.05)
    assert source.keyframe_requests == 1  # asked the publisher at once (PLI)
    for payloads in frames[1:]:
        for payload in payloads:
            await source.receiver._handle_rtp_packet(packet(seq, seq * 3000, payload, 97), 0)
            seq += 1
    # the second sink skipped frames 1-4 and started at the forced keyframe (frame 5)
    started = [p for p in wire2.packets if p.ssrc == sink2.sender._ssrc]
    assert started and is_vp8_keyframe_start(started[0].payload)
    assert len(started) == sum(len(f) for f in frames[5:])


async def test_a_switch_to_the_small_picture_keeps_sending_until_its_keyframe(
    pc: RTCPeerConnection,
) -> None:
    """``switch``: the camera goes on until the small picture's keyframe, then only the small
    picture, with no gap in the sequence numbers; the same back; a pending switch to a source
    that goes away leaves the sink where it was."""
    fwd = Forwarder()
    camera = fwd.add_source(source_receiver(pc, "video"), "one", "video")
    small = camera.small = fwd.add_source(source_receiver(pc, "video"), "one", "video")
    t = pc.addTransceiver(PlaceholderTrack("video"), direction="sendonly")
    sink = fwd.add_sink(t.sender, "video", "viewer")
    wire = Wire(t.sender.transport)
    frames = vp8_payloads(8, force_keyframe_at=5)
    seqs = {"camera": 1000, "small": 50_000}

    async def frame(which: str, i: int) -> None:
        source = camera if which == "camera" else small
        for payload in frames[i]:
            await source.receiver._handle_rtp_packet(
                packet(seqs[which], i * 3000, payload, 97, ssrc=hash(which) & 0xFFFF), 0)
            seqs[which] += 1

    fwd.connect(sink, camera)
    await frame("camera", 0)  # a keyframe: the camera starts
    fwd.switch(sink, small)
    assert sink.source is camera and sink.pending is small
    await asyncio.sleep(0.05)
    assert small.last_keyframe_request > 0  # asked at once
    for i in range(1, 5):
        await frame("small", i)  # not a keyframe: not sent
        await frame("camera", i)  # still sent
    assert len(wire.packets) == sum(len(frames[i]) for i in range(5))
    await frame("small", 5)  # the small picture's keyframe: it takes over
    await frame("camera", 5)
    assert sink.source is small and sink.pending is None and sink not in camera.sinks
    moved = wire.packets[sum(len(frames[i]) for i in range(5)):]
    assert [p.payload for p in moved] == frames[5]
    seqnums = [p.sequence_number for p in wire.packets]
    assert all((b - a) & 0xFFFF == 1 for a, b in zip(seqnums, seqnums[1:], strict=False))

    fwd.switch(sink, camera)  # back, and the camera goes away before its keyframe
    assert sink.pending is camera
    fwd.remove_source(camera)  # (and with it its small picture: the sink then stops)
    assert sink.pending is None and sink.source is None
    assert camera.errors == small.errors == 0  # (the PLIs fail here: no transport runs)


async def test_an_error_in_the_hook_is_counted_not_raised(pc: RTCPeerConnection) -> None:
    fwd = Forwarder()
    source = fwd.add_source(source_receiver(pc, "audio"), "one", "audio")
    t = pc.addTransceiver(PlaceholderTrack("audio"), direction="sendonly")
    sink = fwd.add_sink(t.sender, "audio", "viewer")
    wire = Wire(t.sender.transport)
    wire.fail = ValueError("boom")
    fwd.connect(sink, source)
    await source.receiver._handle_rtp_packet(packet(1, 1, b"x", 111), 0)  # must not raise
    assert fwd.errors == 1 and source.errors == 1
    wire.fail = ConnectionError("not connected yet")  # expected while DTLS starts: not an error
    await source.receiver._handle_rtp_packet(packet(2, 2, b"x", 111), 0)
    assert fwd.errors == 1


ops = st.lists(
    st.tuples(
        st.sampled_from(["packet", "packet", "stray", "switch", "pause", "resume"]),
        st.integers(1, 3),
    ),
    min_size=3,
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(ops, st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_output_sequence_never_goes_back(steps: list[tuple[str, int]], s0: int, s1: int) -> None:
    """Whatever the switches, pauses and input gaps: each packet is newer than the last sent."""

    async def scenario() -> tuple[list[int], int]:
        pc = RTCPeerConnection(configuration=RTCConfiguration(iceServers=[]))
        fwd = Forwarder(clock=lambda: 0.0)
        sources = [fwd.add_source(source_receiver(pc, "audio"), f"s{i}", "audio") for i in (0, 1)]
        t = pc.addTransceiver(PlaceholderTrack("audio"), direction="sendonly")
        sink = fwd.add_sink(t.sender, "audio", "viewer")
        wire = Wire(t.sender.transport)
        current, expected = 0, 0
        fwd.connect(sink, sources[current])
        seqs = [s0, s1]

        async def feed(i: int, gap: int) -> None:
            nonlocal expected
            seqs[i] = (seqs[i] + gap) & 0xFFFF
            pkt = packet(seqs[i], seqs[i] * 960, bytes([i]), 111, ssrc=100 + i)
            if i == current and sources[i].enabled:
                expected += 1
            await sources[i].receiver._handle_rtp_packet(pkt, 0)

        for op, gap in steps:
            if op == "packet":
                await feed(current, gap)
            elif op == "stray":  # from the source the sink is not connected to: not forwarded
                await feed(1 - current, gap)
            elif op == "switch":
                current = 1 - current
                fwd.connect(sink, sources[current])
                await feed(current, gap)
            elif op == "pause":
                sources[current].enabled = False
            elif not sources[current].enabled:
                sources[current].enabled = True
                fwd.resume(sources[current])
        await pc.close()
        assert all(p.payload in (b"\x00", b"\x01") for p in wire.packets)
        return [p.sequence_number for p in wire.packets], expected

    out, expected = asyncio.run(scenario())
    assert len(out) == expected
    assert all(1 <= (b - a) & 0xFFFF <= 3 for a, b in zip(out, out[1:], strict=False)), out
