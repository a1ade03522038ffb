"""The device check says plainly what is wrong when the camera or microphone cannot be used.

Chromium's fake devices always work, so the failures are made by replacing getUserMedia before
the page loads with one that refuses the way a real browser does (a DOMException by name).
"""

from __future__ import annotations

import pytest

from tests.frontend.conftest import PHONE, new_context, shoot

pytestmark = pytest.mark.browser

REFUSE = """(() => {
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => {
    const rule = %s;
    const name = rule(c);
    if (name) throw new DOMException('refused in test', name);
    return real(c);
  };
})();"""


def _check(browser, server, rule: str):  # type: ignore[no-untyped-def]
    context = new_context(browser, server, PHONE)
    context.add_init_script(REFUSE % rule)
    page = context.new_page()
    page.goto("/check")
    page.get_by_role("button", name="Start the check").click()
    return context, page


def test_permission_denied(browser, server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context, page = _check(browser, server, "() => 'NotAllowedError'")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Your browser is not allowing Rounds to use your camera")
    expect(alert).to_contain_text("choose Allow, then press Try again")
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    expect(page.locator("#devices")).to_be_hidden()
    shoot(page, "check-denied-phone", docs=True)
    context.close()


def test_no_microphone_or_camera(browser, server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context, page = _check(browser, server, "() => 'NotFoundError'")
    expect(page.get_by_role("alert")).to_contain_text("No microphone was found.")
    context.close()


def test_no_camera_falls_back_to_audio(browser, server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context, page = _check(browser, server, "(c) => c.video ? 'NotFoundError' : ''")
    expect(page.locator("#camera-state")).to_have_text(
        "No camera was found, so you will join with audio only."
    )
    expect(page.locator("#preview")).to_be_hidden()
    expect(page.get_by_role("alert")).to_be_hidden()
    page.wait_for_function("() => document.getElementById('level').value > 0.05")
    context.close()


def test_camera_in_use(browser, server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context, page = _check(browser, server, "() => 'NotReadableError'")
    expect(page.get_by_role("alert")).to_contain_text("being used by another app")
    context.close()


def test_audio_only_choice_is_remembered(browser, server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context = new_context(browser, server, PHONE)
    page = context.new_page()
    page.goto("/check")
    page.get_by_label("Join with audio only").check()
    page.get_by_role("button", name="Start the check").click()
    expect(page.locator("#camera-state")).to_have_text("Audio only: your camera stays off.")
    expect(page.locator("#preview")).to_be_hidden()
    expect(page.get_by_label("Choose a camera")).to_be_disabled()
    page.reload()
    expect(page.get_by_label("Join with audio only")).to_be_checked()
    context.close()
