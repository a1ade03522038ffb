"""Hostile datagrams at the server's ICE ports: media keeps flowing, nothing escapes.

An attacker who learns a server ICE port (it is in every SDP the server sends) can send it any
UDP datagram. One empty datagram, or one 65,507-byte datagram whose first byte is in 0x80-0xBF,
used to kill the DTLS transport it reached (IndexError in aiortc's ``_recv_next``, or
pylibsrtp's "packet is too long"), from any source address: that participant's media stopped.

Here two real aiortc clients talk through the real server; junk goes to every server-side local
candidate of both of their connections, from other sockets (another address or port) and from
inside each client's own ICE path (so it arrives from the validated address). Afterwards media
must still flow both ways and nothing may have been logged as an unhandled exception.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Any

import pytest
from aioice import stun
from hypothesis import strategies as st

from rtc import guard
from rtc.client import Client

from .conftest import Live, drawn, eventually
from .media import PatternVideo, ToneAudio

MAX_UDP = 65507
"""The largest payload of one IPv4 UDP datagram."""


# --- datagrams -------------------------------------------------------------------------------


def dtls_record(content_type: int, epoch: int, seq: int, body: bytes) -> bytes:
    header = struct.pack("!BHH", content_type, 0xFEFD, epoch) + seq.to_bytes(6, "big")
    return header + struct.pack("!H", len(body)) + body


def rtp_like(first: int, second: int, seq: int, ts: int, ssrc: int, tail: bytes) -> bytes:
    return struct.pack("!BBHII", first, second, seq, ts, ssrc) + tail


def stun_like(method: int, klass: int, attrs: list[tuple[int, bytes]], cookie: bool) -> bytes:
    body = b"".join(struct.pack("!HH", t, len(v)) + v + b"\x00" * (-len(v) % 4) for t, v in attrs)
    kind = (method & 0x3EEF) | klass
    magic = stun.COOKIE if cookie else 0x01020304
    return struct.pack("!HHI", kind, len(body), magic) + bytes(12) + body


def stun_message(transaction: bytes, username: str, wrong_key: bytes, request: bool) -> bytes:
    msg = stun.Message(
        message_method=stun.Method.BINDING,
        message_class=stun.Class.REQUEST if request else stun.Class.RESPONSE,
        transaction_id=transaction,
    )
    msg.attributes["USERNAME"] = username
    msg.attributes["PRIORITY"] = 1
    msg.attributes["ICE-CONTROLLING"] = 1
    msg.add_message_integrity(wrong_key)
    msg.add_fingerprint()
    return bytes(msg)


STUN_ATTRS = st.sampled_from([0x0006, 0x0008, 0x0020, 0x0024, 0x0025, 0x8029, 0x802A, 0x8028])
datagrams = st.one_of(
    st.just(b""),
    st.binary(min_size=1, max_size=1500),
    # truncated SRTP/SRTCP: a first byte of RTP/RTCP and less than a header
    st.tuples(st.integers(0x80, 0xBF), st.binary(max_size=11)).map(lambda t: bytes([t[0]]) + t[1]),
    # the attacker's probe: one maximal datagram that looks like SRTP
    st.integers(0x80, 0xBF).map(lambda b: bytes([b]) + bytes(range(256)) * 254 + bytes(482)),
    # oversize of every other kind
    st.integers(0, 0xFF).map(lambda b: bytes([b]) * MAX_UDP),
    # well-formed RTP / RTCP headers without valid SRTP authentication
    st.builds(
        rtp_like,
        st.integers(0x80, 0xBF),
        st.integers(0, 0xFF),
        st.integers(0, 0xFFFF),
        st.integers(0, 0xFFFFFFFF),
        st.integers(0, 0xFFFFFFFF),
        st.binary(max_size=1200),
    ),
    st.builds(
        rtp_like,
        st.integers(0x80, 0xBF),
        st.integers(200, 208),
        st.integers(0, 0xFFFF),
        st.integers(0, 0xFFFFFFFF),
        st.integers(0, 0xFFFFFFFF),
        st.binary(max_size=200),
    ),
    # DTLS records of every content type, any epoch, garbage inside
    st.builds(
        dtls_record,
        st.integers(20, 63),
        st.integers(0, 3),
        st.integers(0, 2**48 - 1),
        st.binary(max_size=1200),
    ),
    # STUN-shaped: bad lengths, unknown methods, short attributes
    st.builds(
        stun_like,
        st.integers(0, 0x3FFF),
        st.sampled_from([0x0000, 0x0010, 0x0100, 0x0110]),
        st.lists(st.tuples(STUN_ATTRS, st.binary(max_size=9)), max_size=4),
        st.booleans(),
    ),
    # valid STUN with the wrong credentials, requests and unsolicited responses
    st.builds(
        stun_message,
        st.binary(min_size=12, max_size=12),
        st.text(alphabet="abcdefgh:", min_size=1, max_size=20),
        st.binary(min_size=1, max_size=16),
        st.booleans(),
    ),
)


def corpus(count: int) -> list[bytes]:
    """``count`` datagrams drawn by hypothesis, the same ones on every run, plus the probe's."""
    probe = [b"", bytes([0x80]) + bytes(MAX_UDP - 1), bytes([0xBF]) * MAX_UDP]
    return probe + drawn(datagrams, count)


# --- where to send them ----------------------------------------------------------------------


def ice_connection(pc: Any) -> Any:
    """The aioice connection under a bundled aiortc peer connection (test-side introspection)."""
    transceiver = pc.getTransceivers()[0]
    return transceiver.receiver.transport.transport._connection


def server_ports(pc: Any) -> list[tuple[str, int]]:
    """The server's host candidates for one client connection, from the SDP it sent."""
    ports = []
    for line in pc.remoteDescription.sdp.splitlines():
        if line.startswith("a=candidate:"):
            fields = line.split()
            host, port = fields[4], int(fields[5])
            if not host.startswith("fe80") and (host, port) not in ports:
                ports.append((host, port))
    return ports


def foreign_sockets(targets: list[tuple[str, int]]) -> list[socket.socket]:
    """Sockets on other addresses or ports than any client's: loopback and each target's host."""
    binds: set[tuple[int, str]] = set()
    for host, _ in targets:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        binds.add((family, host))
        binds.add((family, "::1" if family == socket.AF_INET6 else "127.0.0.1"))
    out = []
    for family, host in sorted(binds):
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        sock.bind((host, 0))
        sock.setblocking(False)
        out.append(sock)
    return out


def send_foreign(socks: list[socket.socket], target: tuple[str, int], data: bytes) -> int:
    family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    sent = 0
    for sock in socks:
        if sock.family == family:
            try:
                sock.sendto(data, target)
                sent += 1
            except OSError:  # a full buffer: this one is lost, like on a network
                pass
    return sent


# --- the test --------------------------------------------------------------------------------


async def join(live: Live, pid: str) -> Client:
    client = Client(live.url, live.token(pid), audio=ToneAudio(), video=PatternVideo())
    await client.connect()
    return client


def frames(clients: list[Client]) -> dict[tuple[str, str, str], int]:
    return {
        (c.id, o.id, kind): c.frames_from(o.id, kind)
        for c in clients
        for o in clients
        if o is not c
        for kind in ("audio", "video")
    }


async def media_flows(clients: list[Client], gain: int, what: str) -> None:
    start = frames(clients)

    def grew() -> bool:
        now = frames(clients)
        return all(now[key] >= start[key] + gain for key in start)

    try:
        await eventually(grew, timeout=10.0, what=what)
    except AssertionError:
        now = frames(clients)
        stalled = {key: (start[key], now[key]) for key in start if now[key] < start[key] + gain}
        raise AssertionError(f"{what}: stalled streams (before, after): {stalled}") from None


def unhandled(records: list[logging.LogRecord]) -> list[str]:
    """Log records that report an exception nobody handled (asyncio callbacks, aiortc tasks)."""
    return [
        f"{r.name}: {r.getMessage()[:300]}"
        for r in records
        if r.exc_info or r.levelno >= logging.ERROR or "Traceback" in r.getMessage()
    ]


async def test_hostile_datagrams_do_not_stop_media(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    a, b = await join(live, "a"), await join(live, "b")
    clients = [a, b]
    socks: list[socket.socket] = []
    try:
        await media_flows(clients, 10, "media before the attack")
        pcs = [pc for c in clients for pc in (c.publish_pc, c.subscribe_pc) if pc is not None]
        assert len(pcs) == 4
        targets = [t for pc in pcs for t in server_ports(pc)]
        # the server's end of each client's nominated pair is among them
        pairs = [ice_connection(pc)._nominated[1] for pc in pcs]
        assert all(p.remote_addr in targets for p in pairs)
        socks = foreign_sockets(targets)
        junk = corpus(60)
        caplog.clear()
        dropped = (guard.DROPPED.foreign, guard.DROPPED.malformed)

        foreign = own = 0
        for i, data in enumerate(junk):
            for target in targets:
                foreign += send_foreign(socks, target, data)
            for pair in pairs:  # from inside the client's own ICE path: the validated address
                pair.protocol.transport.sendto(data, pair.remote_addr)
                own += 1
            if i % 8 == 7:
                await asyncio.sleep(0.02)  # bounded rate: the point is content, not a flood
        assert foreign > 0 and own > 0

        await media_flows(clients, 15, "media after the attack")
        for pc in pcs:
            assert pc.connectionState == "connected"
        assert unhandled(caplog.records) == []
        assert live.server.hub.forwarder.errors == 0
        # junk from other sockets was turned away at ICE; junk on the validated path was dropped
        assert guard.DROPPED.foreign > dropped[0]
        assert guard.DROPPED.malformed > dropped[1]
        assert live.server.hub.forwarder.dropped is guard.DROPPED
    finally:
        for sock in socks:
            sock.close()
        for client in clients:
            await client.close()
