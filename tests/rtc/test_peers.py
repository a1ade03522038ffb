"""How peer connections are built: explicit ICE servers, Opus + VP8 only, Opus in-band FEC."""

from __future__ import annotations

import re
from pathlib import Path

from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.sdp import SessionDescription

from rtc.client import Client
from rtc.config import IceServer, RTCConfig
from rtc.peers import new_publish_pc, new_subscribe_pc, with_opus_fec

from .conftest import SECRET, Live, eventually, serve
from .media import PatternVideo, ToneAudio

RTC = Path(__file__).resolve().parents[2] / "rtc"


def test_every_peer_connection_gets_an_explicit_configuration() -> None:
    """aiortc falls back to a public STUN server without one: never construct it bare."""
    for path in RTC.glob("*.py"):
        source = path.read_text()
        for call in re.findall(r"RTCPeerConnection\((.*?)\)", source):
            assert call.startswith("configuration="), f"{path.name}: RTCPeerConnection({call})"


def configuration(pc: RTCPeerConnection) -> RTCConfiguration:
    """aiortc has no getConfiguration(): read what the constructor kept."""
    return getattr(pc, "_RTCPeerConnection__configuration")  # type: ignore[no-any-return] # noqa: B009


async def test_ice_servers_come_from_config() -> None:
    turn = IceServer(urls=("turn:turn.example.org:3478",), username="u", credential="p")
    config = RTCConfig(join_secret=SECRET, ice_servers=(turn,))
    for pc in (new_publish_pc(config), new_subscribe_pc(config)):
        servers = configuration(pc).iceServers
        assert [(s.urls, s.username, s.credential) for s in servers or []] == [
            (["turn:turn.example.org:3478"], "u", "p")
        ]
        await pc.close()
    empty = new_publish_pc(RTCConfig(join_secret=SECRET))
    assert configuration(empty).iceServers == []  # not None: None means a public STUN server
    await empty.close()


def test_opus_fec_is_added_once() -> None:
    sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
    once = with_opus_fec(sdp)
    assert "a=fmtp:111 minptime=10;useinbandfec=1" in once
    assert with_opus_fec(once) == once
    fmtp = sdp + "a=fmtp:111 stereo=1\r\n"
    assert "a=fmtp:111 stereo=1;useinbandfec=1" in with_opus_fec(fmtp)
    dtx = with_opus_fec(fmtp, dtx=True)
    assert "a=fmtp:111 stereo=1;useinbandfec=1;usedtx=1" in dtx
    assert with_opus_fec(dtx, dtx=True) == dtx
    assert "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1" in with_opus_fec(sdp, dtx=True)


def codecs(sdp: str) -> dict[str, set[str]]:
    parsed = SessionDescription.parse(sdp)
    return {m.kind: {c.mimeType.lower() for c in m.rtp.codecs} for m in parsed.media}


async def test_negotiated_sdp_is_opus_and_vp8_with_fec(live: Live) -> None:
    a = Client(live.url, live.token("a"), audio=ToneAudio(), video=PatternVideo())
    b = Client(live.url, live.token("b"), audio=ToneAudio(), video=PatternVideo())
    await a.connect()
    await b.connect()
    try:
        assert a.publish_pc is not None
        answer = a.publish_pc.remoteDescription.sdp
        assert codecs(answer) == {"audio": {"audio/opus"}, "video": {"video/vp8", "video/rtx"}}
        assert "useinbandfec=1" in answer
        await eventually(lambda: a.subscribe_pc is not None and bool(a.streams))
        assert a.subscribe_pc is not None
        offer = a.subscribe_pc.remoteDescription.sdp
        assert codecs(offer) == {"audio": {"audio/opus"}, "video": {"video/vp8", "video/rtx"}}
        assert "useinbandfec=1" in offer
        assert offer.count("a=group:BUNDLE") == 1  # one transport for every subscription
    finally:
        await a.close()
        await b.close()


async def test_joined_hands_the_ice_servers_to_the_client() -> None:
    turn = IceServer(urls=("turn:127.0.0.1:3478",), username="u", credential="p")
    async with serve(RTCConfig(join_secret=SECRET, ice_servers=(turn,))) as live:
        a = Client(live.url, live.token("a"))
        await a.connect(publish=False)
        assert [(s.urls, s.username, s.credential) for s in a.ice] == [
            (["turn:127.0.0.1:3478"], "u", "p")
        ]
        await a.close()
