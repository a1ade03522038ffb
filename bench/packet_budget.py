"""The CPU one forwarded packet costs in rtc/, step by step.

    .venv/bin/python bench/packet_budget.py              # 5 rounds of 20,000 packets a step
    .venv/bin/python bench/packet_budget.py --subscribers 7

Each step of the forwarder's data path runs alone on real objects, N times, and its CPU time
(this thread's) is divided by N: the SRTP of aiortc's first profile (AES-256-GCM, what aiortc
and Chromium agree on), aiortc's RTP parser, the forwarder's own ``_on_rtp`` (receiver
statistics, NACK generator, REMB estimator, VP8 descriptor) and ``_rewrite`` on an aiortc
receiver and sender, and a UDP ``sendto`` through the event loop's datagram transport (uvloop,
as ``rounds serve`` runs) to a socket that another process drains; where rtc/_srtpwire.c is
built, its steps too (unprotect; protect and ``sendto``; ``forward``: write, keep for NACKs,
protect and ``sendto``, what the forwarder does for each copy on a direct route). Printed:
median [min-max] over the rounds for each step, and the sum for one packet received once and
sent to ``--subscribers`` subscribers, both ways (``_rewrite`` is timed where it writes the
packet in Python; for the C way its writing is taken off and ``forward`` added).

What it leaves out, and the room bench (bench/sfu.py) includes: the event loop's own work per
datagram (epoll, the callback), the kernel waking each subscriber's process (a drained socket
whose reader never sleeps costs the sender less), RTCP, signalling. The difference between this
sum and bench/sfu.py's CPU per packet is that rest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvloop  # noqa: E402
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpCodecParameters  # noqa: E402
from aiortc.rtcrtpparameters import (  # noqa: E402
    RTCRtpHeaderExtensionParameters,
    RTCRtpParameters,
)
from aiortc.rtp import HeaderExtensionsMap, RtpPacket  # noqa: E402
from pylibsrtp import Policy, Session  # noqa: E402

from rtc import rtpwire, srtpwire  # noqa: E402
from rtc.forwarder import Forwarder, PlaceholderTrack  # noqa: E402

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=97)
EXTENSIONS = RTCRtpParameters(headerExtensions=[
    RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
    RTCRtpHeaderExtensionParameters(
        id=2, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
])
PAYLOAD = bytes([0x90, 0x80, 0x12, 0x34]) + os.urandom(1100)
"""A VP8 packet's payload: descriptor (X, S, picture id) and 1,100 bytes of picture."""


def timed(n: int, step: Callable[[int], object]) -> float:
    """CPU µs per call of ``step(i)`` for i in range(n)."""
    start = time.thread_time_ns()
    for i in range(n):
        step(i)
    return (time.thread_time_ns() - start) / n / 1000


def packets(n: int, extensions_map: HeaderExtensionsMap) -> list[bytes]:
    out = []
    for i in range(n):
        p = RtpPacket(payload_type=97, marker=i % 3 == 2, sequence_number=i & 0xFFFF,
                      timestamp=(i // 3) * 6000, ssrc=1234, payload=PAYLOAD)
        p.extensions.abs_send_time = (i * 1000) & 0xFFFFFF
        p.extensions.mid = "0"
        out.append(p.serialize(extensions_map))
    return out


def srtp_pair(key: bytes) -> tuple[Session, Session]:
    """Sessions for both ends of AES-256-GCM (``key``: 32 bytes of key, 12 of salt)."""
    profile = Policy.SRTP_PROFILE_AEAD_AES_256_GCM
    tx = Session(policy=Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=profile))
    rx = Session(policy=Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND, srtp_profile=profile))
    return tx, rx


async def one_round(n: int, subscribers: int) -> dict[str, float]:
    extensions_map = HeaderExtensionsMap()
    extensions_map.configure(EXTENSIONS)
    plain = packets(n, extensions_map)
    key = os.urandom(44)
    tx, rx = srtp_pair(key)
    protected = [tx.protect(p) for p in plain]
    out_tx, _ = srtp_pair(os.urandom(44))
    result: dict[str, float] = {}
    result["SRTP unprotect"] = timed(n, lambda i: rx.unprotect(protected[i]))
    if srtpwire.AVAILABLE:
        _, rx_c = srtp_pair(key)
        at = srtpwire.session_address(rx_c)
        result["SRTP unprotect, C"] = timed(
            n, lambda i: srtpwire.native.unprotect(at, protected[i]))
    parsed: list[RtpPacket] = []
    result["RTP parse"] = timed(
        n, lambda i: parsed.append(RtpPacket.parse(plain[i], extensions_map)))

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        receiver = pc.addTransceiver("video", direction="recvonly").receiver
        receiver._RTCRtpReceiver__codecs[97] = VP8  # type: ignore[attr-defined]
        forwarder = Forwarder(clock=time.monotonic)
        source = forwarder.add_source(receiver, "p", "video")
        result["receiver work (_on_rtp)"] = timed(
            n, lambda i: forwarder._on_rtp(source, parsed[i], i // 3))
        sender = pc.addTransceiver(PlaceholderTrack("video"), direction="sendonly").sender
        sink = forwarder.add_sink(sender, "video", "s")
        sink.extensions_map.configure(EXTENSIONS)
        sink.payload_type, sink.mid, sink.waiting_keyframe = 96, "1", False
        sink.source = source
        now, ntp = time.monotonic(), 0
        written: list[bytes | None] = []
        result["rewrite (_rewrite)"] = timed(n, lambda i: written.append(
            forwarder._rewrite(sink, source, parsed[i], None, now, ntp)))
        data = [w for w in written if w is not None]
        ext = rtpwire.Extensions(1, 2, 0)
        mid = rtpwire.mid_element(ext, "1")
        result["of which writing (rtpwire.packet)"] = timed(n, lambda i: rtpwire.packet(
            96, 0, i & 0xFFFF, i, 4321, parsed[i].payload, ext, mid, i & 0xFFFFFF, None))
        result["SRTP protect"] = timed(len(data), lambda i: out_tx.protect(data[i]))
        result["count (_sent)"] = timed(
            len(data), lambda i: forwarder._sent_bytes(sink, data[i], 0))
    finally:
        await pc.close()

    drain = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    drain.bind(("127.0.0.1", 0))
    drain.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    address = drain.getsockname()
    child = os.fork()
    if child == 0:  # drains until the sender stops
        drain.settimeout(1.0)
        try:
            while True:
                drain.recv(2048)
        except OSError:
            os._exit(0)
    loop = asyncio.get_running_loop()
    udp, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                 local_addr=("127.0.0.1", 0))
    wire_tx, _ = srtp_pair(os.urandom(44))
    wire = [wire_tx.protect(d) for d in data]
    try:
        result["UDP sendto"] = timed(len(wire), lambda i: udp.sendto(wire[i], address))
        if srtpwire.AVAILABLE:
            c_tx, _ = srtp_pair(os.urandom(44))
            at, fd = srtpwire.session_address(c_tx), udp.get_extra_info("socket").fileno()
            to = srtpwire.sockaddr(address)
            result["SRTP protect and sendto, C"] = timed(
                len(data), lambda i: srtpwire.native.send(at, fd, to, data[i]))
            wired = (None, None, c_tx, at, fd, to, [None] * 128, 96, 4321, mid, 2, 0)
            result["write, keep, SRTP protect and sendto, C"] = timed(
                len(data), lambda i: srtpwire.native.forward(
                    wired, 0, (n + i) & 0xFFFF, i, parsed[i].payload, i & 0xFFFFFF, -1))
    finally:
        udp.close()
        drain.close()
        os.waitpid(child, 0)  # noqa: ASYNC222 (the drain stops within a second)
    received = result["RTP parse"] + result["receiver work (_on_rtp)"]
    result[f"to {subscribers}, per copy: pylibsrtp and the event loop"] = (
        (result["SRTP unprotect"] + received) / subscribers + result["rewrite (_rewrite)"]
        + result["SRTP protect"] + result["UDP sendto"] + result["count (_sent)"])
    if srtpwire.AVAILABLE:  # _rewrite's decisions in Python, the rest in one C call
        result[f"to {subscribers}, per copy: rtc/_srtpwire.c"] = (
            (result["SRTP unprotect, C"] + received) / subscribers
            + result["rewrite (_rewrite)"] - result["of which writing (rtpwire.packet)"]
            + result["write, keep, SRTP protect and sendto, C"] + result["count (_sent)"])
    return result


async def main(rounds: int, n: int, subscribers: int) -> None:
    print(f"load average {os.getloadavg()[0]:.2f}; {rounds} rounds of {n} packets a step, "
          f"µs of CPU per packet, median [min-max]")
    runs = [await one_round(n, subscribers) for _ in range(rounds)]
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"  {key:<52} {statistics.median(values):6.2f} "
              f"[{min(values):.2f}-{max(values):.2f}]")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--packets", type=int, default=20000)
    parser.add_argument("--subscribers", type=int, default=11, help="copies of each packet")
    args = parser.parse_args()
    uvloop.run(main(args.rounds, args.packets, args.subscribers))
