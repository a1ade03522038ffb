"""rtc/rtpwire.py writes the bytes aiortc's own serialiser writes, and reads them back."""

from __future__ import annotations

from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket
from hypothesis import given
from hypothesis import strategies as st

from rtc import rtpwire

URIS = {
    "mid": "urn:ietf:params:rtp-hdrext:sdes:mid",
    "abs_send_time": "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "audio_level": "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
}


@given(
    ids=st.fixed_dictionaries({k: st.integers(0, 14) for k in URIS}),
    mid=st.none() | st.text("0123456789abc", min_size=1, max_size=16),
    marker=st.integers(0, 1),
    pt=st.integers(0, 127),
    seq=st.integers(0, 0xFFFF),
    ts=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 0xFFFFFFFF),
    payload=st.binary(max_size=40),
    abs_time=st.none() | st.integers(0, 0xFFFFFF),
    level=st.none() | st.tuples(st.booleans(), st.integers(0, 127)),
)
def test_the_bytes_are_aiortcs(ids: dict[str, int], mid: str | None, marker: int, pt: int,
                               seq: int, ts: int, ssrc: int, payload: bytes,
                               abs_time: int | None,
                               level: tuple[bool, int] | None) -> None:
    used = {k: v for k, v in ids.items() if v}
    if len(set(used.values())) < len(used):
        return  # one id for two extensions is not a negotiation
    extensions_map = HeaderExtensionsMap()
    extensions_map.configure(RTCRtpParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=v, uri=URIS[k]) for k, v in used.items()]))
    theirs = RtpPacket(payload_type=pt, marker=marker, sequence_number=seq, timestamp=ts,
                       ssrc=ssrc, payload=payload)
    theirs.extensions.mid, theirs.extensions.abs_send_time = mid, abs_time
    theirs.extensions.audio_level = level
    wanted = theirs.serialize(extensions_map)

    ext = rtpwire.Extensions(ids["mid"], ids["abs_send_time"], ids["audio_level"])
    assert ext.one_byte(mid)
    ours = rtpwire.packet(pt, marker, seq, ts, ssrc, payload, ext,
                          rtpwire.mid_element(ext, mid), abs_time, level)
    assert ours == wanted
    assert rtpwire.sequence_number(ours) == seq
    assert rtpwire.payload_length(ours) == len(payload)
    back = RtpPacket.parse(ours, extensions_map)
    assert (back.sequence_number, back.timestamp, back.payload) == (seq, ts, payload)


def test_forms_it_does_not_write_are_said() -> None:
    assert not rtpwire.Extensions(mid=3).one_byte("")  # aiortc writes two-byte headers
    assert not rtpwire.Extensions(mid=3).one_byte("x" * 17)
    assert not rtpwire.Extensions(mid=15).one_byte("0")
    assert rtpwire.Extensions().one_byte("")  # no mid negotiated: nothing to write
