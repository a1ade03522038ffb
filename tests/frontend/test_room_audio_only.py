"""Audio only saves the network, not just the screen: the page asks the server to stop sending
video, and the video it receives stops; switching back brings it again."""

from __future__ import annotations

import pytest

from tests.frontend.conftest import Api, wait_until
from tests.frontend.test_room_controls import doctor_let_in

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
    fac_ctx, amira_ctx, amira, _ = doctor_let_in(
        browser, server, admin_api, "Audio only group",
        prepare=lambda context, page: context.add_init_script(TRACK_PCS))
    wait_until(amira, f"async () => (await ({VIDEO_BYTES})()) > 20000")

    amira.get_by_role("button", name="Audio only").click()
    amira.wait_for_timeout(1500)  # the server renegotiates; packets in flight arrive
    before = amira.evaluate(VIDEO_BYTES)
    amira.wait_for_timeout(2000)
    assert amira.evaluate(VIDEO_BYTES) == before  # not one more byte of video

    amira.get_by_role("button", name="Audio only").click()
    wait_until(amira, f"async () => (await ({VIDEO_BYTES})()) > {before + 20000}")
    amira_ctx.close()
    fac_ctx.close()
