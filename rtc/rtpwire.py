"""An outgoing RTP packet as bytes, built in one step for each subscriber.

The forwarder sends every incoming packet to up to a dozen subscribers, each with its own
SSRC, payload type, sequence number, timestamp and ``mid``. Building an aiortc ``RtpPacket``
and serialising it through a ``HeaderExtensionsMap`` for each of them cost more than the SRTP
that follows, so the forwarder writes the bytes here instead: the fixed header with one
``struct`` call, and the header extensions it sends (``mid``, ``abs-send-time`` for video, the
publisher's ``ssrc-audio-level`` for audio) in RFC 8285's one-byte form, in the order aiortc
writes them. ``tests/rtc/test_rtpwire.py`` checks the bytes against aiortc's own
``RtpPacket.serialize`` for every combination.

Pure: no aiortc, no I/O.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_FIXED = struct.Struct("!BBHII")
_FIXED_EXT = struct.Struct("!BBHIIHH")
_ONE_BYTE_PROFILE = 0xBEDE
_PAD = (b"", b"\x00\x00\x00", b"\x00\x00", b"\x00")


@dataclass(frozen=True, slots=True)
class Extensions:
    """The negotiated ids (0: not negotiated) of the extensions a forwarded packet carries."""

    mid: int = 0
    abs_send_time: int = 0
    audio_level: int = 0

    def one_byte(self, mid: str | None) -> bool:
        """True if RFC 8285's one-byte form can carry them (ids 1-14, values 1-16 bytes)."""
        ids = (self.mid, self.abs_send_time, self.audio_level)
        return all(0 <= i <= 14 for i in ids) and (
            not self.mid or mid is None or 1 <= len(mid.encode()) <= 16
        )


def mid_element(ids: Extensions, mid: str | None) -> bytes:
    """The ``mid`` element of a subscriber's packets (the same for all of them)."""
    if not ids.mid or mid is None:
        return b""
    value = mid.encode()
    return bytes(((ids.mid << 4) | (len(value) - 1),)) + value


def packet(
    payload_type: int,
    marker: int,
    sequence_number: int,
    timestamp: int,
    ssrc: int,
    payload: bytes,
    ids: Extensions,
    mid: bytes,
    abs_send_time: int | None = None,
    audio_level: tuple[bool, int] | None = None,
) -> bytes:
    """One RTP packet (version 2, no CSRC, no padding). ``mid`` is ``mid_element``'s bytes."""
    ext = mid
    if abs_send_time is not None and ids.abs_send_time:
        ext += bytes(((ids.abs_send_time << 4) | 2,)) + (abs_send_time & 0xFFFFFF).to_bytes(3)
    if audio_level is not None and ids.audio_level:
        ext += bytes(((ids.audio_level << 4), (0x80 if audio_level[0] else 0)
                      | (audio_level[1] & 0x7F)))
    second = (marker << 7) | payload_type
    if not ext:
        return _FIXED.pack(0x80, second, sequence_number, timestamp, ssrc) + payload
    ext += _PAD[len(ext) & 3]
    return _FIXED_EXT.pack(0x90, second, sequence_number, timestamp, ssrc,
                           _ONE_BYTE_PROFILE, len(ext) >> 2) + ext + payload


def sequence_number(data: bytes) -> int:
    """The sequence number of an RTP packet as bytes."""
    return (data[2] << 8) | data[3]


def payload_length(data: bytes) -> int:
    """The payload's length in an RTP packet as bytes written by ``packet`` (what RTCP sender
    reports count)."""
    if data[0] & 0x10:
        return len(data) - 16 - (((data[14] << 8) | data[15]) << 2)
    return len(data) - 12
