"""A shaped link to a network namespace, without netem: TUN devices, a relay, and tbf.

This kernel (like many CI runners) has no ``sch_netem``, so delay and loss come from a small
user-space relay, and rate from ``tc ... tbf``:

    root namespace                                   namespace NS (the shaped peer)
    ADDR_ROOT on TUN_ROOT  <-- relay (this file) -->  TUN_NS with ADDR_NS, default route
        egress: tbf "down"      delay, loss,             egress: tbf "up"
                                bounded queue

* ``Link`` (used by bench/shaped.py and tests/rtc/test_weak_link.py) creates the namespace,
  starts the relay as a child process (``python bench/netshape.py relay ...``), which creates
  both TUN devices (the second one inside the namespace, through ``setns``) and then addresses
  them, routes everything in the namespace through its TUN and puts a tbf qdisc on each TUN's
  egress. Everything the namespace sends or receives crosses the relay, so signalling and
  media are shaped alike. ``Link.close`` (also on error) ends the relay (its TUN devices go with
  it) and deletes the namespace.
* the relay: two non-blocking TUN file descriptors on one asyncio loop; each packet read is
  dropped with probability ``loss``, dropped if ``queue`` packets already wait in its
  direction, or written to the other side ``delay`` seconds later (FIFO, so never reordered).
  Its counters are written as JSON to a file every second and at exit, with how late it woke
  from 10 ms sleeps (on a loaded machine the relay itself adds delay). ``Link.stall_websocket``
  makes it drop, for a while, every packet of the WebSocket connections (a TCP connection whose
  first request asked for ``Upgrade: websocket``), while other connections and UDP pass: a
  WebSocket held back by a lost segment on a lossy link, while a new request gets through.
* ``tbf`` shapes the rate where the kernel queues: packets beyond its bucket wait up to
  ``queue_ms`` and are then dropped (``tc -s qdisc`` counts them; ``Link.stats`` reads them).

Delay is given as a round trip and split half each way; loss applies in each direction unless
``down_loss`` says otherwise for the way to the namespace.

    .venv/bin/python bench/netshape.py cleanup      # remove links left by killed runs
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import fcntl
import json
import os
import random
import re
import signal
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
CLONE_NEWNET = 0x40000000
PREFIX = "shp"
"""Namespaces and devices of these links are named PREFIX + the owner's pid (+ a or b)."""


@dataclass(frozen=True)
class Shape:
    """One condition of the link, as the namespace sees it."""

    down_kbit: int | None = None
    """Rate towards the namespace (tbf on the root TUN); None: unshaped."""
    up_kbit: int | None = None
    """Rate from the namespace (tbf on its TUN); None: unshaped."""
    rtt_ms: float = 0.0
    """Added round-trip time, half each way."""
    loss: float = 0.0
    """Probability that a packet is dropped, in each direction (unless ``down_loss``)."""
    down_loss: float | None = None
    """Loss towards the namespace when it differs from ``loss`` (a shaped publisher)."""
    queue_ms: int = 100
    """The most a packet waits in tbf's queue before it is dropped."""

    def describe(self) -> str:
        def rate(kbit: int | None) -> str:
            if kbit is None:
                return "unshaped"
            return f"{kbit / 1000:g} Mbit/s" if kbit >= 1000 else f"{kbit} kbit/s"

        if self == Shape(queue_ms=self.queue_ms):
            return "none"
        rates = (
            rate(self.down_kbit)
            if self.down_kbit == self.up_kbit
            else f"{rate(self.down_kbit)} down, {rate(self.up_kbit)} up"
        )
        if self.down_loss is None or self.down_loss == self.loss:
            return f"{rates}, {self.rtt_ms:g} ms, {self.loss:.0%} loss"
        return f"{rates}, {self.rtt_ms:g} ms, {self.down_loss:.0%} loss down, {self.loss:.0%} up"


def run(*cmd: str, ns: str | None = None, check: bool = True) -> str:
    if ns is not None:
        cmd = ("ip", "netns", "exec", ns, *cmd)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {done.stderr.strip()}")
    return done.stdout


def tbf(dev: str, kbit: int | None, queue_ms: int, ns: str | None = None) -> None:
    run("tc", "qdisc", "del", "dev", dev, "root", ns=ns, check=False)
    if kbit is None:
        return
    burst = max(4000, kbit * 1000 // 8 // 50)  # 20 ms of the rate, at least a few packets
    run(
        "tc",
        "qdisc",
        "add",
        "dev",
        dev,
        "root",
        "tbf",
        "rate",
        f"{kbit}kbit",
        "burst",
        str(burst),
        "latency",
        f"{queue_ms}ms",
        ns=ns,
    )


def qdisc_stats(dev: str, ns: str | None = None) -> dict[str, int]:
    """Bytes and packets sent, and packets dropped, by the device's root qdisc."""
    text = run("tc", "-s", "qdisc", "show", "dev", dev, ns=ns, check=False)
    m = re.search(r"Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+)", text)
    if m is None:
        return {"bytes": 0, "packets": 0, "dropped": 0}
    return {"bytes": int(m[1]), "packets": int(m[2]), "dropped": int(m[3])}


class Link:
    """A namespace behind a shaped link; ``with Link() as link:`` cleans up whatever happens."""

    def __init__(self, shape: Shape = Shape(), subnet: int | None = None) -> None:
        pid = os.getpid()
        self.ns = f"{PREFIX}{pid}"
        self.dev_root, self.dev_ns = f"{PREFIX}{pid}a", f"{PREFIX}{pid}b"
        third = subnet if subnet is not None else 100 + pid % 150
        self.addr_root, self.addr_ns = f"10.213.{third}.1", f"10.213.{third}.2"
        self.stats_file = Path(f"/tmp/{self.ns}-relay.json")
        self.relay: subprocess.Popen[bytes] | None = None
        self.shape = shape

    def __enter__(self) -> Link:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        run("ip", "netns", "add", self.ns)
        run("ip", "link", "set", "lo", "up", ns=self.ns)
        self.relay = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "relay",
                self.ns,
                self.dev_root,
                self.dev_ns,
                str(self.stats_file),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.relay.stdout is not None
        if self.relay.stdout.readline().strip() != b"ready":
            raise RuntimeError("the link relay did not start")
        run("ip", "addr", "add", self.addr_root, "peer", self.addr_ns, "dev", self.dev_root)
        run("ip", "link", "set", self.dev_root, "up")
        run(
            "ip",
            "addr",
            "add",
            self.addr_ns,
            "peer",
            self.addr_root,
            "dev",
            self.dev_ns,
            ns=self.ns,
        )
        run("ip", "link", "set", self.dev_ns, "up", ns=self.ns)
        run("ip", "route", "add", "default", "via", self.addr_root, "dev", self.dev_ns, ns=self.ns)
        self.set_shape(self.shape)

    def set_shape(self, shape: Shape) -> None:
        """Apply a condition now (rate at once, delay and loss to packets read from now on)."""
        self.shape = shape
        tbf(self.dev_root, shape.down_kbit, shape.queue_ms)
        tbf(self.dev_ns, shape.up_kbit, shape.queue_ms, ns=self.ns)
        assert self.relay is not None and self.relay.stdin is not None
        down_loss = shape.loss if shape.down_loss is None else shape.down_loss
        self.relay.stdin.write(f"{shape.rtt_ms / 2000} {down_loss} {shape.loss}\n".encode())
        self.relay.stdin.flush()

    def stall_websocket(self, stalled: bool) -> None:
        """From now on drop every packet of the WebSocket connections (both ways), or stop
        dropping them; other connections and UDP go on as the shape says."""
        assert self.relay is not None and self.relay.stdin is not None
        self.relay.stdin.write(b"stall\n" if stalled else b"unstall\n")
        self.relay.stdin.flush()

    def stats(self) -> dict[str, Any]:
        """Counters so far: the relay's per direction, tbf's per direction."""
        relay: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            relay = json.loads(self.stats_file.read_text())
        return {
            "relay": relay,
            "tbf_down": qdisc_stats(self.dev_root),
            "tbf_up": qdisc_stats(self.dev_ns, ns=self.ns),
        }

    def close(self) -> None:
        if self.relay is not None:
            self.relay.terminate()
            try:
                self.relay.wait(5)
            except subprocess.TimeoutExpired:
                self.relay.kill()
                self.relay.wait(5)
            self.relay = None
        run("ip", "netns", "del", self.ns, check=False)
        self.stats_file.unlink(missing_ok=True)


def cleanup() -> list[str]:
    """Delete this harness's namespaces whose owner process is gone."""
    gone = []
    for name in run("ip", "netns", "list", check=False).split():
        m = re.fullmatch(PREFIX + r"(\d+)", name)
        if m and not Path(f"/proc/{m[1]}").exists():
            run("ip", "netns", "del", name, check=False)
            gone.append(name)
    return gone


# --- the relay (child process) ---------------------------------------------------------------


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def open_tun_in(ns: str, name: str) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {ns}")
        try:
            return open_tun(name)
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(home)
        os.close(target)


class Direction:
    """One way through the relay: loss, a bounded FIFO and a fixed delay."""

    def __init__(self, loop: asyncio.AbstractEventLoop, src: int, dst: int, limit: int) -> None:
        self.loop, self.src, self.dst, self.limit = loop, src, dst, limit
        self.delay, self.loss = 0.0, 0.0
        self.websockets: set[bytes] = set()
        """TCP connections (``flow``) that asked for a WebSocket."""
        self.stalled = False
        """Whether WebSocket connections lose every packet (``Link.stall_websocket``)."""
        self.queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self.timer: asyncio.TimerHandle | None = None
        self.counts = {
            "read": 0,
            "lost": 0,
            "stalled": 0,  # a WebSocket's, while stalled
            "overflow": 0,
            "written": 0,
            "write_failed": 0,
            "bytes_written": 0,
        }
        loop.add_reader(src, self.on_readable)

    def on_readable(self) -> None:
        now = self.loop.time()
        while True:
            try:
                packet = os.read(self.src, 65536)
            except BlockingIOError:
                break
            self.counts["read"] += 1
            tcp = flow(packet)
            if tcp is not None and b"upgrade: websocket" in packet.lower():
                self.websockets.add(tcp)
            if self.stalled and tcp is not None and tcp in self.websockets:
                self.counts["stalled"] += 1
            elif self.loss and random.random() < self.loss:
                self.counts["lost"] += 1
            elif len(self.queue) >= self.limit:
                self.counts["overflow"] += 1
            elif self.delay <= 0 and not self.queue:
                self.write(packet)
            else:
                self.queue.append((now + self.delay, packet))
        self.arm()

    def arm(self) -> None:
        if self.queue and self.timer is None:
            self.timer = self.loop.call_at(self.queue[0][0], self.flush)

    def flush(self) -> None:
        self.timer = None
        now = self.loop.time()
        while self.queue and self.queue[0][0] <= now:
            self.write(self.queue.popleft()[1])
        self.arm()

    def write(self, packet: bytes) -> None:
        try:
            os.write(self.dst, packet)
            self.counts["written"] += 1
            self.counts["bytes_written"] += len(packet)
        except OSError:
            self.counts["write_failed"] += 1


def flow(packet: bytes) -> bytes | None:
    """A TCP/IPv4 packet's connection, the same both ways (addresses and ports, sorted)."""
    if len(packet) < 24 or packet[0] >> 4 != 4 or packet[9] != 6:
        return None
    at = (packet[0] & 0x0F) * 4
    a, b = packet[12:16] + packet[at:at + 2], packet[16:20] + packet[at + 2:at + 4]
    return min(a, b) + max(a, b)


async def relay(ns: str, dev_root: str, dev_ns: str, stats_file: str, limit: int = 1000) -> None:
    root, inner = open_tun(dev_root), open_tun_in(ns, dev_ns)
    loop = asyncio.get_running_loop()
    down, up = Direction(loop, root, inner, limit), Direction(loop, inner, root, limit)
    down.websockets = up.websockets  # one set: a connection is seen asking on the way up
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    def on_command() -> None:
        line = sys.stdin.readline()
        if not line:
            stop.set()  # the owner is gone
            return
        if line.strip() in ("stall", "unstall"):
            down.stalled = up.stalled = line.strip() == "stall"
            return
        delay, down_loss, up_loss = (float(x) for x in line.split())
        down.delay, down.loss = delay, down_loss
        up.delay, up.loss = delay, up_loss

    loop.add_reader(sys.stdin.fileno(), on_command)

    lateness = {"ticks": 0, "late_over_10ms": 0, "late_max_ms": 0.0}

    def save() -> None:
        tmp = stats_file + ".tmp"
        counts = {"down": down.counts, "up": up.counts, "lateness": lateness, "at": time.time()}
        Path(tmp).write_text(json.dumps(counts))
        os.replace(tmp, stats_file)

    async def ticks() -> None:
        """How late the relay wakes from 10 ms sleeps: the delay the machine adds to the link."""
        while True:
            start = loop.time()
            await asyncio.sleep(0.01)
            late = (loop.time() - start - 0.01) * 1000
            lateness["ticks"] += 1
            lateness["late_over_10ms"] += late > 10
            lateness["late_max_ms"] = max(lateness["late_max_ms"], round(late, 1))

    ticker = asyncio.ensure_future(ticks())
    print("ready", flush=True)
    while not stop.is_set():
        save()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
    ticker.cancel()
    save()


if __name__ == "__main__":
    if sys.argv[1:2] == ["relay"]:
        ns, dev_root, dev_ns, stats_file = sys.argv[2:6]
        asyncio.run(relay(ns, dev_root, dev_ns, stats_file))
    elif sys.argv[1:2] == ["cleanup"]:
        print("removed:", " ".join(cleanup()) or "nothing")
    else:
        sys.exit(__doc__)
