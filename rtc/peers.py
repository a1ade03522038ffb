"""Building aiortc peer connections the way rtc/ needs them.

Two peer connections per client: the client offers on the *publish* one (one microphone, one
camera); the server is the only offerer on the *subscribe* one. Codecs are restricted to Opus
and VP8 (+RTX), Opus in-band FEC is asked for in every SDP we send, and the ICE servers always
come from ``RTCConfig`` (never aiortc's default public STUN server).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from aiortc import RTCIceCandidate, RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver, sdp
from aiortc.rtcrtpparameters import RTCRtpCodecCapability
from aiortc.sdp import candidate_from_sdp

from . import messages as m
from .config import RTCConfig
from .errors import ProtocolError
from .forwarder import PlaceholderTrack
from .messages import Kind

Watch = Callable[[RTCPeerConnection], None]
"""How the owner of a peer connection asks to hear when it fails (the connection task's nudge)."""

ALLOWED_CODECS: dict[str, tuple[str, ...]] = {
    "audio": ("audio/opus",),
    "video": ("video/vp8", "video/rtx"),
}


def codec_preferences(kind: Kind) -> list[RTCRtpCodecCapability]:
    """The only codecs rtc/ negotiates for a kind: Opus, or VP8 with RTX."""
    return [
        c
        for c in RTCRtpSender.getCapabilities(kind).codecs
        if c.mimeType.lower() in ALLOWED_CODECS[kind]
    ]


_MEDIA_LINE = re.compile(r"^m=(audio|video) ", re.MULTILINE)


def offered_kinds(sdp: str) -> list[Kind]:
    """The kinds of the media sections of an offer, in order."""
    return ["audio" if k == "audio" else "video" for k in _MEDIA_LINE.findall(sdp)]


def offer_problem(text: str) -> str | None:
    """Why an offer cannot be answered safely, or None: each media section needs its DTLS
    fingerprint and ICE credentials, and its mid in the BUNDLE group (aiortc would otherwise
    accept it and fail later, in the background)."""
    try:
        offer = sdp.SessionDescription.parse(text)
    except Exception:
        return "unreadable SDP"
    bundle = next((g.items for g in offer.group if g.semantic == "BUNDLE"), None)
    for media in offer.media:
        if media.dtls is None or not media.dtls.fingerprints:
            return "a media section has no DTLS fingerprint"
        if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
            return "a media section has no ICE credentials"
        if bundle is not None and media.rtp.muxId not in [str(i) for i in bundle]:
            return "a media section is outside the BUNDLE group"
    return None


def offer_bundled(text: str) -> bool:
    """True if an offer bundles its media sections (a BUNDLE group: browsers do)."""
    return "\na=group:BUNDLE " in text.replace("\r\n", "\n")


def new_publish_pc(
    config: RTCConfig, kinds: Sequence[Kind] = ("audio", "video"), *, bundled: bool = False
) -> RTCPeerConnection:
    """A peer connection that answers a client's offer and only receives.

    One receiving media section per section of the offer (audio alone from a phone with its
    camera off, say): created before the offer is applied, so the codec preferences (Opus, VP8)
    decide what is negotiated. A section without a counterpart in the offer would break the answer.
    A ``bundled`` offer gets every section on one transport from the start: with aiortc's
    default policy a second video section (the small picture) would share the first one's
    transport, which the offer's BUNDLE then leaves behind, and never receive.
    """
    pc = RTCPeerConnection(configuration=config.rtc_configuration(max_bundle=bundled))
    for kind in kinds:
        t = pc.addTransceiver(kind, direction="recvonly")
        t.setCodecPreferences(codec_preferences(kind))
    return pc


def new_subscribe_pc(config: RTCConfig) -> RTCPeerConnection:
    """A peer connection on which the server offers; everything bundled on one transport."""
    return RTCPeerConnection(configuration=config.rtc_configuration(max_bundle=True))


def add_send_transceiver(pc: RTCPeerConnection, kind: Kind) -> RTCRtpTransceiver:
    """A send-only media section fed by the forwarder (its track never yields frames)."""
    t = pc.addTransceiver(PlaceholderTrack(kind), direction="sendonly")
    t.setCodecPreferences(codec_preferences(kind))
    return t


_OPUS_RTPMAP = re.compile(r"^a=rtpmap:(\d+) opus/48000", re.IGNORECASE | re.MULTILINE)


def with_opus_fec(sdp: str, *, dtx: bool = False) -> str:
    """Add ``useinbandfec=1`` (and ``minptime=10``) to the Opus format of an SDP; ``dtx``: also
    ``usedtx=1`` (in an answer to a publisher: its browser then sends almost nothing while its
    microphone hears silence, about one packet in 20, so the room's silent majority costs a
    weak receiver little)."""
    lines = sdp.split("\r\n")
    wanted = ["useinbandfec=1"] + (["usedtx=1"] if dtx else [])
    for pt in set(_OPUS_RTPMAP.findall(sdp)):
        prefix = f"a=fmtp:{pt} "
        fmtp = next((i for i, line in enumerate(lines) if line.startswith(prefix)), None)
        if fmtp is None:
            rtpmap = next(i for i, line in enumerate(lines) if line.startswith(f"a=rtpmap:{pt} "))
            lines.insert(rtpmap + 1, prefix + ";".join(["minptime=10", *wanted]))
            continue
        for option in wanted:
            if option.split("=")[0] not in lines[fmtp]:
                lines[fmtp] += ";" + option
    return "\r\n".join(lines)


def parse_candidate(candidate: str, sdp_mid: str | None, index: int | None) -> RTCIceCandidate:
    """Turn a browser's trickled candidate line into an aiortc candidate (ValueError if bad)."""
    text = candidate[len("candidate:") :] if candidate.startswith("candidate:") else candidate
    try:
        parsed = candidate_from_sdp(text)
    except (IndexError, ValueError) as exc:
        raise ValueError("unparsable ICE candidate") from exc
    parsed.sdpMid = sdp_mid
    parsed.sdpMLineIndex = index
    return parsed


async def add_candidate(pc: RTCPeerConnection | None, msg: m.Candidate) -> None:
    """Add a client's trickled ICE candidate to one of its peer connections."""
    if pc is None or pc.remoteDescription is None:
        raise ProtocolError("no description to add a candidate to", code="out_of_order")
    if not msg.candidate:
        return  # end of candidates
    try:
        await pc.addIceCandidate(parse_candidate(msg.candidate, msg.sdpMid, msg.sdpMLineIndex))
    except Exception:
        raise ProtocolError("bad ICE candidate", code="bad_candidate") from None
