"""Benchmark (issue 12): a room of 8 where one Chromium receiver sits behind a shaped link.

    .venv/bin/python bench/shaped.py                          # the four conditions, 10 s + 30 s
    .venv/bin/python bench/shaped.py --conditions 1mbit --warmup 5 --window 15 --json out.json
    .venv/bin/python bench/shaped.py --quick                  # 1 Mbit/s once, bounded

Needs root (network namespaces, TUN, tc) and /usr/bin/chromium. Per condition, from scratch:

* the link (bench/netshape.py): a network namespace joined to the root namespace through two
  TUN devices and a user-space relay (delay, loss: this kernel has no netem), tbf for the rate;
* the real app (SQLite in a temporary directory) in a child process, with a read-only route
  for the forwarder's per-subscriber counters; a group, a session begun with the check-in
  round, eight members through invites, the lobby and the facilitator's admission, all through
  the REST API; seven synthetic publishers in this process replaying VP8 640x360 at 15 fps
  (about 600 kbit/s) and Opus (bench/shaped_room.py). The last ``--listeners`` of them (default
  2) also receive everyone's video and count it without decoding (the other receivers'
  delivery: frames received / frames sent); the rest ask for audio only, which spares this
  process decrypting video nobody measures. The first publisher is "the speaker" (named in the
  output, to be given the floor);
* one Chromium (Debian's, fake camera and microphone) in the namespace, on the app's real room
  page, as the eighth member: it publishes its camera and microphone through the link too.

After the receiver decodes video (or ``--join-wait`` seconds), ``--warmup`` seconds pass, then
the receiver's getStats are read every ``--every`` seconds over ``--window`` seconds: per
inbound video stream frames decoded, freezes (freezeCount, totalFreezesDuration); per inbound
audio stream concealedSamples / totalSamplesReceived; the transport's bytes; the selected
candidate pair's RTT. Each figure is the growth of its counter over the window, summed over
the sample intervals (bench/shaped_report.py); "worst 5 s" is a stream's lowest fps in any
interval. With every condition comes the machine's noise: the load average before and after,
how late this process's event loop (which paces the publishers) woke from 20 ms sleeps, and
how often the link's relay woke more than 10 ms late.

Conditions (rate down/up, added round-trip time, loss each way): ``none``; ``2mbit`` 2 Mbit/s,
60 ms; ``1mbit`` 1 Mbit/s down, 512 kbit/s up, 150 ms, 2 %; ``600k`` 600 kbit/s, 200 ms, 3 %;
``uplink`` (a shaped *publisher*: 512 kbit/s and 2 % loss up only, no added delay) where
the figure that matters is how the others hear the Chromium participant; ``loss20`` (issue
17's "20 % packet loss on a participant's link": 20 % each way, 50 ms, no rate limit).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import sfu  # noqa: E402
from netshape import Link, Shape  # noqa: E402
from shaped_report import Result, describe, loadavg, summarise, table, write_json  # noqa: E402
from shaped_room import (  # noqa: E402
    HEIGHT,
    WIDTH,
    Publisher,
    World,
    build_world,
    encode_clip,
    forwarding,
    give_floor,
    packetize_layers,
    publish,
    running_server,
)

PUBLISHERS = 7
CHROMIUM = Path(os.environ.get("ROUNDS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]

CONDITIONS: dict[str, Shape] = {
    "none": Shape(),
    "2mbit": Shape(down_kbit=2000, up_kbit=2000, rtt_ms=60),
    "1mbit": Shape(down_kbit=1000, up_kbit=512, rtt_ms=150, loss=0.02),
    "600k": Shape(down_kbit=600, up_kbit=600, rtt_ms=200, loss=0.03),
    "uplink": Shape(up_kbit=512, loss=0.02, down_loss=0.0),
    "loss20": Shape(rtt_ms=50, loss=0.20),
}


# --- the receiver (Chromium in the namespace) ------------------------------------------------

STATS_JS = """async () => {
  const conn = window.roundsRoom && window.roundsRoom.conn;
  const out = {t: performance.now() / 1000, me: window.roundsRoom && window.roundsRoom.me,
               inbound: [], transport: null, pair: null, publish: null,
               subscribeState: null, publishState: null};
  if (!conn || !conn.subscribePc) return out;
  out.subscribeState = conn.subscribePc.connectionState;
  out.publishState = conn.publishPc ? conn.publishPc.connectionState : null;
  const stats = await conn.subscribePc.getStats();
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp') {
      const info = conn.streamOf(s.mid);
      out.inbound.push({id: s.id, participant: info ? info.participant : null, kind: s.kind,
        mid: s.mid,
        packetsReceived: s.packetsReceived || 0, packetsLost: s.packetsLost || 0,
        bytesReceived: s.bytesReceived || 0, nackCount: s.nackCount || 0,
        pliCount: s.pliCount || 0, framesDecoded: s.framesDecoded || 0,
        framesReceived: s.framesReceived || 0, keyFramesDecoded: s.keyFramesDecoded || 0,
        freezeCount: s.freezeCount || 0, totalFreezesDuration: s.totalFreezesDuration || 0,
        concealedSamples: s.concealedSamples || 0,
        totalSamplesReceived: s.totalSamplesReceived || 0,
        concealmentEvents: s.concealmentEvents || 0,
        packetsDiscarded: s.packetsDiscarded || 0,
        jitterBufferDelay: s.jitterBufferDelay || 0,
        jitterBufferEmittedCount: s.jitterBufferEmittedCount || 0,
        retransmittedPacketsReceived: s.retransmittedPacketsReceived || 0});
    }
    if (s.type === 'transport') out.transport = {bytesReceived: s.bytesReceived,
                                                 bytesSent: s.bytesSent};
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded')
      out.pair = {rtt: s.currentRoundTripTime, incoming: s.availableIncomingBitrate || null};
  });
  if (conn.publishPc) {
    (await conn.publishPc.getStats()).forEach((s) => {
      if (s.type === 'transport') out.publish = {bytesSent: s.bytesSent};
    });
  }
  return out;
}"""


async def open_receiver(pw: Any, link: Link, world: World, base: str, wrapper: Path) -> Any:
    """Chromium in the namespace, on the room page as the eighth member; returns the page."""
    browser = await pw.chromium.launch(
        executable_path=str(wrapper),
        args=[*CHROMIUM_ARGS, f"--unsafely-treat-insecure-origin-as-secure={base}"],
    )
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base}/signin")
    token = await world.invite()
    sid, gid = world.session["id"], world.group["id"]
    version = world.group.get("ground_rules_version", 1)
    member = await page.evaluate(
        """async ([token, sid, version]) => {
          const api = await import('/static/api.js');
          const joined = await api.post('/invites/accept', {token, display_name: 'Dr Receiver'});
          await api.request('POST', `/sessions/${sid}/join`, {ground_rules_version: version})
            .catch(() => null);
          return joined.member_id;
        }""",
        [token, sid, version],
    )
    await world.admit(member)
    await page.evaluate(
        "([gid, v]) => import('/static/store.js').then((s) => s.ack.set(gid, v))", [gid, version]
    )
    await page.goto(f"{base}/room?session={sid}")
    return browser, page


async def receiver_stats(page: Any) -> dict[str, Any]:
    return dict(await page.evaluate(STATS_JS))


# --- one condition ---------------------------------------------------------------------------


async def run_condition(
    name: str, shape: Shape, clip: sfu.Clip, args: argparse.Namespace,
    small: sfu.Clip | None = None,
) -> Result:
    """One condition from scratch: link, app, room of eight, measured window; all torn down."""
    notes: list[str] = []
    load_before = loadavg()
    port = sfu.free_port()
    with Link(shape) as link, tempfile.TemporaryDirectory(prefix="rounds-shaped-") as tmp:
        base = f"http://{link.addr_root}:{port}"
        wrapper = Path(tmp) / "chromium"
        wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {link.ns} {CHROMIUM} "$@"\n')
        wrapper.chmod(0o755)
        async with running_server(Path(tmp), base, port):
            local = f"http://127.0.0.1:{port}"
            world = await build_world(local)
            publishers: list[Publisher] = []
            browser = None
            try:
                for i in range(PUBLISHERS):
                    publishers.append(
                        await publish(
                            world,
                            local,
                            f"ws://127.0.0.1:{port}/rtc",
                            f"Dr Publisher {i + 1}",
                            clip,
                            listen=i >= PUBLISHERS - args.listeners,
                            small=small,
                            silent=args.silent_others and i > 0,
                        )
                    )
                if not args.no_floor:  # the facilitator gives the speaker the turn
                    publishers[0].client.facilitator = await give_floor(  # type: ignore[attr-defined]
                        world, local, f"ws://127.0.0.1:{port}/rtc", publishers[0].id)
                from playwright.async_api import async_playwright

                async with async_playwright() as pw:
                    browser, page = await open_receiver(pw, link, world, base, wrapper)
                    try:
                        return await measure(
                            name, shape, link, page, publishers, local, args, load_before, notes
                        )
                    finally:
                        await browser.close()
                        log = (Path(tmp) / "server.log").read_text(errors="replace")
                        if "Traceback" in log or "ERROR" in log:
                            notes.append("server log: " + log[-1500:])
            finally:
                for p in publishers:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(p.client.close(), 10)
                    fac = getattr(p.client, "facilitator", None)
                    if fac is not None:
                        with contextlib.suppress(Exception):
                            await asyncio.wait_for(fac.close(), 10)
                await world.close()


async def measure(
    name: str,
    shape: Shape,
    link: Link,
    page: Any,
    publishers: list[Publisher],
    local: str,
    args: argparse.Namespace,
    load_before: tuple[float, float, float],
    notes: list[str],
) -> Result:
    ids = {p.id for p in publishers}
    deadline = time.monotonic() + args.join_wait
    stats = await receiver_stats(page)
    while time.monotonic() < deadline:
        decoding = {
            s["participant"]
            for s in stats["inbound"]
            if s["kind"] == "video" and s["framesDecoded"] > 0
        }
        if ids <= decoding:
            break
        await asyncio.sleep(1)
        stats = await receiver_stats(page)
    else:
        notes.append(
            f"after {args.join_wait:.0f} s the receiver decoded video from "
            f"{len(ids & decoding)} of {len(ids)} publishers; measuring anyway"
        )
    await asyncio.sleep(args.warmup)
    me = stats.get("me")
    samples = [await receiver_stats(page)]
    servers, link0 = [await forwarding(local)], link.stats()
    heard0 = {p.id: p.heard.snapshot() for p in publishers}
    sent0 = {p.id: p.video.count for p in publishers}
    audio0 = {p.id: (p.audio.count, p.audio.fec_packets) for p in publishers}
    relay0 = link0["relay"].get("lateness", {})
    lags: list[float] = []
    lag = asyncio.ensure_future(loop_lag(lags))
    t0 = time.monotonic()
    while time.monotonic() - t0 < args.window - 0.01:
        await asyncio.sleep(min(args.every, args.window - (time.monotonic() - t0)))
        samples.append(await receiver_stats(page))
        servers.append(await forwarding(local))
    elapsed = time.monotonic() - t0
    lag.cancel()
    lags.sort()
    if lags:
        notes.append(
            f"this process's event loop (the publishers') ran late by p50 "
            f"{lags[len(lags) // 2] * 1000:.0f} ms, p99 {lags[int(len(lags) * 0.99)] * 1000:.0f}"
            f" ms, max {lags[-1] * 1000:.0f} ms (20 ms ticks)"
        )
    link1 = link.stats()
    relay1 = link1["relay"].get("lateness", {})
    ticks = relay1.get("ticks", 0) - relay0.get("ticks", 0)
    if ticks:
        late = relay1.get("late_over_10ms", 0) - relay0.get("late_over_10ms", 0)
        notes.append(
            f"the link relay woke more than 10 ms late from {late / ticks:.1%} of its 10 ms "
            f"sleeps (worst since the link opened {relay1.get('late_max_ms', 0):.0f} ms)"
        )
    heard1 = {p.id: p.heard.snapshot() for p in publishers}
    sent = {p.id: p.video.count - sent0[p.id] for p in publishers}
    notes.append("talking publishers' audio packets with in-band FEC (told of loss): " + ", ".join(
        f"{p.audio.fec_packets - audio0[p.id][1]} of {p.audio.count - audio0[p.id][0]}"
        for p in publishers if not p.audio.silent))
    me = samples[-1].get("me") or me
    if args.verbose:  # what the server chose for the receiver, at each sample
        notes.append("the receiver publishes video in {} temporal layer(s)".format(
            [x["layers"] for x in servers[-1]["sources"]
             if x["participant"] == me and x["kind"] == "video"]))
        repairs = [0, 0]
        for server in servers:
            mine = [k for k in server["sinks"] if k["subscriber"] == me and k["kind"] == "video"]
            if mine:
                est = mine[0]["estimate"]
                padding = sum(k.get("padding") or 0 for k in mine)
                now = mine[0].get("repairs") or [0, 0]  # the link's: the same in every sink
                notes.append("server: estimate {} kbit/s, loss {:.0%}; videos {}{}; repairs "
                             "sent {}, refused {}".format(
                    None if est is None else round(est / 1000), mine[0]["loss"] or 0,
                    " ".join("paused" if k["paused"] else ("small " if k.get("small") else "")
                    + f"T{k['layer']}" for k in mine),
                    f" (padding probe {padding / 1000:.0f} kbit/s)" if padding else "",
                    now[0] - repairs[0], now[1] - repairs[1]))
                repairs = now
    first = {s["id"]: s for s in samples[0]["inbound"]}
    for s in samples[-1]["inbound"]:
        if s["kind"] == "audio" and args.verbose:  # over the window
            a = first.get(s["id"], {})
            d = {k: s[k] - a.get(k, 0) for k in s if isinstance(s[k], (int, float))}
            notes.append(
                "audio {} mid {}: packets {packetsReceived} lost {packetsLost} discarded (late) "
                "{packetsDiscarded}; concealed {:.1%} in {concealmentEvents} events; jitter "
                "buffer {:.0f} ms".format(
                    s["participant"], s["mid"],
                    d["concealedSamples"] / max(d["totalSamplesReceived"], 1),
                    1000 * d["jitterBufferDelay"] / max(d["jitterBufferEmittedCount"], 1), **d))
        if s["kind"] == "video" and args.verbose:
            notes.append(
                "video {participant} mid {mid}: packets {packetsReceived} lost {packetsLost} "
                "frames received {framesReceived} decoded {framesDecoded} (key "
                "{keyFramesDecoded}) nacks {nackCount} plis {pliCount}".format(**s))
    return summarise(
        name,
        shape,
        publishers,
        me,
        samples,
        servers,
        link0,
        link1,
        heard0,
        heard1,
        sent,
        elapsed,
        load_before,
        notes,
    )


async def loop_lag(out: list[float], tick: float = 0.02) -> None:
    """How late a 20 ms sleep wakes up, until cancelled: the machine's noise, as the
    synthetic publishers (paced by asyncio sleeps) feel it."""
    while True:
        start = time.monotonic()
        await asyncio.sleep(tick)
        out.append(time.monotonic() - start - tick)


async def main(args: argparse.Namespace) -> list[Result]:
    started = time.monotonic()
    clip = encode_clip(layers=not args.no_layers)
    small = encode_clip(layers=not args.no_layers, small=True)
    variants = {"on": [small], "off": [None], "both": [None, small]}[args.small]
    packetize_layers()
    kbps = sum(len(d) for d, _ in clip.video) * 8 / 3 / 1000
    print(
        f"clip: {len(clip.video)} VP8 frames {WIDTH}x{HEIGHT} ({kbps:.0f} kbit/s), "
        f"{len(clip.audio)} Opus packets; load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    results = []
    for rep in range(args.repeat):
        for name, little in ((n, v) for n in args.conditions.split(",") for v in variants):
            try:
                result = await run_condition(name, CONDITIONS[name], clip, args, little)
            except Exception as exc:  # noqa: BLE001 (reported; the next condition still runs)
                print(f"{name} #{rep + 1}: FAILED ({type(exc).__name__}: {exc})", flush=True)
                continue
            if args.small == "both":
                result.shape += ", small picture" if little else ", camera only"
            results.append(result)
            print(describe(result), flush=True)
    print()
    print(table(results))
    print(
        f"\ntotal {time.monotonic() - started:.0f} s, load average now "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if args.json:
        write_json(args.json, results)
    return results


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--conditions",
        default="none,2mbit,1mbit,600k",
        help=f"comma separated, of {', '.join(CONDITIONS)}",
    )
    p.add_argument("--warmup", type=float, default=10.0, help="seconds after the receiver decodes")
    p.add_argument("--window", type=float, default=30.0, help="measured seconds")
    p.add_argument("--every", type=float, default=5.0, help="seconds between getStats reads")
    p.add_argument(
        "--join-wait",
        type=float,
        default=30.0,
        help="longest wait for the receiver to decode every publisher's video",
    )
    p.add_argument("--repeat", type=int, default=1, help="runs of each condition")
    p.add_argument(
        "--listeners",
        type=int,
        default=2,
        help="synthetic publishers that also receive video and count it (the others' "
        "delivery); the rest receive audio only, to spare this process (default 2)",
    )
    p.add_argument(
        "--quick", action="store_true", help="1mbit once: 10 s join wait, 5 s warm-up, 10 s window"
    )
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--no-floor", action="store_true",
                   help="nobody has the floor (no round runs): as before the floor existed")
    p.add_argument("--no-layers", action="store_true",
                   help="publishers send one layer (as before temporal layers)")
    p.add_argument("--silent-others", action="store_true",
                   help="only the speaker talks: the others' microphones hear silence and "
                   "send Opus DTX, as a browser does (about 5 packets a second)")
    p.add_argument("--small", choices=("on", "off", "both"), default="on",
                   help="publishers send a small picture as well (off: as before it existed; "
                   "both: each condition without, then with, in turn)")
    p.add_argument("--verbose", action="store_true", help="each inbound video's counters")
    return p


def quick(ns: argparse.Namespace) -> argparse.Namespace:
    """--quick: the 1 Mbit/s condition once, bounded (10 s join wait, 5 s warm-up, 10 s)."""
    ns.conditions, ns.repeat = "1mbit", 1
    ns.join_wait, ns.warmup, ns.window = 10.0, 5.0, 10.0
    return ns


def interrupt(signum: int, frame: Any) -> None:
    """SIGTERM as Ctrl-C: the finally blocks remove the namespace, relay, server, browser."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, interrupt)
    ns = parser().parse_args()
    asyncio.run(main(quick(ns) if ns.quick else ns))
