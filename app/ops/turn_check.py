"""Whether the TURN servers handed to browsers answer: part of `/readyz`.

Every browser reaches the media server through coturn, so a TURN listener that is down is an
outage for the people behind it, and coturn does not fail when it cannot: without its
certificate it logs a warning and starts with no TLS listener, and the port-443 fallback for
locked-down hospital networks is gone. So readiness sends each `turn:`/`turns:` URL of
``ROUNDS_ICE_SERVERS`` a STUN Binding request over the URL's own transport (UDP, TCP, or TLS)
and wants coturn's Binding success back; for `turns:` the certificate must also not have
expired. The certificate's chain and name are the browsers' to check (a trust's own CA may not
be in this container's store), so the handshake here does not verify them.

A Binding request needs no credential and allocates nothing. Results are kept for
``CACHE_SECONDS`` so a busy load balancer does not probe coturn on every request.
"""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import struct
import time
from dataclasses import dataclass
from datetime import UTC, datetime

MAGIC_COOKIE = 0x2112A442
BINDING_REQUEST, BINDING_SUCCESS = 0x0001, 0x0101
CACHE_SECONDS = 10.0
URL = re.compile(r"^(?P<scheme>turns?):(?P<host>\[[^\]]+\]|[^:?\[\]]+)(?::(?P<port>\d+))?"
                 r"(?:\?transport=(?P<transport>udp|tcp))?$")
_cache: dict[tuple[str, ...], tuple[float, dict[str, str]]] = {}


@dataclass(frozen=True)
class TurnUrl:
    """One TURN server address as a browser reads it (RFC 7065)."""

    url: str
    secure: bool
    host: str
    port: int
    transport: str


def parse(url: str) -> TurnUrl | None:
    """The parts of a `turn:` or `turns:` URL; None for anything else (`stun:`)."""
    match = URL.match(url.strip())
    if not match:
        return None
    secure = match["scheme"] == "turns"
    port = int(match["port"]) if match["port"] else (5349 if secure else 3478)
    transport = match["transport"] or ("tcp" if secure else "udp")
    return TurnUrl(url, secure, match["host"].strip("[]"), port, transport)


def _request() -> tuple[bytes, bytes]:
    transaction = os.urandom(12)
    return struct.pack("!HHI", BINDING_REQUEST, 0, MAGIC_COOKIE) + transaction, transaction


def _is_success(header: bytes, transaction: bytes) -> bool:
    if len(header) < 20:
        return False
    kind, _, cookie = struct.unpack("!HHI", header[:8])
    return kind == BINDING_SUCCESS and cookie == MAGIC_COOKIE and header[8:20] == transaction


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, transaction: bytes) -> None:
        self.transaction = transaction
        self.answered: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: object) -> None:
        if not self.answered.done() and _is_success(data, self.transaction):
            self.answered.set_result(True)

    def error_received(self, exc: Exception) -> None:
        if not self.answered.done():
            self.answered.set_exception(exc)


async def _probe_udp(target: TurnUrl) -> None:
    request, transaction = _request()
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _Udp(transaction), remote_addr=(target.host, target.port))
    try:
        while True:  # UDP: ask again every half second until the caller's timeout
            transport.sendto(request)
            done, _ = await asyncio.wait({protocol.answered}, timeout=0.5)
            if done:
                protocol.answered.result()
                return
    finally:
        transport.close()


def _certificate_expired(writer: asyncio.StreamWriter) -> bool:
    from cryptography import x509

    sslobj = writer.get_extra_info("ssl_object")
    der = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
    if not der:
        return False
    return x509.load_der_x509_certificate(der).not_valid_after_utc < datetime.now(UTC)


async def _probe_stream(target: TurnUrl) -> str | None:
    context = None
    if target.secure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.open_connection(
        target.host, target.port, ssl=context,
        server_hostname=target.host if target.secure else None)
    try:
        if target.secure and _certificate_expired(writer):
            return "certificate_expired"
        request, transaction = _request()
        writer.write(request)
        await writer.drain()
        header = await reader.readexactly(20)
        return None if _is_success(header, transaction) else "bad_response"
    finally:
        writer.close()


async def probe(target: TurnUrl, limit: float) -> str:
    """`ok`, or why the server did not answer: `refused`, `timeout`, `tls_failed`,
    `certificate_expired`, `bad_response`, `unreachable`."""
    try:
        async with asyncio.timeout(limit):
            if target.transport == "udp" and not target.secure:
                await _probe_udp(target)
                return "ok"
            return await _probe_stream(target) or "ok"
    except TimeoutError:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    except ssl.SSLError:
        return "tls_failed"
    except (asyncio.IncompleteReadError, ConnectionResetError):
        return "bad_response"
    except OSError:
        return "unreachable"


async def check(urls: list[str], *, limit: float = 2.0) -> dict[str, str]:
    """Each TURN URL's answer (see `probe`), concurrently, cached for a few seconds."""
    targets = [t for t in (parse(u) for u in urls) if t is not None]
    key = tuple(t.url for t in targets)
    cached = _cache.get(key)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    answers = await asyncio.gather(*(probe(t, limit) for t in targets))
    result = {t.url: answer for t, answer in zip(targets, answers, strict=True)}
    _cache[key] = (time.monotonic(), result)
    return result
