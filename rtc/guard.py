"""Guards on the way a UDP datagram enters aiortc: no datagram can stop anyone's media.

Anyone who learns a server ICE port (it is in every SDP the server sends) can send it any
datagram. aiortc 1.16 / aioice 0.13 let one datagram kill a DTLS transport - an empty one
(``IndexError`` in ``RTCDtlsTransport._recv_next``) or a 65,507-byte one that looks like SRTP
(pylibsrtp's ``ValueError: packet is too long``) - and aioice hands every datagram that is not
STUN to the connection whatever its source address. ``install()`` (the ``Forwarder`` calls it,
so every server peer connection is covered) patches three receive steps, on the classes, so for
every peer connection in the process:

* ``aioice.ice.StunProtocol.datagram_received`` (one per local candidate): a datagram that is not
  STUN is passed on only if it comes from an address ICE knows on that very local candidate: the
  remote address of the component's nominated pair, or of any pair in the check list on it that
  has not failed (a candidate the peer signalled over the authenticated WebSocket, or one learnt
  from a check authenticated with our ICE password). With several addresses on a machine the two
  ends may settle on different pairs, and the peer's DTLS arrives on the pair it chose before our
  own check of that pair has succeeded (or ever does): refusing those stalled a connection for
  30 s. Anything else is dropped and counted as ``foreign``. STUN from anywhere goes to ICE as
  before (connectivity checks, consent). An exception while handling a datagram (aioice's STUN
  parser raises ``struct.error`` on short attributes) is dropped as ``malformed``. A datagram
  from a validated address whose first byte says RTP or RTCP (RFC 7983) skips aioice's STUN
  parser (it would only fail) and goes to the connection's tap (``set_tap``: the forwarder's,
  which forwards it at once) or else to aioice's queue, as aioice would have put it there.
* ``aioice.turn.TurnClientMixin.datagram_received`` (what a TURN server sends us): an exception
  while handling it is dropped as ``malformed`` (over TCP it would close the TURN connection).
* ``aiortc.RTCDtlsTransport._recv_next`` (one datagram through DTLS / SRTP / RTP / RTCP): an
  exception raised after the datagram was taken (the transport's private ``__rx_packets`` counter
  moved) is dropped as ``malformed`` instead of ending the transport. ``ConnectionError`` (the
  transport closing, or an authenticated close_notify) and cancellation pass as before; so does
  an exception raised before any datagram was taken (a DTLS handshake timeout), so no failure
  can turn into a busy loop.

``verify(transceiver)`` lists what moved among the internals used here; rtc/forwarder.py's
``verify_aiortc_internals`` includes it. Counters are process-wide, like the patches:
``DROPPED``.
"""

from __future__ import annotations

import functools
import inspect
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aioice import stun
from aioice.ice import CandidatePair, Connection, StunProtocol
from aioice.turn import TurnClientMixin
from aiortc import RTCDtlsTransport, RTCIceTransport, RTCRtpTransceiver

logger = logging.getLogger(__name__)

_DTLS_RX_PACKETS = "_RTCDtlsTransport__rx_packets"
_FAILED = CandidatePair.State.FAILED
_MARK = "_rounds_guarded"
"""Attribute set on each installed wrapper; it holds the function it wraps."""


@dataclass
class Dropped:
    """Datagrams dropped by the guards since the process started (for metrics and tests)."""

    foreign: int = 0
    """Not STUN, and not from the remote address of the ICE pair in use."""
    malformed: int = 0
    """Handling it raised an exception (which would have ended a transport or a callback)."""


DROPPED = Dropped()
_reported: set[str] = set()


def _count_malformed(where: str, exc: BaseException) -> None:
    DROPPED.malformed += 1
    kind = f"{where}:{type(exc).__name__}"
    if kind not in _reported:  # one line per kind of failure and process: no log flood
        _reported.add(kind)
        logger.info("dropped a malformed datagram in %s (%s: %s)", where, type(exc).__name__, exc)
    else:
        logger.debug("dropped a malformed datagram in %s (%r)", where, exc)


# --- aioice: where a datagram may come from ---

_TAP = "_rounds_tap"
"""Attribute of an aioice ``Connection``: what takes its RTP and RTCP first (``set_tap``)."""


def set_tap(connection: Connection, tap: Callable[[bytes], bool]) -> None:
    """Hand every RTP or RTCP datagram from the connection's validated remote address to
    ``tap`` before aioice's queue; ``tap`` returns False to let it go on to the queue (and
    aiortc's receive loop) as before. The forwarder's tap forwards media with no task switch."""
    setattr(connection, _TAP, tap)


def tapped(connection: Connection) -> bool:
    """True if ``set_tap`` was called for this connection."""
    return _TAP in connection.__dict__



@functools.lru_cache(maxsize=1024)
def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    if a[1] != b[1]:
        return False
    if a[0] == b[0]:
        return True
    ip = _ip(str(a[0]))
    return ip is not None and ip == _ip(str(b[0]))  # "fd00:0::2" is "fd00::2"


def from_validated(protocol: StunProtocol, addr: tuple[Any, ...]) -> bool:
    """True if a datagram from ``addr`` on ``protocol`` may carry media (see the module doc)."""
    connection: Connection = protocol.receiver
    source = (addr[0], addr[1])
    pair: CandidatePair | None = connection._nominated.get(protocol.local_candidate.component)
    if pair is not None and pair.protocol is protocol and _same(pair.remote_addr, source):
        return True  # the usual case, one look-up per media packet
    return any(
        p.protocol is protocol and p.state is not _FAILED and _same(p.remote_addr, source)
        for p in connection._check_list
    )


def _is_stun(data: bytes) -> bool:
    try:
        stun.parse_message(data)
    except Exception:  # aioice treats ValueError as "not STUN"; anything else is junk too
        return False
    return True


def _guard_stun_protocol(
    original: Callable[[StunProtocol, bytes, tuple[Any, ...]], None],
) -> Callable[[StunProtocol, bytes, tuple[Any, ...]], None]:
    def datagram_received(self: StunProtocol, data: bytes, addr: tuple[Any, ...]) -> None:
        try:
            if from_validated(self, addr):
                if data and 127 < data[0] < 192:  # RTP or RTCP (RFC 7983): not ICE's
                    connection = self.receiver
                    tap = connection.__dict__.get(_TAP)
                    if tap is None or not tap(data):
                        connection.data_received(data, self.local_candidate.component)
                    return
                original(self, data, addr)
            elif _is_stun(data):
                original(self, data, addr)
            else:
                DROPPED.foreign += 1
        except Exception as exc:
            _count_malformed("ICE", exc)

    return datagram_received


def _guard_turn(
    original: Callable[[Any, bytes, Any], None],
) -> Callable[[Any, bytes, Any], None]:
    def datagram_received(self: Any, data: bytes, addr: Any) -> None:
        try:
            original(self, data, addr)
        except Exception as exc:
            _count_malformed("TURN", exc)

    return datagram_received


# --- aiortc: what a datagram may do to a DTLS transport ---


def _guard_dtls(
    original: Callable[[RTCDtlsTransport], Awaitable[None]],
) -> Callable[[RTCDtlsTransport], Awaitable[None]]:
    async def _recv_next(self: RTCDtlsTransport) -> None:
        taken = getattr(self, _DTLS_RX_PACKETS)
        try:
            await original(self)
        except ConnectionError:
            raise
        except Exception as exc:
            if getattr(self, _DTLS_RX_PACKETS) == taken:
                raise  # not a datagram's doing: aiortc's own failure handling applies
            _count_malformed("DTLS", exc)

    return _recv_next


_PATCHES: list[tuple[type, str, Callable[[Any], Any]]] = [
    (StunProtocol, "datagram_received", _guard_stun_protocol),
    (TurnClientMixin, "datagram_received", _guard_turn),
    (RTCDtlsTransport, "_recv_next", _guard_dtls),
]


def installed() -> bool:
    """True if every guard is in place."""
    return all(hasattr(getattr(owner, name), _MARK) for owner, name, _ in _PATCHES)


def install() -> None:
    """Put the guards in place (once per process; calling again does nothing)."""
    for owner, name, guard in _PATCHES:
        current = getattr(owner, name)
        if hasattr(current, _MARK):
            continue
        wrapper = guard(current)
        wrapper.__name__ = wrapper.__qualname__ = name
        wrapper.__doc__ = f"{current.__doc__ or ''}\n(guarded by rtc/guard.py)"
        setattr(wrapper, _MARK, current)
        setattr(owner, name, wrapper)


def _unwrapped(owner: type, name: str) -> Any:
    fn = getattr(owner, name, None)
    return getattr(fn, _MARK, fn)


def verify(transceiver: RTCRtpTransceiver) -> list[str]:
    """What moved among the aiortc / aioice internals the guards use (empty if nothing)."""
    problems: list[str] = []
    expected: list[tuple[type, str, list[str], bool]] = [
        (StunProtocol, "datagram_received", ["self", "data", "addr"], False),
        (StunProtocol, "__init__", ["self", "receiver"], False),
        (Connection, "data_received", ["self", "data", "component"], False),
        (TurnClientMixin, "datagram_received", ["self", "data", "addr"], False),
        (RTCDtlsTransport, "_recv_next", ["self"], True),
    ]
    for owner, name, params, is_async in expected:
        fn = _unwrapped(owner, name)
        label = f"{owner.__name__}.{name}"
        if fn is None:
            problems.append(f"{label} missing")
        elif list(inspect.signature(fn).parameters) != params:
            problems.append(f"{label} signature changed")
        elif inspect.iscoroutinefunction(fn) != is_async:
            problems.append(f"{label} changed between sync and async")
    if "local_candidate" not in getattr(StunProtocol, "__annotations__", {}):
        problems.append("StunProtocol.local_candidate")
    for prop in ("remote_addr", "component"):
        if not isinstance(getattr(CandidatePair, prop, None), property):
            problems.append(f"CandidatePair.{prop}")
    try:
        probe = CandidatePair(protocol=None, remote_candidate=None)  # type: ignore[arg-type]
        if probe.protocol is not None or probe.state is not CandidatePair.State.FROZEN:
            problems.append("CandidatePair.protocol / state")
    except Exception:
        problems.append("CandidatePair(protocol, remote_candidate)")
    if not callable(getattr(stun, "parse_message", None)):
        problems.append("aioice.stun.parse_message")
    dtls = transceiver.sender.transport
    if not isinstance(dtls, RTCDtlsTransport):
        problems.append("RTCRtpSender.transport is not an RTCDtlsTransport")
        return problems
    if not isinstance(getattr(dtls, _DTLS_RX_PACKETS, None), int):
        problems.append("RTCDtlsTransport.__rx_packets")
    ice = dtls.transport
    connection = getattr(ice, "_connection", None) if isinstance(ice, RTCIceTransport) else None
    if not isinstance(connection, Connection):
        problems.append("RTCIceTransport._connection")
    else:
        if not isinstance(getattr(connection, "_nominated", None), dict):
            problems.append("aioice Connection._nominated")
        if not isinstance(getattr(connection, "_check_list", None), list):
            problems.append("aioice Connection._check_list")
    return problems
