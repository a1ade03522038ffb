"""rtc/guard.py on real aioice / aiortc objects: who may send media, and what a datagram may do.

The end-to-end attack (real peers, real server, junk at its ports) is tests/rtc/test_hostile_udp.py.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aioice import stun
from aioice.candidate import Candidate
from aioice.ice import CandidatePair, Connection, StunProtocol
from aiortc import (
    RTCCertificate,
    RTCConfiguration,
    RTCDtlsTransport,
    RTCIceGatherer,
    RTCIceTransport,
    RTCPeerConnection,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtc import guard
from rtc.forwarder import Forwarder, verify_aiortc_internals

from .test_hostile_udp import datagrams

LOCAL = ("192.0.2.2", 40000)
PEER = ("192.0.2.9", 50000)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def candidate(addr: tuple[str, int]) -> Candidate:
    return Candidate("f", 1, "udp", 100, addr[0], addr[1], "host")


class Recorded:
    """An aioice connection with one local candidate, recording what its protocol passes on."""

    def __init__(self) -> None:
        self.connection = Connection(ice_controlling=False)
        self.protocol = StunProtocol(self.connection)
        self.protocol.local_candidate = candidate(LOCAL)
        self.data: list[bytes] = []
        self.requests: list[tuple[str, int]] = []
        self.connection.data_received = self._data  # type: ignore[method-assign]
        self.connection.request_received = self._request  # type: ignore[method-assign]

    def _data(self, data: bytes, component: int) -> None:
        self.data.append(data)

    def _request(self, message: Any, addr: tuple[str, int], protocol: Any) -> None:
        self.requests.append(addr)

    def nominate(self, remote: tuple[str, int]) -> None:
        self.connection._nominated[1] = CandidatePair(self.protocol, candidate(remote))


@pytest.fixture
async def recorded() -> AsyncIterator[Recorded]:
    Forwarder()  # installs the guards
    yield Recorded()


def binding_request() -> bytes:
    msg = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    msg.attributes["USERNAME"] = "abcd:efgh"
    msg.add_message_integrity(b"not the password")
    msg.add_fingerprint()
    return bytes(msg)


def not_stun(data: bytes) -> bool:
    try:
        stun.parse_message(data)
    except ValueError:
        return True
    except Exception:
        return False
    return False


hosts = st.sampled_from(["192.0.2.2", "192.0.2.9", "127.0.0.1", "10.0.0.1", "fd00::9"])
addresses = st.tuples(hosts, st.integers(1, 65535)).filter(lambda a: a != PEER)


async def test_guards_are_installed_and_their_internals_checked() -> None:
    Forwarder()
    assert guard.installed()
    guard.install()  # a second forwarder changes nothing
    assert guard.installed()
    pc = RTCPeerConnection(configuration=RTCConfiguration(iceServers=[]))
    try:
        t = pc.addTransceiver("audio")
        assert guard.verify(t) == []
        verify_aiortc_internals(t)
        del t.sender.transport._RTCDtlsTransport__rx_packets  # type: ignore[attr-defined]
        with pytest.raises(RuntimeError, match="rx_packets"):
            verify_aiortc_internals(t)
    finally:
        await pc.close()


async def test_a_moved_receive_step_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    async def moved(self: Any, budget: float) -> None: ...

    monkeypatch.setattr(RTCDtlsTransport, "_recv_next", moved)
    pc = RTCPeerConnection(configuration=RTCConfiguration(iceServers=[]))
    try:
        with pytest.raises(RuntimeError, match="_recv_next signature changed"):
            verify_aiortc_internals(pc.addTransceiver("video"))
    finally:
        await pc.close()


async def test_media_only_from_the_nominated_pair(recorded: Recorded) -> None:
    recorded.nominate(PEER)

    @FUZZ
    @given(datagrams, addresses)
    def check(data: bytes, source: tuple[str, int]) -> None:
        recorded.data.clear()
        recorded.protocol.datagram_received(data, source)  # never raises
        assert recorded.data == []  # whatever it is, it is not media from a stranger
        recorded.protocol.datagram_received(data, PEER)
        if not_stun(data):
            assert recorded.data == [data]  # the peer's own datagrams all go through

    check()


async def test_stun_from_anywhere_still_reaches_ice(recorded: Recorded) -> None:
    recorded.nominate(PEER)
    request = binding_request()
    for source in [PEER, ("127.0.0.1", 9), ("fd00::9", 7, 0, 0)]:
        recorded.protocol.datagram_received(request, source)
    assert recorded.requests == [PEER, ("127.0.0.1", 9), ("fd00::9", 7)]


async def test_before_nomination_only_candidates_in_the_check_list(recorded: Recorded) -> None:
    recorded.connection._check_list.append(CandidatePair(recorded.protocol, candidate(PEER)))
    recorded.protocol.datagram_received(b"\x16dtls", ("192.0.2.9", 50001))
    recorded.protocol.datagram_received(b"\x16dtls", PEER)
    assert recorded.data == [b"\x16dtls"]
    other = StunProtocol(recorded.connection)  # the same address on another local candidate
    other.local_candidate = candidate(("192.0.2.2", 40001))
    other.datagram_received(b"\x16dtls", PEER)
    assert recorded.data == [b"\x16dtls"]


async def test_after_nomination_pairs_ice_knows_but_not_failed_ones(recorded: Recorded) -> None:
    # With several addresses the peer may send DTLS on the pair it chose before our own check of
    # that pair has succeeded: refusing it stalled the connection (seen in test_not_recorded).
    recorded.nominate(PEER)
    in_progress = CandidatePair(recorded.protocol, candidate(("192.0.2.9", 50002)))
    in_progress.state = CandidatePair.State.IN_PROGRESS
    failed = CandidatePair(recorded.protocol, candidate(("192.0.2.9", 50003)))
    failed.state = CandidatePair.State.FAILED
    recorded.connection._check_list += [in_progress, failed]
    recorded.protocol.datagram_received(b"\x80chosen", ("192.0.2.9", 50002))
    recorded.protocol.datagram_received(b"\x80failed", ("192.0.2.9", 50003))
    recorded.protocol.datagram_received(b"\x80stranger", ("192.0.2.9", 50004))
    assert recorded.data == [b"\x80chosen"]


async def test_addresses_compare_as_addresses(recorded: Recorded) -> None:
    recorded.nominate(("fd00:0:0::9", 5))
    recorded.protocol.datagram_received(b"\x80media", ("fd00::9", 5, 0, 0))
    assert recorded.data == [b"\x80media"]


async def test_malformed_stun_is_dropped_not_raised(recorded: Recorded) -> None:
    # a PRIORITY attribute of 3 bytes: aioice's parser raises struct.error, not ValueError
    body = b"\x00\x24\x00\x03abc\x00"
    data = b"\x00\x01" + len(body).to_bytes(2, "big") + stun.COOKIE.to_bytes(4, "big")
    data += bytes(12) + body
    before = guard.DROPPED.malformed
    recorded.nominate(PEER)
    recorded.protocol.datagram_received(data, PEER)
    assert guard.DROPPED.malformed == before + 1
    assert recorded.data == [] and recorded.requests == []


def test_turn_server_junk_is_dropped_not_raised() -> None:
    from aioice.turn import TurnClientUdpProtocol

    Forwarder()
    protocol = TurnClientUdpProtocol(("192.0.2.1", 3478), "user", "pass", 600, 300)
    before = guard.DROPPED.malformed
    body = b"\x00\x24\x00\x03abc\x00"
    data = b"\x01\x01" + len(body).to_bytes(2, "big") + stun.COOKIE.to_bytes(4, "big")
    protocol.datagram_received(data + bytes(12) + body, ("192.0.2.1", 3478))
    assert guard.DROPPED.malformed == before + 1


class FakeIce:
    """Enough of an ICE transport to hand one DTLS transport a sequence of datagrams."""

    def __init__(self, datagrams: list[bytes]) -> None:
        self.datagrams = datagrams
        self.role = "controlled"

    async def _recv(self) -> bytes:
        if not self.datagrams:
            raise ConnectionError("no more")
        return self.datagrams.pop(0)


async def test_a_datagram_cannot_end_a_dtls_transport() -> None:
    """The attacker's probes against a DTLS transport with SRTP keys (as after a handshake)."""
    from pylibsrtp import Policy, Session

    Forwarder()
    dtls = RTCDtlsTransport(
        RTCIceTransport(RTCIceGatherer()), [RTCCertificate.generateCertificate()]
    )
    key = bytes(range(30))
    dtls._rx_srtp = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND))
    dtls._RTCDtlsTransport__handshake_done = True  # type: ignore[attr-defined]
    probes = [b"", bytes([0x80]) + bytes(65506), bytes([0xBF]) * 65507, b"\x80", b"\x90\xc8"]
    dtls._transport = FakeIce(list(probes))  # type: ignore[assignment]
    before = guard.DROPPED.malformed
    for _ in probes:
        await dtls._recv_next()  # each one is dropped, none raises
    assert guard.DROPPED.malformed == before + 3  # empty and the two oversize ones raised
    with pytest.raises(ConnectionError):
        await dtls._recv_next()  # a closing transport still closes it


async def test_a_failure_without_a_datagram_still_propagates() -> None:
    """No busy loop: only an exception raised after a datagram was taken is swallowed."""
    dtls = RTCDtlsTransport(
        RTCIceTransport(RTCIceGatherer()), [RTCCertificate.generateCertificate()]
    )
    calls: list[str] = []

    async def broken(self: RTCDtlsTransport) -> None:
        calls.append("x")
        raise RuntimeError("not a datagram's doing")

    guarded = guard._guard_dtls(broken)
    with pytest.raises(RuntimeError):
        await guarded(dtls)
    assert calls == ["x"]


async def test_real_junk_on_a_real_socket_reaches_nothing() -> None:
    """A bound aioice protocol with a nominated pair: datagrams from another socket are dropped."""
    Forwarder()
    recorded = Recorded()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: recorded.protocol, local_addr=("127.0.0.1", 0)
    )
    try:
        port = transport.get_extra_info("sockname")[1]
        recorded.protocol.local_candidate = candidate(("127.0.0.1", port))
        peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        peer.bind(("127.0.0.1", 0))
        stranger.bind(("127.0.0.1", 0))
        recorded.nominate(peer.getsockname())
        try:
            for data in (b"", b"\x80" * 65507, b"\x17\xfe\xfdjunk"):
                stranger.sendto(data, ("127.0.0.1", port))
            peer.sendto(b"\x80media", ("127.0.0.1", port))
            for _ in range(50):
                if recorded.data:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
            assert recorded.data == [b"\x80media"]
        finally:
            peer.close()
            stranger.close()
    finally:
        transport.close()
