"""Audio only saves the network, not just the screen: the page asks the server to stop sending
video, and the video it receives stops; switching back brings it again."""

from __future__ import annotations

import re

import pytest

from tests.frontend.conftest import (
    LAPTOP,
    Api,
    admin_signs_in,
    agree_and_wait,
    doctor_joins,
    enter_room,
    make_world,
)
from tests.frontend.test_room_controls import _page
from tests.frontend.test_room_journey import SMALL_LAPTOP

pytestmark = pytest.mark.browser

VIDEO_BYTES = """async () => {
  let total = 0;
  for (const pc of window.__rounds_pcs || []) {
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') total += s.bytesReceived;
    });
  }
  return total;
}"""

TRACK_PCS = """(() => {
  const Original = window.RTCPeerConnection;
  window.__rounds_pcs = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Original(...args);
    window.__rounds_pcs.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
})();"""


def test_audio_only_stops_incoming_video(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Audio only group")
    assert world.session is not None
    sid = world.session["id"]
    admin_api.patch(f"/sessions/{sid}", json={"status": "open"})
    _, link = world.invite("Amira")

    fac_ctx, fac, _ = _page(browser, server, LAPTOP)
    admin_signs_in(fac)
    enter_room(fac, sid)
    expect(fac.locator("#conn")).to_have_text("Connected")

    amira_ctx, amira, _ = _page(browser, server, SMALL_LAPTOP)
    amira_ctx.add_init_script(TRACK_PCS)
    doctor_joins(amira, link, "Amira")
    agree_and_wait(amira, world.gid)
    fac.get_by_role("button", name="Let Amira in").click()
    expect(amira).to_have_url(re.compile(r"/room\?session="), timeout=15_000)
    expect(amira.locator("#conn")).to_have_text("Connected")
    amira.wait_for_function(f"async () => ({VIDEO_BYTES})() > 20000", timeout=20_000)

    amira.get_by_role("button", name="Audio only").click()
    amira.wait_for_timeout(1500)  # the server renegotiates; packets in flight arrive
    before = amira.evaluate(VIDEO_BYTES)
    amira.wait_for_timeout(2000)
    assert amira.evaluate(VIDEO_BYTES) == before  # not one more byte of video

    amira.get_by_role("button", name="Audio only").click()
    amira.wait_for_function(f"async () => ({VIDEO_BYTES})() > {before + 20000}",
                            timeout=20_000)
    amira_ctx.close()
    fac_ctx.close()
