"""A page whose publish connection the server stopped hearing publishes again, once.

The server's end of a publish connection can die while ICE still answers (before rtc/guard.py,
one junk datagram did exactly that): the browser then sees "connected" and sends into the void.
protocol.js watches the server's receiver reports (remote-inbound-rtp); when they stand still
while it sends, it rebuilds the connection, with a wait that grows if that does not help.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rtc.client import Client
from tests.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

from .conftest import Live, eventually
from .test_browser import open_page

pytestmark = pytest.mark.browser


async def test_page_republishes_when_the_server_stops_reporting(live: Live) -> None:
    require_chromium()
    from playwright.async_api import async_playwright

    viewer = Client(live.url, live.token("viewer"))
    await viewer.connect(publish=False)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await open_page(browser, live, "p1")
            await eventually(
                lambda: viewer.frames_from("p1", "video") >= 10, timeout=30, what="p1's video"
            )
            # the page watches for the server's reports to stop, so it must have had one: on a
            # loaded machine the first comes a second or more after the first frames
            heard = """async () => {
              let heard = false;
              (await window.rtc.room.publishPc.getStats()).forEach((s) => {
                if (s.type === "remote-inbound-rtp") heard = true;
              });
              return heard;
            }"""
            deadline = asyncio.get_running_loop().time() + 30
            while not await page.page.evaluate(heard):
                assert asyncio.get_running_loop().time() < deadline, "no report from the server"
                await asyncio.sleep(0.2)
            await page.page.evaluate(
                "window.rtc.room.publishCheckMs = 500; window.rtc.room.publishSilentMs = 3000"
            )
            member = live.server.hub.rooms["room-1"].members["p1"]
            silenced = dict(member.sources)

            async def no_report(packet: Any) -> None:
                return None  # the server's end goes quiet: no receiver reports, no REMB

            for source in silenced.values():  # and the camera's small picture (a page sends one)
                for quiet in (source, source.small):
                    if quiet is not None:
                        quiet.receiver._send_rtcp = no_report
            await eventually(
                lambda: member.sources.get("video") not in (None, silenced["video"]),
                timeout=45,  # the watch's first look is 5 s in; a loaded machine delays RTCP too
                what="p1 publishing again",
            )
            republished = member.sources["video"]
            frames = viewer.frames_from("p1", "video")
            await eventually(
                lambda: viewer.frames_from("p1", "video") > frames + 10,
                timeout=20,
                what="p1's video after the rebuild",
            )
            await asyncio.sleep(4.0)  # longer than publishSilentMs: a heard connection stays
            assert member.sources["video"] is republished
            assert page.errors == []
            assert live.server.hub.forwarder.errors == 0
        finally:
            await browser.close()
            await viewer.close()
