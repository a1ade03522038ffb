"""Temporal layers (issue 12): rtc/vp8.py reads the VP8 payload descriptor, and the forwarder
thins a layered video for one subscriber by whole frames, with contiguous sequence numbers and
picture ids, going up only where the receiver can decode from.

Frames follow the L1T3 pattern a publisher sends: T0, T2 (sync), T1 (sync), T2, repeated, each
of two packets, with picture ids counting up; real aiortc receivers and senders, the network
edge recorded (tests/rtc/test_forwarder.py's ``Wire``).
"""

from __future__ import annotations

from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.codecs.vpx import VpxPayloadDescriptor
from hypothesis import given
from hypothesis import strategies as st

from rtc import vp8
from rtc.forwarder import Forwarder, PlaceholderTrack
from tests.rtc.test_forwarder import Wire, packet, source_receiver

PATTERN = [(0, False), (2, True), (1, True), (2, False)]  # (TID, layer sync) of L1T3


def frame(picture_id: int, tid: int, sync: bool, key: bool = False) -> list[bytes]:
    """Two packets of one frame, as a publisher's packetizer writes them."""
    first = VpxPayloadDescriptor(1, 0, picture_id=picture_id, tl0picidx=picture_id // 4,
                                 tid=(tid, int(sync)))
    rest = VpxPayloadDescriptor(0, 0, picture_id=picture_id, tl0picidx=picture_id // 4,
                                tid=(tid, int(sync)))
    return [bytes(first) + bytes([0x00 if key else 0x01]) + b"pic", bytes(rest) + b"ture"]


def test_the_descriptor_is_read_and_its_picture_id_rewritten() -> None:
    raw = frame(300, 2, True, key=False)[0]
    d = vp8.parse(raw)
    assert d is not None
    assert (d.start, d.keyframe, d.tid, d.sync, d.picture_id, d.picture_id_bits) == (
        True, False, 2, True, 300, 15)
    again = vp8.parse(vp8.with_picture_id(raw, d, 299))
    assert again is not None and again.picture_id == 299 and again.tid == 2
    key = vp8.parse(frame(4, 0, False, key=True)[0])
    assert key is not None and key.keyframe and key.tid == 0
    assert vp8.parse(b"") is None and vp8.parse(b"\x90") is None
    plain = vp8.parse(bytes(VpxPayloadDescriptor(1, 0, picture_id=5)) + b"\x00x")
    assert plain is not None and plain.tid is None and plain.keyframe


@given(st.binary(max_size=12))
def test_any_bytes_parse_or_give_none(data: bytes) -> None:
    d = vp8.parse(data)
    if d is not None and d.picture_id is not None:
        assert vp8.parse(vp8.with_picture_id(data, d, d.picture_id + 1)) is not None


async def test_a_subscriber_gets_fewer_layers_then_more_at_a_sync_frame() -> None:
    pc = RTCPeerConnection(configuration=RTCConfiguration(iceServers=[]))
    try:
        fwd = Forwarder(clock=lambda: 0.0)
        source = fwd.add_source(source_receiver(pc, "video"), "one", "video")
        t = pc.addTransceiver(PlaceholderTrack("video"), direction="sendonly")
        sink = fwd.add_sink(t.sender, "video", "viewer")
        wire = Wire(t.sender.transport)
        fwd.connect(sink, source)
        seq = 1000

        async def send(picture_id: int, key: bool = False) -> None:
            nonlocal seq
            tid, sync = PATTERN[picture_id % 4]
            for payload in frame(picture_id, tid, sync, key=key):
                await source.receiver._handle_rtp_packet(packet(seq, picture_id * 6000,
                                                                payload, 97), 0)
                seq += 1

        await send(0, key=True)
        for pid in range(1, 8):
            await send(pid)  # all three layers
        assert source.layers == 3 and len(wire.packets) == 16
        fwd.set_layer(sink, 0)  # the base only: a quarter of the frames
        for pid in range(8, 16):
            await send(pid)
        fwd.set_layer(sink, 2)  # back up: T1 at the next T1 sync (10 mod 4 = 2), then T2
        for pid in range(16, 24):
            await send(pid)
        sent = [vp8.parse(p.payload) for p in wire.packets]
        firsts = [d for d in sent if d is not None and d.start]
        tids = [d.tid for d in firsts]
        assert tids[:8] == [0, 2, 1, 2, 0, 2, 1, 2]
        assert tids[8:10] == [0, 0]  # frames 8-15: base only
        # frame 16 (T0), 17 (T2 sync: not yet, T1 first), 18 (T1 sync), 19 (T2, no sync),
        # 20 (T0), 21 (T2 sync): from here all
        assert tids[10:] == [0, 1, 0, 2, 1, 2]
        seqs = [p.sequence_number for p in wire.packets]
        assert all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:], strict=False))
        pids = [d.picture_id for d in firsts]
        assert all(b - a == 1 for a, b in zip(pids, pids[1:], strict=False)), pids
        assert fwd.errors == 0
    finally:
        await pc.close()


async def test_a_late_packet_keeps_its_place_after_dropped_frames() -> None:
    """A publisher's retransmission arrives after frames were dropped: it is numbered as its
    place was, not as the newest."""
    pc = RTCPeerConnection(configuration=RTCConfiguration(iceServers=[]))
    try:
        fwd = Forwarder(clock=lambda: 0.0)
        source = fwd.add_source(source_receiver(pc, "video"), "one", "video")
        t = pc.addTransceiver(PlaceholderTrack("video"), direction="sendonly")
        sink = fwd.add_sink(t.sender, "video", "viewer")
        wire = Wire(t.sender.transport)
        fwd.connect(sink, source)
        fwd.set_layer(sink, 0)
        order = [(0, 0, True), (0, 1, True)]  # (picture id, packet, key)
        order += [(p, i, False) for p in range(1, 5) for i in range(2)]
        late = (0, 1, True)  # the keyframe's second packet, lost and sent again at the end
        order.remove(late)
        order.append(late)
        for pid, i, key in order:
            tid, sync = PATTERN[pid % 4]
            await source.receiver._handle_rtp_packet(
                packet(2000 + pid * 2 + i, pid * 6000, frame(pid, tid, sync, key=key)[i], 97), 0)
        out = {p.sequence_number: vp8.parse(p.payload) for p in wire.packets}
        first = min(out)
        assert sorted(out) == [first, first + 1, first + 2, first + 3]  # frames 0 and 4 only
        assert [out[s].picture_id for s in sorted(out)] == [0, 0, 1, 1]  # type: ignore[union-attr]
    finally:
        await pc.close()
