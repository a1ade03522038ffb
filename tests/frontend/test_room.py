"""The room page with one person in it: it joins and connects, shows you, fits twelve people on a
phone, says when it is reconnecting and comes back by itself, announces clock milestones (not
every second), and every control works from the keyboard."""

from __future__ import annotations

import re

import pytest

from tests.frontend.conftest import (
    FILL_ROOM,
    LAPTOP,
    PHONE,
    Api,
    admin_signs_in,
    agree_and_wait,
    doctor_joins,
    enter_room,
    make_world,
    new_context,
    shoot,
    watch_console,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def world(admin_api: Api):  # type: ignore[no-untyped-def]
    w = make_world(admin_api, "Room test group")
    assert w.session is not None
    admin_api.patch(f"/sessions/{w.session['id']}", json={"status": "open"})
    return w


def _enter(browser, server, world, form):  # type: ignore[no-untyped-def]
    """The group's facilitator enters the room (members wait until a facilitator lets them in,
    which happens over the room's websocket, so it is not part of these tests)."""
    from playwright.sync_api import expect

    context = new_context(browser, server, form)
    page = context.new_page()
    problems = watch_console(page)
    admin_signs_in(page)
    enter_room(page, world.session['id'])
    expect(page).to_have_url(re.compile(r"/room\?session="))
    expect(page.locator(".tile[data-you=true]")).to_be_visible()
    expect(page.locator("#conn")).to_have_text("Connected")
    expect(page.locator("#phase")).to_have_text("Waiting for the facilitator to start")
    page.wait_for_timeout(300)  # the state asked for on connecting has arrived
    return context, page, problems


@pytest.mark.parametrize("form", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_twelve_tiles_fit_the_screen(browser, server, world, form) -> None:  # type: ignore[no-untyped-def]
    context, page, problems = _enter(browser, server, world, form)
    page.evaluate(FILL_ROOM)
    page.wait_for_timeout(300)  # the grid lays out on resize observation
    assert page.locator(".tile").count() == 12
    viewport = page.viewport_size
    assert viewport is not None
    controls = page.locator(".controls").bounding_box()
    assert controls is not None and controls["y"] + controls["height"] <= viewport["height"] + 1
    for box in [page.locator(".tile").nth(i).bounding_box() for i in range(12)]:
        assert box is not None
        assert box["y"] >= 0 and box["y"] + box["height"] <= controls["y"]
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        assert box["width"] >= 90, "tiles too small to recognise anyone"
    assert page.evaluate("() => document.documentElement.scrollHeight") <= viewport["height"]
    assert page.get_by_text("This session is not recorded").is_visible()
    name = "phone" if form is PHONE else "laptop"
    shoot(page, f"room-{name}", docs=True)
    assert not problems, problems
    context.close()


def test_reconnecting_state_and_clock_milestones(browser, server, world) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context, page, _ = _enter(browser, server, world, PHONE)
    me = page.evaluate("() => window.roundsRoom.me")
    show = """([me, speaker, left]) => import('/static/roundview.js').then((round) => {
      const now = Date.now() / 1000;
      round.showState({version: 1, server_time: now, controller: me, lead: me, locked: false,
        muted: [], audible: [me], phases: ['Check-in'], template: 'Check-in round', phase: null,
        round: {status: 'running', current: speaker, speaker, up_next: null, turn_length: 120,
          turns: [], deadline: now + left, paused: false, remaining: left, overrun: 0,
          allotted: 120, grace_deadline: null},
        hands: {raised: [], floor: null}},
        {me, nameOf: (id) => id === me ? 'Dr Ada Admin' : 'Ben',
         serverNow: () => Date.now() / 1000});
    })"""
    page.evaluate(show, [me, me, 60.8])
    expect(page.locator("#speaker")).to_have_text("Your turn")
    expect(page.locator("#announce")).to_have_text("You have 1 minute left", timeout=4000)
    expect(page.locator("#clock")).to_have_text(re.compile(r"^0:5\d left$"))
    page.evaluate(show, [me, "ben", 0.8])
    expect(page.locator("#announce")).to_have_text(
        "Ben: Time is up. Finish when you are ready.", timeout=4000
    )
    expect(page.locator("#clock")).to_have_text(re.compile(r"over time$"))
    expect(page.locator("#clock")).to_have_attribute("data-state", "over")

    # The network drops: the banner says so at once; the link rebuilds itself when it is back.
    context.set_offline(True)
    expect(page.locator("#conn")).to_have_text(re.compile("^Reconnecting…"))
    shoot(page, "room-reconnecting-phone")
    context.set_offline(False)
    expect(page.locator("#conn")).to_have_text("Connected", timeout=15_000)
    assert page.evaluate("() => window.roundsRoom.me") == me
    context.close()


def test_controls_work_from_the_keyboard(browser, server, world) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context, page, _ = _enter(browser, server, world, LAPTOP)
    mute = page.get_by_role("button", name="Mute", exact=True)
    mute.focus()
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Unmute", exact=True)).to_be_focused()
    expect(page.locator(".tile[data-you=true] .badges")).to_contain_text("Muted")
    assert page.evaluate(
        "() => document.querySelector('.tile video').srcObject"
        ".getAudioTracks().every(t => !t.enabled)"
    )
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Stop camera")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Start camera")).to_be_visible()
    expect(page.locator(".tile[data-you=true] .badges")).to_contain_text("Camera off")
    page.keyboard.press("Tab")
    audio_only = page.get_by_role("button", name="Audio only")
    expect(audio_only).to_be_focused()
    page.keyboard.press("Enter")
    expect(audio_only).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="Start camera")).to_be_disabled()
    page.keyboard.press("Enter")
    expect(audio_only).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Raise hand")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Leave")).to_be_focused()
    page.keyboard.press("Enter")  # a facilitator is asked: the keyboard is in the dialog
    dialog = page.get_by_role("dialog", name="Leave the room?")
    expect(dialog.get_by_role("button", name="End the session for everyone")).to_be_focused()
    page.keyboard.press("Escape")  # stays
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Leave").focus()
    page.keyboard.press("Enter")
    dialog.get_by_role("button", name="Leave; the session goes on").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/group\?id="))
    context.close()


def test_room_before_the_session_opens_says_so(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    w = make_world(admin_api, "Not yet open group")
    context = new_context(browser, server, PHONE)
    page = context.new_page()
    _, link = w.invite("early")
    doctor_joins(page, link, "Noor")
    agree_and_wait(page, w.gid)
    expect(page.get_by_role("link", name="Enter the room")).to_be_hidden()
    assert w.session is not None
    page.goto(f"/room?session={w.session['id']}")
    expect(page.get_by_role("alert")).to_contain_text("The room is not open yet.")
    expect(page.locator("#conn")).to_have_text("Not connected")
    context.close()


def test_room_without_acknowledged_rules_goes_to_the_lobby(browser, server, world) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context = new_context(browser, server, PHONE)
    page = context.new_page()
    _, link = world.invite("no rules yet")
    doctor_joins(page, link, "Theo")
    assert world.session is not None
    page.goto(f"/room?session={world.session['id']}")
    expect(page).to_have_url(re.compile(r"/lobby\?session="))
    expect(page.get_by_role("heading", name="Before you join: the ground rules")).to_be_visible()
    context.close()
