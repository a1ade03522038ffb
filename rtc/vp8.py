"""The VP8 RTP payload descriptor (RFC 7741, section 4.2): read the headers only, never the
picture, and rewrite the picture id in place.

A publisher that encodes temporal layers (``scalabilityMode: "L1T3"``) marks each frame with
its layer (TID, 0 = the base: a quarter of the frames at L1T3, 1 = half, 2 = all), the base
frame it hangs from (TL0PICIDX) and whether it depends on base frames only (Y, layer sync). The
forwarder (rtc/forwarder.py) thins a video for a weak receiver by dropping whole frames of the
upper layers; it renumbers the picture ids it sends so the receiver sees no gap.

    +-+-+-+-+-+-+-+-+
    |X|R|N|S|R| PID | (REQUIRED)
    +-+-+-+-+-+-+-+-+
    |I|L|T|K| RSV   | (OPTIONAL, X)
    +-+-+-+-+-+-+-+-+
    |M| PictureID   | (OPTIONAL, I; M: 15 bits, one more byte)
    +-+-+-+-+-+-+-+-+
    |   TL0PICIDX   | (OPTIONAL, L)
    +-+-+-+-+-+-+-+-+
    |TID|Y| KEYIDX  | (OPTIONAL, T or K)
    +-+-+-+-+-+-+-+-+
"""

from __future__ import annotations

from dataclasses import dataclass

LAYERS = 4
"""Temporal layers the forwarder tells apart: as many as TID's two bits name (the room page
sends three, L1T3); a stream without them has one."""


@dataclass(frozen=True, slots=True)
class Descriptor:
    """What the forwarder needs from one packet's payload descriptor."""

    start: bool
    """The first packet of a frame (S set, partition 0)."""
    keyframe: bool
    """The first packet of a keyframe."""
    tid: int | None
    """Temporal layer (0 = base), None when the publisher does not send layers."""
    sync: bool
    """Layer sync (Y): the frame depends on base-layer frames only."""
    picture_id: int | None
    picture_id_at: int
    """Byte offset of the picture id (valid when ``picture_id`` is not None)."""
    picture_id_bits: int
    """7 or 15."""


def parse(payload: bytes) -> Descriptor | None:
    """The payload descriptor of one VP8 RTP payload; None if it is too short to hold one."""
    n = len(payload)
    if n < 2:
        return None
    b0 = payload[0]
    start = bool(b0 & 0x10) and not (b0 & 0x07)
    i = 1
    tid: int | None = None
    sync = False
    picture_id: int | None = None
    picture_id_at, bits = 0, 0
    if b0 & 0x80:
        x = payload[1]
        i = 2
        if x & 0x80:
            if n <= i:
                return None
            picture_id_at = i
            if payload[i] & 0x80:
                if n <= i + 1:
                    return None
                picture_id, bits = ((payload[i] & 0x7F) << 8) | payload[i + 1], 15
                i += 2
            else:
                picture_id, bits = payload[i] & 0x7F, 7
                i += 1
        if x & 0x40:
            i += 1
        if x & 0x30:
            if n <= i:
                return None
            if x & 0x20:
                tid, sync = payload[i] >> 6, bool(payload[i] & 0x20)
            i += 1
    if n <= i:
        return None
    keyframe = start and not (payload[i] & 0x01)
    return Descriptor(start, keyframe, tid, sync, picture_id, picture_id_at, bits)


def is_keyframe_start(payload: bytes) -> bool:
    """True if a VP8 RTP payload begins a keyframe."""
    d = parse(payload)
    return d is not None and d.keyframe


def with_picture_id(payload: bytes, d: Descriptor, picture_id: int) -> bytes:
    """The payload with its picture id replaced (same width: 7 or 15 bits, wrapping)."""
    at = d.picture_id_at
    if d.picture_id_bits == 15:
        picture_id &= 0x7FFF
        head = bytes((0x80 | (picture_id >> 8), picture_id & 0xFF))
        return payload[:at] + head + payload[at + 2:]
    return payload[:at] + bytes((picture_id & 0x7F,)) + payload[at + 1:]
