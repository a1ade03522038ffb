"""SRTP protect and ``sendto`` in one C call, and SRTP unprotect (rtc/_srtpwire.c).

The forwarder sends every packet to up to a dozen subscribers. Through pylibsrtp and the event
loop's datagram transport each copy cost a cffi call with two buffer copies and two allocations,
then uvloop's address conversion and checks before the system call. rtc/_srtpwire.c does the
same work on the same libsrtp session: it calls the ``srtp_protect`` (and ``srtp_unprotect``)
of pylibsrtp's own binding, by address, on the session's ``srtp_t``, and sends with one
``sendto`` on the socket's descriptor.

It is built by ``pip install`` where a C compiler is (setup.py; optional). Where it is not,
``AVAILABLE`` is False and the forwarder uses pylibsrtp and the event loop as before;
``RTCConfig.native_wire`` (``ROUNDS_RTC_NATIVE_WIRE``) turns it off too. ``verify`` checks the
pylibsrtp internals this module reads (the forwarder's ``verify_aiortc_internals`` calls it).
"""

from __future__ import annotations

from typing import Any

import pylibsrtp

SIGNATURE = "srtp_err_status_t(*)(struct srtp_ctx_t_ *, void *, int *)"
"""libsrtp 2's ``srtp_protect`` and ``srtp_unprotect``, as pylibsrtp's binding declares them."""
FUNCTIONS = ("srtp_protect", "srtp_unprotect")

try:
    from pylibsrtp._binding import ffi, lib

    from . import _srtpwire as native  # type: ignore[attr-defined]

    _addresses = [ffi.addressof(lib, name) for name in FUNCTIONS]
    # never bound to functions of another shape (libsrtp 3's take more arguments)
    AVAILABLE = all(ffi.getctype(ffi.typeof(a)) == SIGNATURE for a in _addresses)
    if AVAILABLE:
        native.bind(*(int(ffi.cast("uintptr_t", a)) for a in _addresses))
except (ImportError, AttributeError):  # not built here, or pylibsrtp's binding moved
    native = None
    AVAILABLE = False


def session_address(session: pylibsrtp.Session) -> int:
    """The ``srtp_t`` of a pylibsrtp session (valid while the session object lives)."""
    return int(ffi.cast("uintptr_t", session._srtp[0]))


def sockaddr(address: tuple[Any, ...]) -> bytes:
    """The ``struct sockaddr`` of an ICE pair's remote ``(host, port)``."""
    return native.sockaddr(address[0], address[1])  # type: ignore[no-any-return]


def verify() -> list[str]:
    """The pylibsrtp internals used here that are missing or changed (empty: all there)."""
    if native is None:
        return []
    problems = []
    for name in FUNCTIONS:
        if ffi.getctype(ffi.typeof(ffi.addressof(lib, name))) != SIGNATURE:
            problems.append(f"pylibsrtp {name} signature")
    session = pylibsrtp.Session(pylibsrtp.Policy(
        key=bytes(30), ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND))
    if ffi.typeof(getattr(session, "_srtp", None)) is not ffi.typeof("srtp_t *"):
        problems.append("pylibsrtp Session._srtp")
    return problems
