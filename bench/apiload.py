"""REST load for bench/sfu.py's ``app`` mode: R requests a second at the running app.

    python bench/apiload.py --base http://127.0.0.1:PORT --rate 200 --duration 15 \
        --email ADMIN --password-env ADMIN_PASSWORD --group GROUP_ID --session SESSION_ID

A separate process, so that its CPU is neither the server's nor the bench's. It signs in first
(once: the password hash is not part of the load), writes ``{"ready": true}`` and waits for a
line on stdin; then it sends requests open-loop, one every 1/R s whatever the answers do (a
request due while all CONNECTIONS wait for an answer is counted as skipped, not sent),
for ``--duration`` seconds (what the sender had not sent by then, having fallen behind, is
counted as skipped too), waits for the last answers and writes one JSON line: requests sent,
errors (an exception or a status other than 200), skipped, latency p50/p99/max in ms, and how
late the sender fell behind its schedule at worst, and its own CPU share meanwhile.

The requests go round these cheap-but-real endpoints, each reading the database except the
first: ``/healthz``, ``/readyz`` (``SELECT 1`` and the schema revision), ``/api/v1/auth/me``
(the session cookie's account), ``/api/v1/sessions/{id}`` and
``/api/v1/groups/{id}/sessions`` (as the group's admin and facilitator).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

import httpx

CONNECTIONS = 64
"""Kept-alive connections; a request due while every one waits for an answer is skipped."""


class Raw:
    """One kept-alive HTTP/1.1 connection for GETs, written by hand: httpx spent several ms
    of CPU a request, so that the load generator, not the app, set the latency."""

    def __init__(self, host: str, port: int, cookie: str) -> None:
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nCookie: {cookie}\r\n\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        """Send a GET and read the whole answer; its status."""
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\n".encode() + self.head)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise ValueError("an answer without Content-Length")
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
NAMES = ["healthz", "readyz", "auth/me", "sessions/{id}", "groups/{id}/sessions"]


async def main(args: argparse.Namespace) -> None:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=args.base, timeout=30.0, limits=limits) as http:
        login = await http.post(
            "/api/v1/auth/login",
            json={"email": args.email, "password": os.environ[args.password_env]},
        )
        login.raise_for_status()
        paths = [
            "/healthz",
            "/readyz",
            "/api/v1/auth/me",
            f"/api/v1/sessions/{args.session}",
            f"/api/v1/groups/{args.group}/sessions",
        ]
        for path in paths:  # every endpoint answers before the load starts
            (await http.get(path)).raise_for_status()
        print(json.dumps({"ready": True}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

        latencies: list[float] = []
        by_path: dict[str, list[float]] = {path: [] for path in paths}
        errors: dict[str, int] = {}
        skipped = 0
        late = 0.0
        in_flight: set[asyncio.Task[None]] = set()

        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        url = httpx.URL(args.base)
        pool: asyncio.Queue[Raw] = asyncio.Queue()
        for _ in range(CONNECTIONS):
            pool.put_nowait(Raw(url.host, url.port or 80, cookie))

        async def one(path: str) -> None:
            raw = pool.get_nowait()
            start = time.monotonic()
            try:
                status = await raw.get(path)
                if status != 200:
                    errors[str(status)] = errors.get(str(status), 0) + 1
            except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                raw.close()
            finally:
                pool.put_nowait(raw)
            latencies.append(time.monotonic() - start)
            by_path[path].append(time.monotonic() - start)

        start, cpu0 = time.monotonic(), time.process_time()
        end = start + args.duration
        planned = int(args.rate * args.duration)
        n = 0
        while n < planned and (due := start + n / args.rate) < end:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if time.monotonic() >= end:
                break
            late = max(late, time.monotonic() - due)
            if pool.empty():  # every connection is waiting for an answer
                skipped += 1
            else:
                task = asyncio.ensure_future(one(paths[n % len(paths)]))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            n += 1
        skipped += planned - n  # the sender fell so far behind that the window ended first
        if in_flight:
            await asyncio.wait(in_flight)
        elapsed = time.monotonic() - start
        latencies.sort()

        def pct(p: float) -> float:
            return latencies[min(len(latencies) - 1, round(p * (len(latencies) - 1)))] * 1000

        print(
            json.dumps(
                {
                    "sent": len(latencies),
                    "seconds": elapsed,
                    "errors": errors,
                    "skipped": skipped,
                    "p50_ms": pct(0.5) if latencies else None,
                    "p99_ms": pct(0.99) if latencies else None,
                    "max_ms": latencies[-1] * 1000 if latencies else None,
                    "late_ms": late * 1000,
                    "cpu_share": (time.process_time() - cpu0) / elapsed,
                    "p50_ms_by_endpoint": {
                        name: sorted(x)[len(x) // 2] * 1000 if x else None
                        for name, x in zip(NAMES, by_path.values(), strict=True)
                    },
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password-env", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--session", required=True)
    parser.add_argument("--cpus", help="run on these CPUs only (comma separated)")
    ns = parser.parse_args()
    if ns.cpus:
        os.sched_setaffinity(0, {int(c) for c in ns.cpus.split(",")})
    asyncio.run(main(ns))
