"""Headless Chromium pages in one room: each decodes the others' video, across leave and join."""

from __future__ import annotations

import asyncio
import ctypes
import importlib
import sys
import time
import wave
from pathlib import Path
from typing import Any

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

from .conftest import Live, eventually
from .media import LosingAudio, PatternVideo, ToneAudio

BENCH = Path(__file__).resolve().parents[2] / "bench"

pytestmark = pytest.mark.browser


class Page:
    def __init__(self, pid: str, page: Any) -> None:
        self.pid = pid
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", self._record)

    def _record(self, exc: Exception) -> None:
        self.errors.append(str(exc))

    async def decoded(self) -> dict[str, int]:
        """framesDecoded (getStats) per participant whose video this page receives now."""
        return dict(await self.page.evaluate("window.rtc.framesDecoded()"))

    async def shown(self) -> set[str]:
        sizes = await self.page.evaluate(
            "[...document.querySelectorAll('video')].map(v => [v.dataset.participant,"
            " v.videoWidth])"
        )
        return {p for p, width in sizes if p and width > 0}


async def open_page(browser: Any, live: Live, pid: str) -> Page:
    context = await browser.new_context()
    page = Page(pid, await context.new_page())
    await page.page.goto(f"{live.http}/testpage/index.html#token={live.token(pid)}")
    await page.page.evaluate("window.rtc.ready")
    return page


async def all_decoding(pages: list[Page], timeout: float = 60) -> None:  # noqa: ASYNC109
    """Every page decodes every other page's video, and the count keeps rising."""
    ids = {p.pid for p in pages}
    deadline = time.monotonic() + timeout
    while True:
        before = {p.pid: await p.decoded() for p in pages}
        await asyncio.sleep(1.5)
        after = {p.pid: await p.decoded() for p in pages}
        rising = {
            p.pid: {o for o in after[p.pid] if after[p.pid][o] >= before[p.pid].get(o, 1e9) + 10}
            for p in pages
        }
        if all(
            rising[p.pid] == ids - {p.pid} and set(after[p.pid]) == ids - {p.pid} for p in pages
        ):
            return
        assert time.monotonic() < deadline, f"decoding: {rising}, counts {after}"


async def test_browsers_see_each_other_across_leave_and_join(live: Live) -> None:
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            pages = [await open_page(browser, live, pid) for pid in ("p1", "p2", "p3")]
            await all_decoding(pages)
            for page in pages:
                assert await page.shown() == {"p1", "p2", "p3"} - {page.pid}
            # p3 leaves, p4 joins: p4's streams reuse the media sections p3 left
            await pages[2].page.evaluate("window.rtc.room.leave()")
            await pages[2].page.context.close()
            pages = pages[:2] + [await open_page(browser, live, "p4")]
            await all_decoding(pages)
            for page in pages:
                assert await page.shown() == {"p1", "p2", "p4"} - {page.pid}
                assert page.errors == []
            videos = await pages[0].page.evaluate("document.querySelectorAll('video').length")
            assert videos == 2  # the section p3 used now shows p4: no new m-line, no new element
            assert live.server.hub.forwarder.errors == 0
        finally:
            await browser.close()


AUDIO_SENT = """async () => {
  let n = 0;
  (await window.rtc.room.publishPc.getStats()).forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'audio') n += s.packetsSent || 0; });
  return n; }"""


async def test_a_silent_microphone_sends_little(live: Live, tmp_path: Path) -> None:
    """The publish answer asks for Opus DTX (``usedtx=1``): a page whose microphone hears
    silence sends far fewer than Opus's 50 packets a second (it sends 50 without DTX), and the
    server still gets some (the receivers' decoders know the person is there, and silent)."""
    require_chromium()
    from playwright.async_api import async_playwright

    silence = tmp_path / "silence.wav"
    with wave.open(str(silence), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(bytes(2 * 48000 * 10))
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={silence}"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            pages = [await open_page(browser, live, pid) for pid in ("p1", "p2")]
            await all_decoding(pages)
            answer = await pages[0].page.evaluate("window.rtc.room.publishPc.remoteDescription.sdp")
            assert "usedtx=1" in answer
            before, start = await pages[0].page.evaluate(AUDIO_SENT), time.monotonic()
            heard = live.server.hub.rooms["room-1"].members["p1"].sources["audio"].packets
            await asyncio.sleep(5)
            rate = (await pages[0].page.evaluate(AUDIO_SENT) - before) / (time.monotonic() - start)
            assert 0 < rate < 10, f"{rate:.1f} audio packets a second"  # 4.8 measured
            assert live.server.hub.rooms["room-1"].members["p1"].sources["audio"].packets > heard
        finally:
            await browser.close()


def has_lbrr() -> Any:
    """libopus's ``opus_packet_has_lbrr`` (1.5 and later; Debian's 1.3 lacks it, PyAV's wheel
    carries 1.5): whether an Opus packet carries in-band FEC for the one before."""
    import av

    found = sorted((Path(av.__file__).resolve().parent.parent / "av.libs").glob("libopus*"))
    assert found, "PyAV's wheel no longer carries libopus"
    fn = ctypes.CDLL(str(found[0])).opus_packet_has_lbrr
    fn.argtypes, fn.restype = [ctypes.c_char_p, ctypes.c_int], ctypes.c_int
    return lambda data: fn(data, len(data)) == 1


async def test_a_publisher_adds_fec_once_a_subscriber_loses_its_audio(
    live: Live, tmp_path: Path,
) -> None:
    """Chromium's Opus adds in-band FEC only when the reports on its stream show loss: a
    subscriber that loses one packet in eight (an aiortc peer, losing them at its own edge)
    gets FEC from a speaking Chromium page because the server passes its loss on
    (rtc/forwarder.py ``PassedOnLoss``); while nobody loses anything, none is sent."""
    require_chromium()
    from playwright.async_api import async_playwright

    from rtc.client import Client

    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    speech = tmp_path / "voice.wav"
    with wave.open(str(speech), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(importlib.import_module("sfu").voice(5, 16000))
    lbrr = has_lbrr()
    arrived: list[tuple[float, bool]] = []  # when, and whether it carried FEC
    b = Client(live.url, live.token("b"), audio=ToneAudio(loud=False), video=PatternVideo())
    losing = LosingAudio(b, every=8,
                         seen=lambda p: arrived.append((time.monotonic(), lbrr(p.payload))))

    def share(since: float) -> float:
        window = [fec for at, fec in arrived if at >= since]
        return sum(window) / max(len(window), 1)

    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={speech}"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            await open_page(browser, live, "p1")
            await b.connect()
            await eventually(lambda: b.frames_from("p1", "audio") >= 100, timeout=30,
                             what="b hearing p1")
            start = time.monotonic()
            await asyncio.sleep(4)
            assert len([a for a in arrived if a[0] >= start]) > 100  # p1 speaks
            assert share(start) < 0.05, f"FEC in {share(start):.0%} with nothing lost"
            losing.on = True
            await eventually(lambda: share(time.monotonic() - 2) > 0.5, timeout=30,
                             what="p1's audio carrying FEC once b loses it")
        finally:
            await b.close()
            await browser.close()
