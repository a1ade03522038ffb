"""Three headless Chromium pages in one room: each decodes the other two videos."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import Live

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]

pytestmark = pytest.mark.browser


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing and CI=true: the browser tests must run in CI")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


async def test_three_browsers_see_each_other(live: Live) -> None:
    require_chromium()
    from playwright.async_api import async_playwright

    ids = ["p1", "p2", "p3"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            pages = []
            for pid in ids:
                context = await browser.new_context()
                page = await context.new_page()
                errors: list[str] = []

                def record(exc: Exception, errors: list[str] = errors) -> None:
                    errors.append(str(exc))

                page.on("pageerror", record)
                await page.goto(f"{live.http}/testpage/index.html#token={live.token(pid)}")
                pages.append((pid, page, errors))
            for _, page, _ in pages:
                await page.evaluate("window.rtc.ready")

            async def decoded(page: Any) -> dict[str, int]:
                return dict(await page.evaluate("window.rtc.framesDecoded()"))

            deadline = time.monotonic() + 60
            first: dict[str, dict[str, int]] = {}
            while True:
                counts = {pid: await decoded(page) for pid, page, _ in pages}
                if all(all(counts[pid].get(o, 0) >= 20 for o in ids if o != pid) for pid in ids):
                    first = counts
                    break
                assert time.monotonic() < deadline, f"frames decoded so far: {counts}"
                await asyncio.sleep(0.5)
            await asyncio.sleep(2)
            for pid, page, errors in pages:
                later = await decoded(page)
                others = [o for o in ids if o != pid]
                assert sorted(later) == others  # exactly the other two, never itself
                for o in others:
                    assert later[o] > first[pid][o] + 5, (pid, o, first[pid][o], later[o])
                sizes = await page.evaluate(
                    "[...document.querySelectorAll('video')].map(v => [v.dataset.participant,"
                    " v.videoWidth])"
                )
                shown = {p for p, width in sizes if width > 0}
                assert shown == set(others), sizes
                assert errors == []
            assert live.server.hub.forwarder.errors == 0
        finally:
            await browser.close()
