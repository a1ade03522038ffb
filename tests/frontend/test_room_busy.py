"""Issue 10, the page's side: video the server sheds because it is busy is said to be the
server's doing, not the doctor's connection: no "your connection is weak", no offer of audio
only. The same message without ``busy`` says the connection, as before.

The real app and two real Chromium pages (a facilitator, a doctor); the server's
``video_paused`` is injected into the doctor's WebSocket (Playwright's WebSocket route passes
everything else through): the server's choice is tested with real peers in
tests/rtc/test_shedding.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.frontend.conftest import Api
from tests.frontend.test_room_controls import doctor_let_in

pytestmark = pytest.mark.browser

OFFER_AFTER_MS = 5000
"""room.js: audio only is offered once no video has come through for this long."""


def test_video_shed_for_a_busy_server_says_so(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import WebSocketRoute, expect

    sockets: list[WebSocketRoute] = []

    def through(ws: WebSocketRoute) -> None:
        ws.connect_to_server()  # everything passes both ways; the test adds server messages
        sockets.append(ws)

    fac_ctx, amira_ctx, amira, problems = doctor_let_in(
        browser, server, admin_api, "Busy server group",
        prepare=lambda context, page: page.route_web_socket(re.compile(r"/rtc$"), through))
    theirs = amira.locator(".tile[data-you=false]")
    expect(theirs).to_have_count(1)
    expect(theirs.locator("video")).to_be_visible(timeout=20_000)
    facilitator = theirs.get_attribute("data-id")
    mine = amira.locator(".tile[data-you=true] .badges")

    def told(**fields: Any) -> None:
        sockets[-1].send(json.dumps({"type": "video_paused", **fields}))

    told(participants=[], reduced=[facilitator], busy=True)
    expect(theirs.locator(".badges")).to_contain_text("Lower quality: the server is busy")
    told(participants=[facilitator], reduced=[], busy=True)
    expect(theirs.locator(".badges")).to_contain_text("Video paused: the server is busy")
    expect(theirs.locator("video")).to_be_hidden()
    assert theirs.get_attribute("data-link") == "busy"  # no red dot: not the doctor's link
    amira.wait_for_timeout(OFFER_AFTER_MS + 1000)
    expect(mine).not_to_contain_text("Your connection is weak")
    expect(amira.locator("#link-offer")).to_be_hidden()

    # the same pause for the doctor's link: the words the test above looks for not to be there
    told(participants=[facilitator], reduced=[])
    expect(theirs.locator(".badges")).to_contain_text("Video paused to save your connection")
    expect(mine).to_contain_text("Your connection is weak")
    expect(amira.locator("#link-offer")).to_be_visible(timeout=OFFER_AFTER_MS + 3000)

    told(participants=[], reduced=[], busy=False)  # everything back
    expect(theirs.locator("video")).to_be_visible()
    expect(mine).not_to_contain_text("Your connection is weak")
    assert not problems, problems
    amira_ctx.close()
    fac_ctx.close()
