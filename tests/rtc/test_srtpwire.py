"""rtc/_srtpwire.c on real libsrtp sessions and real sockets: what it sends is what pylibsrtp
would have sent, what it unprotects is what pylibsrtp would have given, and bad input is
refused without harm. (The forwarder's packets through it: tests/rtc/test_media.py, and the
same tests with it off: test_without_the_compiled_part below.)"""

from __future__ import annotations

import os
import socket

import pylibsrtp
import pytest

from rtc import rtpwire, srtpwire
from rtc.forwarder import Forwarder

KEY = bytes(range(44))  # AES-256-GCM: a 32-byte key and a 12-byte salt


def session(direction: int, profile: int = pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
            key: bytes = KEY) -> pylibsrtp.Session:
    return pylibsrtp.Session(pylibsrtp.Policy(key=key, ssrc_type=direction, srtp_profile=profile))


OUT, IN = pylibsrtp.Policy.SSRC_ANY_OUTBOUND, pylibsrtp.Policy.SSRC_ANY_INBOUND


def rtp(seq: int, size: int = 1000) -> bytes:
    return rtpwire.packet(96, 1, seq, 90 * seq, 0x1234, os.urandom(size), rtpwire.Extensions(),
                          b"")


@pytest.fixture
def receiver() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    yield sock
    sock.close()


def test_built_where_the_suite_runs() -> None:
    # CI builds it (setup.py): a build that silently failed would measure the slow path
    if os.environ.get("CI"):
        assert srtpwire.AVAILABLE
    assert srtpwire.verify() == []
    assert Forwarder().native == srtpwire.AVAILABLE
    assert Forwarder(native_wire=False).native is False


needs_native = pytest.mark.skipif(not srtpwire.AVAILABLE, reason="rtc/_srtpwire.c not built")


@needs_native
@pytest.mark.parametrize("profile", [pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
                                     pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80])
def test_sends_what_pylibsrtp_protects(receiver: socket.socket, profile: int) -> None:
    key = KEY[:30] if profile == pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80 else KEY
    ours, theirs, peer = session(OUT, profile, key), session(OUT, profile, key), \
        session(IN, profile, key)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        address = srtpwire.sockaddr(receiver.getsockname())
        for seq in (1, 2, 3, 65535, 0):  # a rollover too
            packet = rtp(seq)
            size = srtpwire.native.send(srtpwire.session_address(ours), sender.fileno(),
                                        address, packet)
            wire = receiver.recv(2048)
            assert size == len(wire)
            assert wire == theirs.protect(packet)  # the same bytes, byte for byte
            assert peer.unprotect(wire) == packet
    finally:
        sender.close()


@needs_native
@pytest.mark.parametrize("ids", [rtpwire.Extensions(), rtpwire.Extensions(1, 3, 0),
                                 rtpwire.Extensions(4, 0, 14), rtpwire.Extensions(14, 2, 1)])
@pytest.mark.parametrize("mid", [None, "0", "a-mid-of-sixteen"])
def test_forward_writes_what_rtpwire_writes(receiver: socket.socket, ids: rtpwire.Extensions,
                                            mid: str | None) -> None:
    ours, theirs = session(OUT), session(OUT)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ring: list[bytes | None] = [None] * 128
    element = rtpwire.mid_element(ids, mid)
    wire = (None, None, ours, srtpwire.session_address(ours), sender.fileno(),
            srtpwire.sockaddr(receiver.getsockname()), ring, 111, 0xDEADBEEF, element,
            ids.abs_send_time, ids.audio_level)
    cases = [(0, 1, 0, None, None), (1, 0xFFFF, 0xFFFFFFFF, 0xFFFFFF, None),
             (1, 200, 12345, None, (True, 127)), (0, 4711, 3, 77, (False, 30))]
    try:
        for marker, seq, timestamp, abs_send_time, level in cases:
            payload = os.urandom(seq % 900)
            expected = rtpwire.packet(111, marker, seq, timestamp, 0xDEADBEEF, payload, ids,
                                      element, abs_send_time, level)
            size = srtpwire.native.forward(
                wire, marker, seq, timestamp, payload,
                -1 if abs_send_time is None else abs_send_time,
                -1 if level is None else (0x80 if level[0] else 0) | level[1])
            assert ring[seq % 128] == expected  # kept for a NACK, as written
            sent = receiver.recv(2048)
            assert size == len(sent) and sent == theirs.protect(expected)
        with pytest.raises(ValueError):
            srtpwire.native.forward(wire, 0, 1, 1, bytes(1900), -1, -1)
        with pytest.raises(TypeError):
            srtpwire.native.forward(wire[:5], 0, 1, 1, b"", -1, -1)
        with pytest.raises(TypeError):
            srtpwire.native.forward(wire[:6] + ((),) + wire[7:], 0, 1, 1, b"", -1, -1)
    finally:
        sender.close()


@needs_native
def test_unprotects_what_pylibsrtp_unprotects() -> None:
    sending, ours, theirs = session(OUT), session(IN), session(IN)
    address = srtpwire.session_address(ours)
    for seq in range(5):
        packet = rtp(seq, size=seq * 300)
        wire = sending.protect(packet)
        assert srtpwire.native.unprotect(address, wire) == theirs.unprotect(wire) == packet
    # replayed, tampered, truncated, too short: None, and the session goes on
    assert srtpwire.native.unprotect(address, wire) is None
    tampered = sending.protect(rtp(10))
    assert srtpwire.native.unprotect(address, tampered[:-1] + bytes([tampered[-1] ^ 1])) is None
    assert srtpwire.native.unprotect(address, sending.protect(rtp(11))[:20]) is None
    assert srtpwire.native.unprotect(address, b"\x80" * 5) is None
    assert srtpwire.native.unprotect(address, b"\x80" * 4000) is None
    packet = rtp(12)
    assert srtpwire.native.unprotect(address, sending.protect(packet)) == packet


@needs_native
def test_bad_input_is_refused(receiver: socket.socket) -> None:
    kept = session(OUT)  # the address is valid while the session lives
    ours = srtpwire.session_address(kept)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    address = srtpwire.sockaddr(receiver.getsockname())
    try:
        with pytest.raises(ValueError):
            srtpwire.native.send(ours, sender.fileno(), address, rtp(1, size=1950))
        with pytest.raises(ValueError):
            srtpwire.native.send(ours, sender.fileno(), address, b"\x80" * 11)
        with pytest.raises(TypeError):
            srtpwire.native.send(ours, sender.fileno(), address, bytearray(rtp(1)))
        with pytest.raises(TypeError):
            srtpwire.native.send(ours, sender.fileno(), address)
        with pytest.raises(ValueError):
            srtpwire.native.send(0, sender.fileno(), address, rtp(1))
        closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        fd = closed.fileno()
        closed.close()
        assert srtpwire.native.send(ours, fd, address, rtp(2)) < 0  # -EBADF: lost, no raise
        assert srtpwire.native.send(ours, sender.fileno(), address, rtp(3)) > 0
    finally:
        sender.close()
    with pytest.raises(ValueError):
        srtpwire.sockaddr(("example.org", 1))  # never a name lookup on the data path
    with pytest.raises(ValueError):
        srtpwire.sockaddr(("127.0.0.1", 70000))
    v6 = srtpwire.sockaddr(("::1", 5000))
    assert len(v6) == 28 and int.from_bytes(v6[:2], "little") == socket.AF_INET6
    v4 = srtpwire.sockaddr(("10.0.0.1", 5000))
    assert len(v4) == 16 and v4[2:4] == (5000).to_bytes(2, "big")
    assert v4[4:8] == socket.inet_aton("10.0.0.1")
