"""Headless Chromium pages in one room: each decodes the others' video, across leave and join."""

from __future__ import annotations

import asyncio
import time
import wave
from pathlib import Path
from typing import Any

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

from .conftest import Live

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
