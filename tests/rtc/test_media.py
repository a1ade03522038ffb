"""Real aiortc peers over the real WebSocket: media flows, follows membership, recovers loss."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from rtc import srtpwire
from rtc.client import Client
from rtc.config import RTCConfig
from rtc.presence import Speaking

from .conftest import SECRET, Live, eventually
from .media import LosingAudio, PatternVideo, ToneAudio


async def join(live: Live, pid: str, *, loud: bool = False) -> Client:
    client = Client(live.url, live.token(pid), audio=ToneAudio(loud=loud), video=PatternVideo())
    await client.connect()
    return client


def sees(client: Client, others: list[str], kind: str, at_least: int) -> bool:
    return all(client.frames_from(o, kind) >= at_least for o in others)


BOTH_WIRES = pytest.mark.parametrize(
    "rtc_config",
    [pytest.param(replace(RTCConfig(join_secret=SECRET, shed_load=False), native_wire=native),
                  id="native" if native else "pylibsrtp") for native in (True, False)],
)
"""The forwarder's packets protected and sent by rtc/_srtpwire.c, and without it."""


@BOTH_WIRES
async def test_three_participants_receive_each_other(live: Live) -> None:
    ids = ["a", "b", "c"]
    clients = [await join(live, pid) for pid in ids]
    try:
        for client in clients:
            others = [o for o in ids if o != client.id]

            def decoding(c: Client = client, o: list[str] = others) -> bool:
                return sees(c, o, "video", 10) and sees(c, o, "audio", 10)

            await eventually(decoding, what=f"{client.id} decoding media")
            assert client.subscribed() == {(o, k) for o in others for k in ("audio", "video")}
            sizes = {rec.last_size for rec in client.received.values() if rec.last_size}
            assert sizes == {(160, 120)}
        forwarder = live.server.hub.forwarder
        assert forwarder.errors == 0
        forwarded = forwarder.forwarded
        assert forwarded["audio"] > 0 and forwarded["video"] > 0
        # the direct path: taken from the publishers' sockets, written to the subscribers';
        # only a packet sent as a subscriber's DTLS came up may go aiortc's way
        assert forwarder.tapped > 0
        assert forwarder.direct >= 0.95 * sum(forwarded.values())
        assert forwarder.native == (live.config.native_wire and srtpwire.AVAILABLE)
    finally:
        for client in clients:
            await client.close()


async def test_subscriptions_follow_leave_and_join(live: Live) -> None:
    a, b, c = [await join(live, pid) for pid in ("a", "b", "c")]
    d: Client | None = None
    try:
        await eventually(
            lambda: sees(b, ["a", "c"], "video", 5) and sees(c, ["a", "b"], "video", 5),
            what="initial media",
        )
        assert b.subscribe_pc is not None
        sections_before = len(b.subscribe_pc.getTransceivers())
        await a.close()
        await eventually(
            lambda: (
                b.subscribed() == {("c", "audio"), ("c", "video")}
                and c.subscribed() == {("b", "audio"), ("b", "video")}
            ),
            what="a's streams removed",
        )
        assert live.server.control.participants("room-1") == ["b", "c"]
        d = await join(live, "d")
        await eventually(
            lambda: (
                sees(b, ["c", "d"], "video", 10)
                and sees(c, ["b", "d"], "video", 10)
                and sees(d, ["b", "c"], "video", 10)
                and sees(d, ["b", "c"], "audio", 10)
            ),
            what="media after d joined",
        )
        # d's streams reused the media sections a left behind: no new m-lines on b's connection
        assert len(b.subscribe_pc.getTransceivers()) == sections_before
        assert b.subscribed() == {(p, k) for p in ("c", "d") for k in ("audio", "video")}
        assert live.server.hub.forwarder.errors == 0
    finally:
        for client in (a, b, c, d):
            if client is not None:
                await client.close()


def mid_of(client: Client, participant: str, kind: str) -> str:
    return next(
        mid for mid, s in client.streams.items() if s.participant == participant and s.kind == kind
    )


def remote_ssrc(client: Client, mid: str) -> int:
    from aiortc.sdp import SessionDescription

    assert client.subscribe_pc is not None
    sdp = SessionDescription.parse(client.subscribe_pc.remoteDescription.sdp)
    media = next(md for md in sdp.media if md.rtp.muxId == mid)
    return media.ssrc[0].ssrc


def count_keyframe_requests(client: Client) -> list[float]:
    """Instrument the publisher's video sender: record when aiortc is asked for a keyframe."""
    import time

    assert client.publish_pc is not None
    sender = next(t.sender for t in client.publish_pc.getTransceivers() if t.kind == "video")
    calls: list[float] = []
    original = sender._send_keyframe

    def record() -> None:
        calls.append(time.monotonic())
        original()

    sender._send_keyframe = record  # type: ignore[method-assign]
    return calls


async def test_keyframe_request_reaches_publisher_throttled(live: Live) -> None:
    a, b = [await join(live, pid) for pid in ("a", "b")]
    try:
        await eventually(lambda: sees(b, ["a"], "video", 10), what="b decoding a")
        calls = count_keyframe_requests(a)
        await asyncio.sleep(0.5)
        assert calls == []  # steady state: nobody asks
        mid = mid_of(b, "a", "video")
        assert b.subscribe_pc is not None
        receiver = next(t.receiver for t in b.subscribe_pc.getTransceivers() if t.mid == mid)
        ssrc = remote_ssrc(b, mid)
        for _ in range(10):  # a burst of picture-loss indications from one subscriber
            await receiver._send_rtcp_pli(ssrc)
            await asyncio.sleep(0.01)
        await eventually(lambda: len(calls) >= 1, timeout=3, what="PLI reaching publisher")
        await asyncio.sleep(0.6)
        # ten requests within ~0.1 s: the first goes at once, the rest collapse into one deferred
        assert 1 <= len(calls) <= 2, calls
        if len(calls) == 2:
            assert calls[1] - calls[0] >= 0.25
    finally:
        await a.close()
        await b.close()


@BOTH_WIRES
async def test_lost_packet_is_recovered_by_rtx(live: Live) -> None:
    """Drop one video packet at the subscriber's receiver; its NACK brings it back as RTX."""
    from aiortc.rtp import RtpPacket

    a = await join(live, "a")
    b = Client(live.url, live.token("b"), audio=ToneAudio(loud=False), video=PatternVideo())
    dropped: list[int] = []
    recovered: list[int] = []
    wrapped: set[int] = set()

    def instrument(t) -> None:  # type: ignore[no-untyped-def]
        if t.kind != "video" or id(t.receiver) in wrapped:
            return
        wrapped.add(id(t.receiver))
        original = t.receiver._handle_rtp_packet
        seen = [0]

        async def lossy(packet: RtpPacket, arrival_time_ms: int) -> None:
            codecs = {c.payloadType: c.name for c in t._codecs}
            name = codecs.get(packet.payload_type)
            if name == "rtx" and len(packet.payload) >= 2:
                recovered.append(int.from_bytes(packet.payload[:2], "big"))
            elif name == "VP8":
                seen[0] += 1
                if seen[0] == 60 and not dropped:  # well after the first keyframe
                    dropped.append(packet.sequence_number)
                    return
            await original(packet, arrival_time_ms)

        t.receiver._handle_rtp_packet = lossy

    b.on_subscribe_transceiver = instrument
    await b.connect()
    try:
        await eventually(lambda: bool(dropped), what="a packet to drop")
        await eventually(lambda: dropped[0] in recovered, timeout=5, what="RTX of dropped packet")
        conn_sinks = [s for s in _sinks(live) if s.subscriber == "b" and s.kind == "video"]
        assert sum(s.retransmit_requests for s in conn_sinks) >= 1
        frames = b.frames_from("a", "video")
        await eventually(lambda: b.frames_from("a", "video") > frames + 10, what="video goes on")
    finally:
        await a.close()
        await b.close()


def _sinks(live: Live) -> list:  # type: ignore[type-arg]
    room = live.server.hub.rooms["room-1"]
    return [
        sink
        for member in room.members.values()
        for source in member.sources.values()
        for sink in source.sinks
    ]


async def test_server_side_mute_stops_and_resumes_audio(live: Live) -> None:
    seen: list[object] = []
    live.server.control.add_listener(seen.append)
    a = await join(live, "a", loud=True)
    b, c = [await join(live, pid) for pid in ("b", "c")]
    try:
        await eventually(
            lambda: sees(b, ["a"], "audio", 20) and sees(c, ["a"], "audio", 20), what="a's audio"
        )
        live.server.control.set_audio_forwarding("room-1", "a", False)
        await b.expect("mute_state", where=lambda msg: msg["forced_mute"], since=0)
        await asyncio.sleep(0.5)  # drain what was in flight
        before = (b.frames_from("a", "audio"), c.frames_from("a", "audio"))
        video_before = b.frames_from("a", "video")
        await asyncio.sleep(1.5)
        assert (b.frames_from("a", "audio"), c.frames_from("a", "audio")) == before
        assert b.frames_from("a", "video") > video_before + 10  # only audio is stopped
        live.server.control.set_audio_forwarding("room-1", "a", True)
        await eventually(
            lambda: (
                b.frames_from("a", "audio") > before[0] + 20
                and c.frames_from("a", "audio") > before[1] + 20
            ),
            what="audio resumed",
        )

        def heard_again() -> bool:
            speaking = [e for e in seen if isinstance(e, Speaking)]
            return bool(speaking) and speaking[-1].speaking

        await eventually(heard_again, what="a heard again")
        speaking = [e for e in seen if isinstance(e, Speaking)]
        assert all(e.participant == "a" for e in speaking)  # b and c send silence
        assert speaking[0].speaking is True  # a's tone is heard ...
        assert any(not e.speaking for e in speaking)  # ... and silenced by the server-side mute
        assert speaking[-1].talk_seconds >= 1.0
    finally:
        for client in (a, b, c):
            await client.close()


async def test_media_resumes_after_a_lost_connection_comes_back(live: Live) -> None:
    seen: list[object] = []
    live.server.control.add_listener(seen.append)
    a, b = [await join(live, pid) for pid in ("a", "b")]
    a2: Client | None = None
    try:
        await eventually(lambda: sees(b, ["a"], "video", 10), what="b decoding a")
        await a.close(leave=False)  # the network goes: no leave
        await eventually(lambda: b.subscribed() == set(), what="a's streams withdrawn")
        before = b.frames_from("a", "video")
        a2 = await join(live, "a")
        await eventually(lambda: b.frames_from("a", "video") > before + 10, what="a back on b")
        await eventually(lambda: sees(a2, ["b"], "video", 10), what="a decoding b again")
        kinds = [type(e).__name__ for e in seen if getattr(e, "participant", None) == "a"]
        assert [k for k in kinds if k != "Speaking"] == ["Joined", "ConnectionLost", "Reconnected"]
    finally:
        for client in (a, b, a2):
            if client is not None:
                await client.close()


async def test_packet_lost_on_the_way_in_is_recovered_from_the_publisher(live: Live) -> None:
    """Drop one packet as the server receives it: the server NACKs, the publisher resends (RTX)."""
    from aiortc.rtp import RtpPacket

    a, b = [await join(live, pid) for pid in ("a", "b")]
    try:
        await eventually(lambda: sees(b, ["a"], "video", 10), what="b decoding a")
        source = live.server.hub.rooms["room-1"].members["a"].sources["video"]
        forwarder = live.server.hub.forwarder
        hook = forwarder._on_rtp  # where every received packet meets the forwarder
        dropped: list[int] = []
        arrived: list[tuple[int, int]] = []  # (payload type, original sequence number)
        assert a.publish_pc is not None
        video = next(t for t in a.publish_pc.getTransceivers() if t.kind == "video")
        vp8 = {c.payloadType for c in video._codecs if c.name == "VP8"}
        rtx = {c.payloadType for c in video._codecs if c.name == "rtx"}

        def lossy(src: Any, packet: RtpPacket, arrival_time_ms: int) -> Any:
            if src is source:
                if packet.payload_type in vp8 and not dropped:
                    dropped.append(packet.sequence_number)  # lost on the network
                    return []
                osn = int.from_bytes(packet.payload[:2], "big") if len(packet.payload) >= 2 else -1
                arrived.append((packet.payload_type, osn))
            return hook(src, packet, arrival_time_ms)

        forwarder._on_rtp = lossy  # type: ignore[method-assign]
        await eventually(lambda: bool(dropped), what="a packet to drop")
        await eventually(
            lambda: any(pt in rtx and osn == dropped[0] for pt, osn in arrived),
            timeout=5,
            what="the publisher's RTX for the dropped packet",
        )
        frames = b.frames_from("a", "video")
        await eventually(lambda: b.frames_from("a", "video") > frames + 10, what="video goes on")
        assert live.server.hub.forwarder.errors == 0
    finally:
        await a.close()
        await b.close()


async def test_audio_only_and_video_only_publishers(live: Live) -> None:
    """A doctor on a phone with the camera off publishes audio alone (and a muted mic, video)."""
    voice = Client(live.url, live.token("voice"), audio=ToneAudio(), video=None)
    picture = Client(live.url, live.token("picture"), audio=None, video=PatternVideo())
    both = await join(live, "both")
    try:
        await voice.connect()
        await picture.connect()
        await eventually(
            lambda: both.frames_from("voice", "audio") >= 10
            and both.frames_from("picture", "video") >= 10
            and voice.frames_from("both", "video") >= 10
            and picture.frames_from("voice", "audio") >= 10,
            what="media from single-kind publishers",
        )
        assert ("voice", "video") not in both.subscribed()
        assert ("picture", "audio") not in both.subscribed()
        assert live.server.hub.forwarder.errors == 0
    finally:
        for client in (voice, picture, both):
            await client.close()


async def test_an_audio_only_receiver_gets_no_video(live: Live) -> None:
    """A doctor on a weak network chooses audio only: the server stops sending them video."""
    a, b, c = [await join(live, pid) for pid in ("a", "b", "c")]
    try:
        await eventually(lambda: sees(c, ["a", "b"], "video", 5), what="c sees video")
        await c.send({"type": "receive", "video": False})
        await eventually(
            lambda: c.subscribed() == {("a", "audio"), ("b", "audio")}, what="video dropped"
        )
        await asyncio.sleep(0.5)  # let packets already in flight arrive
        frames = c.frames_from("a", "video")
        audio = c.frames_from("a", "audio")
        await asyncio.sleep(1.0)
        assert c.frames_from("a", "video") == frames  # no more video reaches c
        assert c.frames_from("a", "audio") > audio + 20  # the voices go on
        assert sees(b, ["a", "c"], "video", 5)  # the others are untouched
        await c.send({"type": "receive", "video": True})
        await eventually(lambda: c.frames_from("a", "video") > frames + 5, what="video back")
        assert live.server.hub.forwarder.errors == 0
    finally:
        for client in (a, b, c):
            await client.close()


async def test_a_weak_link_keeps_the_floor_video_and_pauses_the_rest(live: Live) -> None:
    """Issue 12: a subscriber whose link takes one video gets the one with the floor; the
    others are paused (and it is told); when the floor moves, so does the video."""
    from rtc.bandwidth import WARMUP, Link

    clients = {pid: await join(live, pid) for pid in ("a", "b", "c", "d")}
    b = clients["b"]
    reporter: asyncio.Task[None] | None = None
    try:
        await eventually(lambda: sees(b, ["a", "c", "d"], "video", 10), what="b decoding all")
        member = live.server.hub.rooms["room-1"].members["b"]
        subs = member._subs  # type: ignore[attr-defined]
        link = subs.link
        forwarder = live.server.hub.forwarder
        floor = "c"

        def takes() -> float:
            """b's link takes the floor's video with 40 % to spare, not a second: these
            videos' rates vary from 25 to 45 kbit/s with the machine's load, so a fixed figure
            would sometimes take two, or not the next floor's"""
            rate = next((sum(rates) for source, (_, _, rates) in subs._counted.items()
                         if source.kind == "video" and source.participant == floor), 0.0)
            return 1.4 * rate if rate else 45_000.0

        # b's link is short (it has lost packets): whatever b's own estimator says (aiortc's,
        # not a browser's) reads as what it takes, brought up to date five times a second
        estimate = Link.remb
        link.remb = lambda bps, now: estimate(link, takes(), now)
        link.remb(0, forwarder.now() - WARMUP - 1)
        link.report(50)
        link.next_probe = forwarder.now() + 3600  # no probing in this test (tested on its own)

        async def reporting() -> None:
            while True:
                link.remb(0, forwarder.now())
                await asyncio.sleep(0.2)

        reporter = asyncio.create_task(reporting())

        def paused() -> list[str] | None:
            told = [m for m in b.messages if m["type"] == "video_paused"]
            return told[-1]["participants"] if told else None

        live.server.control.set_floor("room-1", floor)
        await eventually(lambda: paused() == ["a", "d"], what="a and d paused for b")
        # what the server sends b is the pause itself; what b decodes lags behind it on a
        # busy machine (frames already received are decoded late), so count both where each
        # is true: packets sent at the server, frames decoded at b
        slots = subs.slots
        sinks = {slot.source.participant: slot.sink for slot in slots
                 if slot.kind == "video" and slot.source is not None}
        sent = {p: sinks[p].sent for p in "ad"}
        decoded = b.frames_from("c", "video")
        await asyncio.sleep(1.5)
        assert b.frames_from("c", "video") - decoded >= 5  # the floor's video flows
        assert {p: sinks[p].sent for p in "ad"} == sent  # not one packet of the paused ones
        assert sees(clients["c"], ["a", "d"], "video", 10)  # nobody else is affected

        floor = "a"
        live.server.control.set_floor("room-1", floor)
        await eventually(lambda: paused() == ["c", "d"], what="the floor's video follows")
        start = b.frames_from("a", "video")
        await eventually(lambda: b.frames_from("a", "video") >= start + 5,
                         what="a's video again, from a keyframe")
    finally:
        if reporter is not None:
            reporter.cancel()
        for client in clients.values():
            await client.close()


async def test_a_subscriber_losing_audio_is_passed_on_to_the_publisher(live: Live) -> None:
    """A browser's Opus adds in-band FEC only when the reports on its stream show loss: the
    server tells a publisher what its audio's subscribers lose (at most 5 %), not only what its
    own link loses, and stops once they no longer lose it."""
    from aiortc.rtp import RtcpRrPacket, RtcpSrPacket

    from rtc.forwarder import LOSS_PASSED_FOR, LOSS_PASSED_ON

    a = await join(live, "a")
    told: list[tuple[float, int]] = []  # (when, fraction lost) of each report a's audio gets
    assert a.publish_pc is not None
    sender = next(t.sender for t in a.publish_pc.getTransceivers() if t.kind == "audio")
    handle = sender._handle_rtcp_packet

    async def reported(packet: Any) -> None:
        if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
            told.extend((asyncio.get_running_loop().time(), r.fraction_lost)
                        for r in packet.reports if r.ssrc == sender._ssrc)
        await handle(packet)

    sender._handle_rtcp_packet = reported  # type: ignore[method-assign]
    b = Client(live.url, live.token("b"), audio=ToneAudio(loud=False), video=PatternVideo())
    losing = LosingAudio(b, every=8)  # one in eight lost on b's link, when on
    await b.connect()
    loop = asyncio.get_running_loop()
    forwarder = live.server.hub.forwarder
    try:
        await eventually(lambda: sees(b, ["a"], "audio", 50), what="b hearing a")
        source = live.server.hub.rooms["room-1"].members["a"].sources["audio"]
        losing.on = True
        start = loop.time()
        await eventually(lambda: any(f >= LOSS_PASSED_ON for t, f in told if t > start),
                         what="b's loss passed on to a")
        assert forwarder.subscribers_loss(source) == LOSS_PASSED_ON  # b loses 12 %: capped
        losing.on = False
        await eventually(lambda: forwarder.subscribers_loss(source) == 0,
                         timeout=LOSS_PASSED_FOR + 10, what="b's loss forgotten")
        start = loop.time()  # a's own link loses nothing (unless the machine is starved)
        await eventually(lambda: sum(t > start for t, _ in told) >= 2, what="reports to a")
        assert max(f for t, f in told if t > start) < LOSS_PASSED_ON
    finally:
        await a.close()
        await b.close()
