"""bench/sfu.py's processes: load generators, the CPU burner, CPU pinning, UDP drop counters.

* ``Worker``: one bench/loadgen.py child (some of the synthetic participants), driven by JSON
  lines; ``snapshot`` merges what every worker's participants counted.
* ``start_burner``: a busy loop in its own process, pinned to one CPU, that stops by itself after
  a given number of seconds (and is killed at the end of the run anyway).
* ``pin``: every thread of a running process onto the given CPUs (threads it starts later
  inherit the affinity of the thread that starts them).
* ``udp_counters`` / ``socket_drops``: the host's UDP receive errors (/proc/net/snmp and
  snmp6: receive buffer full, and every receive error), and the drops the kernel counted on the
  UDP sockets of given processes (/proc/net/udp{,6}, last column: datagrams dropped on arrival
  at that socket, in practice its receive buffer being full), to tell whether packets were lost
  in the load generators' or the server's buffers.
* ``header``: commit, UTC time and load average, printed at the start of a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


class RemoteError(RuntimeError):
    """A request the load generator answered with an error; ``kind`` is the exception's type."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.kind = error.split(":", 1)[0]


class Worker:
    """One bench/loadgen.py process: requests and answers matched by id (they may overlap)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.ids = itertools.count()
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, clip: Path, cpus: Iterable[int] | None = None, rcvbuf: int = 0) -> Worker:
        command = [sys.executable, str(BENCH / "loadgen.py"), "--clip", str(clip)]
        if rcvbuf:
            command += ["--rcvbuf", str(rcvbuf)]
        if cpus is not None:
            command += ["--cpus", ",".join(str(c) for c in sorted(cpus))]
        proc = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            limit=1 << 24,
        )
        return cls(proc)

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            message = json.loads(line)
            future = self.pending.pop(message["id"], None)
            if future is not None and not future.done():
                future.set_result(message)
        for future in self.pending.values():
            if not future.done():
                future.set_exception(RuntimeError("the load generator exited"))

    async def call(self, op: str, timeout: float = 120.0, **args: Any) -> dict[str, Any]:  # noqa: ASYNC109
        if self.reader.done():
            raise RuntimeError("the load generator exited")
        rid = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[rid] = future
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"id": rid, "op": op, **args}) + "\n").encode())
        await self.proc.stdin.drain()
        try:
            message = await asyncio.wait_for(future, timeout)
        finally:
            self.pending.pop(rid, None)
        if not message["ok"]:
            raise RemoteError(message["error"])
        return message

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.call("close", timeout=30)
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        self.reader.cancel()


async def snapshot(
    workers: list[Worker], alias: dict[str, str], stats: bool = False
) -> tuple[dict[str, dict[str, Any]], int]:
    """Every participant's counts (participants named as the bench names them: ``alias`` maps
    the server's participant ids to those names) and the workers' consent expiries."""
    answers = await asyncio.gather(*(w.call("snapshot", stats=stats) for w in workers))
    merged: dict[str, dict[str, Any]] = {}
    consent = 0
    for answer in answers:
        consent += answer["consent"]
        for pid, counts in answer["participants"].items():
            for key in ("first_frame", "frames_from"):
                counts[key] = {alias.get(k, k): v for k, v in counts[key].items()}
            merged[pid] = counts
    return merged, consent


BURN = """import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[2])})
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    pass
"""


def start_burner(cpu: int, seconds: float) -> subprocess.Popen[bytes]:
    """A busy loop on ``cpu`` that ends by itself after ``seconds``."""
    return subprocess.Popen(
        [sys.executable, "-c", BURN, str(seconds), str(cpu)], stdin=subprocess.DEVNULL
    )


def stop(child: subprocess.Popen[Any] | None) -> None:
    if child is None or child.poll() is not None:
        return
    child.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(10)
    if child.poll() is None:
        child.kill()
        child.wait(5)


def pin(pid: int, cpus: set[int]) -> None:
    """Every thread of ``pid`` onto ``cpus``."""
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(task), cpus)


def affinity_plan() -> tuple[int, set[int]]:
    """(the contended CPU: burner and server, the others: load generators and the bench)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("--burn needs at least two CPUs")
    return cpus[0], set(cpus[1:])


def udp_counters() -> dict[str, int]:
    """The host's (this network namespace's) UDP receive errors: RcvbufErrors and InErrors of
    /proc/net/snmp (IPv4) plus Udp6RcvbufErrors and Udp6InErrors of /proc/net/snmp6 (aioice
    and Janus also use IPv6 on loopback)."""
    rows = [
        line.split()
        for line in Path("/proc/net/snmp").read_text().splitlines()
        if line.startswith("Udp:")
    ]
    v4 = dict(zip(rows[0][1:], (int(x) for x in rows[1][1:]), strict=True))
    v6 = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/snmp6").read_text().splitlines():
            name, _, value = line.partition(" ")
            v6[name] = int(value.strip() or 0)
    return {
        key: v4.get(key, 0) + v6.get(f"Udp6{key}", 0) for key in ("RcvbufErrors", "InErrors")
    }


def socket_drops(pids: Iterable[int]) -> dict[str, int]:
    """Datagrams dropped so far on each UDP socket (by inode) the given processes hold open."""
    inodes = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    drops = {}
    for table in ("udp", "udp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 12 and fields[9] in inodes:
                    drops[fields[9]] = int(fields[12])
    return drops


def dropped_between(before: dict[str, int], after: dict[str, int]) -> tuple[int, int]:
    """(datagrams dropped between the two readings on the sockets open at both, sockets that
    were closed in between: what they dropped meanwhile is not counted)."""
    common = before.keys() & after.keys()
    return sum(after[k] - before[k] for k in common), len(before.keys() - after.keys())


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
        ).stdout.strip()

    short = git("rev-parse", "--short", "HEAD") or "unknown"
    return short + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def header() -> str:
    return (
        f"commit {commit()}, {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, "
        f"load average {loadavg()}, {os.cpu_count()} cores"
    )
