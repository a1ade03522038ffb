"""What one participant sends, as Chromium encodes the room page's camera and microphone.

The room page asks for 640x360 at up to 15 frames a second (frontend/static/media.js) and sets
no bitrate cap; the media server forwards packets as they are, so every subscriber receives
each stream at the rate its publisher sends it. This opens Debian's Chromium with its fake
camera and microphone, sends them from one RTCPeerConnection to another in the same page
(loopback: the bandwidth estimate is not the limit), and after a ramp-up reads the outbound
RTP statistics: bits per second actually sent, and the video encoder's target bitrate (which a
real camera, noisier than the synthetic one, reaches).

    .venv/bin/python bench/bandwidth.py [--seconds 20] [--ramp 10] [--noise]

`--noise` feeds a camera of random pixels, the hardest picture to encode: the encoder then
sends at its cap, the worst case for sizing.

From the per-participant figure P: a room of n people has each upload P and download (n-1) P;
the media server receives n P and sends n (n-1) P; coturn relays both.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PAGE = """
async ({ seconds, ramp }) => {
  const audio = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  const video = { width: { ideal: 640 }, height: { ideal: 360 },
                  frameRate: { ideal: 15, max: 15 } };
  const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  for (const track of stream.getTracks()) a.addTrack(track, stream);
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
  const sent = async () => {
    const out = {};
    (await a.getStats()).forEach((s) => {
      if (s.type === "outbound-rtp") out[s.kind] = { bytes: s.bytesSent + s.headerBytesSent,
        target: s.targetBitrate || 0, width: s.frameWidth || 0, fps: s.framesPerSecond || 0 };
    });
    return out;
  };
  await new Promise((r) => setTimeout(r, ramp * 1000));
  const first = await sent();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const last = await sent();
  const rate = (kind) => (last[kind].bytes - first[kind].bytes) * 8 / seconds;
  return { video: rate("video"), audio: rate("audio"), target: last.video.target,
           width: last.video.width, fps: last.video.fps };
}
"""


def noise_video(path: Path, frames: int = 30) -> Path:
    """A 640x360 Y4M of random pixels: the hardest picture to encode (the worst case)."""
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H360 F15:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + os.urandom(640 * 360 * 3 // 2))
    return path


async def measure(seconds: float, ramp: float, video: Path | None) -> dict[str, float]:
    from playwright.async_api import async_playwright

    args = [*CHROMIUM_ARGS, *([f"--use-file-for-fake-video-capture={video}"] if video else [])]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            page = await browser.new_page()
            # A secure context for getUserMedia without a server: localhost, answered here.
            await page.route("http://localhost/", lambda route: route.fulfill(
                body="<!doctype html><title>bandwidth</title>", content_type="text/html"))
            await page.goto("http://localhost/")
            result: dict[str, float] = await page.evaluate(PAGE, {"seconds": seconds,
                                                                   "ramp": ramp})
            return result
        finally:
            await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--ramp", type=float, default=10.0, help="seconds before measuring")
    parser.add_argument("--noise", action="store_true",
                        help="a camera of random pixels instead of Chromium's synthetic one")
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        video = noise_video(Path(tmp) / "noise.y4m") if ns.noise else None
        r = asyncio.run(measure(ns.seconds, ns.ramp, video))
    per = r["video"] + r["audio"]
    camera = "random-pixel camera" if ns.noise else "Chromium's synthetic camera"
    print(f"{camera}; one participant sends: video {r['video'] / 1e3:.0f} kbit/s "
          f"({r['width']:.0f} px wide, {r['fps']:.0f} fps; encoder target "
          f"{r['target'] / 1e3:.0f} kbit/s), audio {r['audio'] / 1e3:.0f} kbit/s, "
          f"total {per / 1e3:.0f} kbit/s with RTP headers")
    for n in (8, 12):
        print(f"room of {n}: each uploads {per / 1e6:.2f} and downloads "
              f"{(n - 1) * per / 1e6:.1f} Mbit/s; the server receives {n * per / 1e6:.1f} "
              f"and sends {n * (n - 1) * per / 1e6:.0f} Mbit/s")
    print(f"measured over {ns.seconds:.0f} s after {ns.ramp:.0f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
