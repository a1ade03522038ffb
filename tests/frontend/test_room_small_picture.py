"""Issue 12, the page's side of the small picture: the room page sends its camera twice (whole,
and at half the width and height), tells the server how high each tile is, and a tile that
becomes small is sent the small picture, switched at a keyframe; grown again, the whole camera.

The real app and two real Chromium pages (a facilitator, a doctor) with fake cameras (320x180,
so the small picture is 160x90); what the doctor's page decodes is read from the video element.
"""

from __future__ import annotations

import pytest

from tests.frontend.conftest import Api
from tests.frontend.test_room_controls import doctor_let_in

pytestmark = pytest.mark.browser


def test_a_small_tile_gets_the_small_picture(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    sent: list[str] = []

    def watch(context, page) -> None:  # type: ignore[no-untyped-def]
        page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(
            payload if isinstance(payload, str) else "")))

    fac_ctx, amira_ctx, amira, problems = doctor_let_in(
        browser, server, admin_api, "Small picture group", prepare=watch)
    theirs = amira.locator(".tile[data-you=false] video")
    expect(theirs).to_be_visible(timeout=20_000)

    def height() -> int:
        return int(theirs.evaluate("v => v.videoHeight"))

    amira.wait_for_function("v => v.videoHeight === 180", arg=theirs.element_handle(),
                            timeout=20_000)  # a big tile: the whole camera
    amira.set_viewport_size({"width": 360, "height": 300})
    amira.wait_for_function("v => v.videoHeight === 90", arg=theirs.element_handle(),
                            timeout=20_000)  # small now: the small picture
    assert any('"type":"tiles"' in frame for frame in sent)
    frames = int(theirs.evaluate("v => v.getVideoPlaybackQuality().totalVideoFrames"))
    amira.wait_for_function(f"v => v.getVideoPlaybackQuality().totalVideoFrames > {frames + 10}",
                            arg=theirs.element_handle(), timeout=10_000)  # and it plays
    amira.set_viewport_size({"width": 900, "height": 640})
    amira.wait_for_function("v => v.videoHeight === 180", arg=theirs.element_handle(),
                            timeout=20_000)  # big again: the whole camera
    assert height() == 180
    assert not problems, problems
    amira_ctx.close()
    fac_ctx.close()
