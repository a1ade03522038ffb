"""Benchmark (issue 12): how soon a doctor hears the room again after their network drops for a
few seconds, or changes under them (Wi-Fi to 4G: a new address).

    .venv/bin/python bench/comeback.py                    # both, three times each
    .venv/bin/python bench/comeback.py --modes move --repeat 5

Needs root (network namespaces, TUN, tc) and /usr/bin/chromium. Per run, from scratch: the real
app (bench/shaped_room.py), one synthetic publisher (VP8 and Opus) and one Chromium on the real
room page in a network namespace behind an unshaped link (bench/netshape.py). Once Chromium hears
the publisher, either

* ``drop``: the link loses every packet for ``--outage`` seconds, then works again;
* ``move``: the namespace's address changes (the old one is removed, a new one added, routes
  follow), which kills every connection Chromium had (the WebSocket and both peer
  connections): the network "returns" at once, on a new address; or
* ``stall``: the page's WebSocket connection loses every packet for
  ``--outage`` seconds while media and new connections pass, as when a lost segment holds a
  WebSocket back on a lossy link: the page must not take it for a network change.

The figure is the time from the moment the network works again to the first ten Opus packets
from the publisher counted by Chromium's getStats (read every 0.2 s), or None if none came within
``--within`` seconds, and whether the page connected again meanwhile (a new connection).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import netshape  # noqa: E402
import sfu  # noqa: E402
import shaped  # noqa: E402
import shaped_room as room  # noqa: E402

HEARD_JS = """(pid) => { const r = window.roundsRoom;
  if (!r || !r.conn || !r.conn.subscribePc) return 0;
  return r.conn.subscribePc.getStats().then((stats) => { let n = 0; stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio') { const i = r.conn.streamOf(s.mid);
      if (i && i.participant === pid) n += s.packetsReceived || 0; } }); return n; }); }"""


async def heard_after(page: Any, participant: str, since: float, within: float) -> float | None:
    """Seconds from ``since`` until ten more packets of the participant's audio arrive (a
    rebuilt connection counts from zero again)."""
    last = await page.evaluate(HEARD_JS, participant)
    got = 0
    while time.monotonic() - since < within:
        await asyncio.sleep(0.2)
        now = await page.evaluate(HEARD_JS, participant)
        got += max(now - last, 0) if now >= last else now
        last = now
        if got >= 10:
            return time.monotonic() - since
    return None


def move(link: netshape.Link) -> None:
    """Give the namespace a new address (the old one gone), as a phone leaving Wi-Fi."""
    new = link.addr_ns.rsplit(".", 1)[0] + ".3"
    netshape.run("ip", "addr", "flush", "dev", link.dev_ns, ns=link.ns)
    netshape.run("ip", "addr", "add", new, "peer", link.addr_root, "dev", link.dev_ns, ns=link.ns)
    netshape.run("ip", "route", "add", "default", "via", link.addr_root, "dev", link.dev_ns,
                 ns=link.ns)
    netshape.run("ip", "route", "add", new, "dev", link.dev_root)


async def comeback(mode: str, outage: float = 4.0,
                   within: float = 60.0) -> tuple[float | None, bool]:
    """One run from scratch: the seconds until the room is heard again (None: not at all), and
    whether the page connected again."""
    room.packetize_layers()
    clip = room.encode_clip(seconds=3)
    port = sfu.free_port()
    with netshape.Link(netshape.Shape()) as link, \
            tempfile.TemporaryDirectory(prefix="rounds-comeback-") as tmp:
        base = f"http://{link.addr_root}:{port}"
        wrapper = Path(tmp) / "chromium"
        wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {link.ns} {shaped.CHROMIUM} "$@"\n')
        wrapper.chmod(0o755)
        async with room.running_server(Path(tmp), base, port):
            local = f"http://127.0.0.1:{port}"
            world = await room.build_world(local)
            publisher = None
            try:
                publisher = await room.publish(world, local, f"ws://127.0.0.1:{port}/rtc",
                                               "Dr Publisher", clip, listen=False)
                from playwright.async_api import async_playwright

                async with async_playwright() as pw:
                    browser, page = await shaped.open_receiver(pw, link, world, base, wrapper)
                    try:
                        if await heard_after(page, publisher.id, time.monotonic(), 40) is None:
                            raise RuntimeError("the receiver never heard the publisher")
                        await asyncio.sleep(2)
                        await page.evaluate("window.roundsRoom.conn.before = true")
                        if mode == "drop":
                            link.set_shape(netshape.Shape(loss=1.0))
                            await asyncio.sleep(outage)
                            link.set_shape(netshape.Shape())
                        elif mode == "stall":
                            link.stall_websocket(True)
                            await asyncio.sleep(outage)
                            link.stall_websocket(False)
                        else:
                            move(link)
                        after = await heard_after(page, publisher.id, time.monotonic(), within)
                        again = not await page.evaluate(
                            "!!(window.roundsRoom.conn && window.roundsRoom.conn.before)")
                        return after, again
                    finally:
                        await browser.close()
            finally:
                if publisher is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(publisher.client.close(), 10)
                await world.close()


async def main(args: argparse.Namespace) -> None:
    print(f"load average {os.getloadavg()[0]:.2f}", flush=True)
    for mode in args.modes.split(","):
        times: list[float | None] = []
        again = 0
        for _ in range(args.repeat):
            after, reconnected = await comeback(mode, args.outage, args.within)
            times.append(after)
            again += reconnected
            print(f"{mode}: {after}{' (connected again)' if reconnected else ''}", flush=True)
        came = sorted(t for t in times if t is not None)
        summary = (f"median {statistics.median(came):.2f} s [{came[0]:.2f}-{came[-1]:.2f}]"
                   if came else "never")
        print(f"{mode}: heard again {summary}; {len(times) - len(came)} of {len(times)} never "
              f"(within {args.within:.0f} s); connected again in {again} of {len(times)}; "
              f"load average now {os.getloadavg()[0]:.2f}", flush=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--modes", default="drop,move")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--outage", type=float, default=4.0,
                   help="seconds the link is down (drop), or the WebSocket (stall)")
    p.add_argument("--within", type=float, default=60.0, help="give up after this many seconds")
    return p


if __name__ == "__main__":
    asyncio.run(main(parser().parse_args()))
