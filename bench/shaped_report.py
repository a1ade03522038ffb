"""bench/shaped.py's figures: one condition's ``Result`` from the receiver's getStats reads,
the server's counters, the link's and the other receivers' counts; the markdown table."""

from __future__ import annotations

import json
import os
import statistics
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from netshape import Shape  # noqa: E402
from shaped_room import Publisher  # noqa: E402


@dataclass
class Result:
    condition: str
    shape: str
    speaker: str
    receiver: str
    window_s: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    video: dict[str, dict[str, float]]
    """Per publisher at the receiver: fps, worst 5 s fps, freezes, freeze seconds, the longest
    freeze (seconds; see ``longest_freeze``)."""
    audio: dict[str, float]
    """Per publisher at the receiver: concealed share of samples."""
    receiver_in_kbit: float
    receiver_out_kbit: float
    rtt_ms: float | None
    forwarded_kbit: float
    forwarded_video_pps: float
    rtx_kbit: float
    rtx_pps: float
    plis_from_receiver: int
    plis_to_publishers_per_s: float
    link_down: dict[str, int]
    link_up: dict[str, int]
    others_delivery: float
    """Frames the other (synthetic) receivers got from the synthetic publishers / frames sent."""
    others_worst_pair: float
    others_video_kbit: float
    """Mean video kbit/s one synthetic receiver got from one synthetic publisher."""
    published_fps: float
    """Mean video frames per second the synthetic publishers sent in the window."""
    receiver_heard: float | None
    """The receiver's microphone at the others: audio packets received / 50 per second (median
    over the seven; Chromium sends 20 ms Opus packets without DTX)."""
    receiver_audio_loss: float | None
    """The receiver's microphone at the others: the worst share lost (sequence gaps)."""
    publish_state: str | None
    subscribe_state: str | None
    reconnects: int
    """Times the receiver's page dropped its connections in the window (``reconnects``)."""
    notes: list[str] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    """The receiver's getStats reads, as taken (for --json readers)."""


def loadavg() -> tuple[float, float, float]:
    a, b, c = os.getloadavg()
    return (round(a, 2), round(b, 2), round(c, 2))


def longest_freeze(decoded: list[float], frozen: list[float], spans: list[float]) -> float:
    """The longest freeze of one stream, in seconds, from its counters' growth per interval.

    Chromium counts a freeze (a gap between frames longer than max(3 frames, a frame + 150 ms))
    when it ends, adding its whole length to totalFreezesDuration in the interval where the
    next frame is decoded: the largest growth in one interval bounds the longest freeze from
    above (it is exact when one freeze ended in it; read with ``--every 1``). A freeze still
    going on at the end of the window is not counted yet: consecutive intervals without a
    decoded frame count for their length too."""
    longest = max(frozen, default=0.0)
    streak = 0.0
    for n, t in zip(decoded, spans, strict=True):
        streak = streak + t if n == 0 else 0.0
        longest = max(longest, streak)
    return longest


def reconnects(samples: list[dict[str, Any]]) -> int:
    """Times the page had no peer connections at a read, or its decoded frames went back
    (new connections count from zero): it reconnected (roomlink.js's check), which costs
    seconds of everything."""
    count, was, gone = 0, 0, False
    for s in samples:
        decoded = sum(x["framesDecoded"] for x in s["inbound"] if x["kind"] == "video")
        lost = s.get("subscribeState") is None and s.get("publishState") is None
        if (lost and not gone) or (decoded < was and not gone):
            count += 1
        gone, was = lost, decoded
    return count


def summarise(
    name: str,
    shape: Shape,
    publishers: list[Publisher],
    me: str | None,
    samples: list[dict[str, Any]],
    servers: list[dict[str, Any]],
    link0: dict[str, Any],
    link1: dict[str, Any],
    heard0: dict[str, Any],
    heard1: dict[str, Any],
    sent: dict[str, int],
    elapsed: float,
    load_before: tuple[float, float, float],
    notes: list[str],
) -> Result:
    def steps(pid: str, kind: str, key: str) -> list[float]:
        """The counter's growth in each sample interval, summed over the participant's inbound
        streams (keyed by stats id; a stream new in an interval counts from zero, a counter
        that went back - a rebuilt connection - counts from zero again)."""
        out = []
        for x, y in zip(samples, samples[1:], strict=False):
            before = {
                s["id"]: s for s in x["inbound"] if (s["participant"], s["kind"]) == (pid, kind)
            }
            grew = 0.0
            for s in y["inbound"]:
                if (s["participant"], s["kind"]) == (pid, kind):
                    was = before.get(s["id"], {}).get(key, 0)
                    grew += s[key] - was if s[key] >= was else s[key]
            out.append(grew)
        return out

    first, last = samples[0], samples[-1]
    dt = max(last["t"] - first["t"], 1e-6)
    spans = [max(y["t"] - x["t"], 1e-6) for x, y in zip(samples, samples[1:], strict=False)]
    video: dict[str, dict[str, float]] = {}
    audio: dict[str, float] = {}
    for p in publishers:
        decoded = steps(p.id, "video", "framesDecoded")
        video[p.name] = {
            "fps": sum(decoded) / dt,
            "worst_5s_fps": min((n / t for n, t in zip(decoded, spans, strict=True)), default=0),
            "freezes": sum(steps(p.id, "video", "freezeCount")),
            "freeze_s": sum(steps(p.id, "video", "totalFreezesDuration")),
            "longest_freeze_s": longest_freeze(
                decoded, steps(p.id, "video", "totalFreezesDuration"), spans),
            "nacks": sum(steps(p.id, "video", "nackCount")),
            "plis": sum(steps(p.id, "video", "pliCount")),
            "keyframes": sum(steps(p.id, "video", "keyFramesDecoded")),
        }
        samples_in = sum(steps(p.id, "audio", "totalSamplesReceived"))
        concealed = sum(steps(p.id, "audio", "concealedSamples"))
        audio[p.name] = concealed / samples_in if samples_in > 0 else 1.0

    def series(part: str, field: str) -> float:
        """A getStats counter outside inbound-rtp, grown over the window (reset: from zero)."""
        values = [(s.get(part) or {}).get(field, 0) or 0 for s in samples]
        return sum(b - a if b >= a else b for a, b in zip(values, values[1:], strict=False))

    rx_in = series("transport", "bytesReceived") * 8 / dt / 1000
    rx_out = (series("transport", "bytesSent") + series("publish", "bytesSent")) * 8 / dt / 1000
    rtts = [s["pair"]["rtt"] for s in samples if s.get("pair") and s["pair"].get("rtt") is not None]

    def grown(table: str, field: str, **match: str | None) -> float:
        """A server counter's growth over the window, per source or sink (as ``steps`` does)."""
        total = 0.0
        for x, y in zip(servers, servers[1:], strict=False):
            before = {r["key"]: r for r in x[table]}
            for r in y[table]:
                if all(r[k] == v for k, v in match.items()):
                    was = before.get(r["key"], {}).get(field, 0)
                    total += r[field] - was if r[field] >= was else r[field]
        return total

    forwarded = grown("sinks", "bytes", subscriber=me)
    rtx_bytes = grown("sinks", "rtx_bytes", subscriber=me)
    rtx_packets = grown("sinks", "rtx_packets", subscriber=me)
    video_packets = grown("sinks", "packets", subscriber=me, kind="video")
    plis = int(grown("sinks", "plis", subscriber=me))
    to_publishers = sum(
        grown("sources", "keyframe_requests", participant=p.id, kind="video") for p in publishers
    )

    def link_delta(direction: str) -> dict[str, int]:
        tbf = f"tbf_{direction}"
        r0 = link0["relay"].get(direction, {})
        r1 = link1["relay"].get(direction, {})
        out = {f"relay_{k}": r1.get(k, 0) - r0.get(k, 0) for k in r1}
        out.update({f"tbf_{k}": link1[tbf][k] - link0[tbf][k] for k in link1[tbf]})
        return out

    delivered, pairs, kbit = 0, [], []
    listeners = [p for p in publishers if p.listen]
    for receiver in listeners:
        for p in publishers:
            if p is receiver:
                continue
            got = heard1[receiver.id]["frames"].get(p.id, 0) - heard0[receiver.id]["frames"].get(
                p.id, 0
            )
            delivered += got
            pairs.append(got / max(sent[p.id], 1))
            kbit.append(
                (
                    heard1[receiver.id]["bytes"].get((p.id, "video"), 0)
                    - heard0[receiver.id]["bytes"].get((p.id, "video"), 0)
                )
                * 8
                / elapsed
                / 1000
            )
    produced = sum(sent[p.id] for r in listeners for p in publishers if p is not r)
    heard_rx, rx_audio_loss = None, None
    if me:
        got = [
            heard1[r.id]["packets"].get((me, "audio"), 0)
            - heard0[r.id]["packets"].get((me, "audio"), 0)
            for r in publishers
        ]
        lost = [
            heard1[r.id]["lost"].get((me, "audio"), 0) - heard0[r.id]["lost"].get((me, "audio"), 0)
            for r in publishers
        ]
        if got:
            heard_rx = statistics.median(got) / (50 * elapsed)
            rx_audio_loss = max(n / max(n + g, 1) for n, g in zip(lost, got, strict=True))
    speaker = publishers[0]
    return Result(
        condition=name,
        shape=shape.describe(),
        speaker=f"{speaker.name} ({speaker.id})",
        receiver=me or "?",
        window_s=round(elapsed, 1),
        load_before=load_before,
        load_after=loadavg(),
        video=video,
        audio=audio,
        receiver_in_kbit=rx_in,
        receiver_out_kbit=rx_out,
        rtt_ms=statistics.median(rtts) * 1000 if rtts else None,
        forwarded_kbit=forwarded * 8 / elapsed / 1000,
        forwarded_video_pps=video_packets / elapsed,
        rtx_kbit=rtx_bytes * 8 / elapsed / 1000,
        rtx_pps=rtx_packets / elapsed,
        plis_from_receiver=plis,
        plis_to_publishers_per_s=to_publishers / elapsed,
        link_down=link_delta("down"),
        link_up=link_delta("up"),
        others_delivery=delivered / max(produced, 1),
        others_worst_pair=min(pairs, default=0.0),
        others_video_kbit=statistics.fmean(kbit) if kbit else 0.0,
        receiver_heard=heard_rx,
        receiver_audio_loss=rx_audio_loss,
        published_fps=sum(sent.values()) / len(sent) / elapsed,
        publish_state=last.get("publishState"),
        subscribe_state=last.get("subscribeState"),
        reconnects=reconnects(samples),
        notes=notes,
        samples=samples,
    )


# --- output ----------------------------------------------------------------------------------


def dropped_share(d: dict[str, int]) -> float:
    offered = d.get("tbf_packets", 0) + d.get("tbf_dropped", 0)
    dropped = d.get("tbf_dropped", 0) + d.get("relay_lost", 0) + d.get("relay_overflow", 0)
    return dropped / offered if offered else 0.0


def table(results: list[Result]) -> str:
    head = (
        "| link to the receiver | load avg (before→after) | speaker video fps (worst 5 s) "
        "| speaker's freezes (s, longest) | other videos fps: median [min] | all freezes (s) "
        "| audio concealed: mean (worst) "
        "| receiver in / out | forwarded to it | retransmissions to it | PLIs up, per s "
        "| dropped at the link down / up | RTT | other receivers' delivery (worst pair) "
        "| receiver's audio at the others: packets (worst loss) | its publish pc (reconnects) |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        speaker = next(iter(r.video))
        others = [v["fps"] for k, v in r.video.items() if k != speaker]
        freezes = sum(v["freezes"] for v in r.video.values())
        freeze_s = sum(v["freeze_s"] for v in r.video.values())
        conceal = list(r.audio.values())
        lines.append(
            f"| {r.shape} | {r.load_before[0]:.1f}→{r.load_after[0]:.1f} "
            f"| {r.video[speaker]['fps']:.1f} ({r.video[speaker]['worst_5s_fps']:.1f}) "
            f"| {r.video[speaker]['freezes']:.0f} ({r.video[speaker]['freeze_s']:.1f} s, "
            f"longest {r.video[speaker]['longest_freeze_s']:.1f} s) "
            f"| {statistics.median(others):.1f} [{min(others):.1f}] "
            f"| {freezes:.0f} ({freeze_s:.1f} s) "
            f"| {statistics.fmean(conceal):.1%} ({max(conceal):.1%}) "
            f"| {r.receiver_in_kbit:.0f} / {r.receiver_out_kbit:.0f} kbit/s "
            f"| {r.forwarded_kbit:.0f} kbit/s "
            f"| {r.rtx_kbit:.0f} kbit/s ({r.rtx_pps:.0f} pkt/s) "
            f"| {r.plis_to_publishers_per_s:.1f} "
            f"| {dropped_share(r.link_down):.0%} / {dropped_share(r.link_up):.0%} "
            f"| {'-' if r.rtt_ms is None else f'{r.rtt_ms:.0f} ms'} "
            f"| {r.others_delivery:.1%} ({r.others_worst_pair:.1%}) "
            f"| {'-' if r.receiver_heard is None else f'{r.receiver_heard:.0%}'}"
            f"{'' if r.receiver_audio_loss is None else f' ({r.receiver_audio_loss:.1%} lost)'} "
            f"| {r.publish_state} ({r.reconnects}) |"
        )
    return "\n".join(lines)


def describe(r: Result) -> str:
    per = ", ".join(f"{k.split()[-1]} {v['fps']:.1f}" for k, v in r.video.items())
    conceal = ", ".join(f"{k.split()[-1]} {v:.1%}" for k, v in r.audio.items())
    return (
        f"{r.condition}: window {r.window_s:.0f} s, speaker {r.speaker}, receiver {r.receiver}; "
        f"fps by publisher: {per}; concealed: {conceal}; link down {r.link_down}; "
        f"up {r.link_up}; others' video {r.others_video_kbit:.0f} kbit/s per stream; "
        f"PLIs from the receiver {r.plis_from_receiver}; publishers sent {r.published_fps:.1f} fps"
        + ("; " + "; ".join(r.notes) if r.notes else "")
    )


def write_json(path: str, results: list[Result]) -> None:
    Path(path).write_text(json.dumps([asdict(r) for r in results], indent=1))
