"""Drop-in peer rooms in real browsers: the admin's network page, a doctor dropping in from the
network's link (a name, the ground rules, waiting), the host letting them in and asking them to
leave, and the room closing. axe on every page; screenshots for the README."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.frontend.conftest import (
    LAPTOP,
    PHONE,
    TIMEZONE,
    Api,
    admin_signs_in,
    axe_check,
    new_context,
    now,
    shoot,
    watch_console,
)
from tests.frontend.test_room_journey import SMALL_CAMERA

pytestmark = pytest.mark.browser


def _network(api: Api) -> tuple[dict[str, str], dict[str, str]]:
    """A network with one room whose opening began a few minutes ago, the admin its host."""
    me = api.get("/auth/me").json()
    network = api.post("/peer-networks", json={"name": "Tea and Empathy, North",
                                               "scope": "regional", "region": "North"}).json()
    start = now(ZoneInfo(TIMEZONE)) - timedelta(minutes=5)
    room = api.post(f"/peer-networks/{network['id']}/rooms", json={
        "name": "Lunchtime listening room", "start_date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"), "timezone": TIMEZONE,
        "duration_minutes": 60}).json()
    api.post(f"/peer-networks/{network['id']}/hosts", json={"account_id": me["id"]})
    return network, room


def test_drop_in_from_the_link_let_in_and_asked_to_leave(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    network, room = _network(admin_api)
    # bypass_csp: axe is injected as an inline script, which the pages' CSP (rightly) refuses.
    host_ctx = new_context(browser, server, LAPTOP, bypass_csp=True)
    host_ctx.add_init_script(SMALL_CAMERA)
    host = host_ctx.new_page()
    host_problems = watch_console(host)
    admin_signs_in(host)
    host.goto("/networks")
    card = host.locator("li.card", has=host.get_by_role("heading", name="Tea and Empathy, North",
                                                        exact=True)).last
    expect(card.locator("strong", has_text="Lunchtime listening room")).to_be_visible()
    expect(card.get_by_role("link", name="Host this room Lunchtime listening room", exact=True)
           ).to_be_visible()
    link = card.get_by_label("The network's link").input_value()
    assert link.endswith(network["link"])
    axe_check(host, "networks")
    card.scroll_into_view_if_needed()
    shoot(host, "networks", docs=True)

    doc_ctx = new_context(browser, server, PHONE, bypass_csp=True)
    doc_ctx.add_init_script(SMALL_CAMERA)
    doc = doc_ctx.new_page()
    doc_problems = watch_console(doc)
    doc.goto(link)
    expect(doc.get_by_role("heading", name="Tea and Empathy, North", exact=True)).to_be_visible()
    assert "#" not in doc.url  # the key leaves the address bar at once
    expect(doc.get_by_label(re.compile("^Lunchtime listening room"))).to_be_checked()
    axe_check(doc, "drop-in: choose")
    doc.get_by_role("button", name="Continue", exact=True).click()
    expect(doc.get_by_text("Give a name the others will see.", exact=True)).to_be_visible()
    doc.get_by_label(re.compile("^Your name in the room")).fill("Samwise Okafor")
    expect(doc.get_by_text("Give a name the others will see.", exact=True)).to_be_hidden()
    doc.get_by_role("button", name="Continue", exact=True).click()
    expect(doc.get_by_role("heading", name="Before you join: the ground rules")).to_be_visible()
    doc.get_by_role("button", name="Ask to come in", exact=True).click()
    expect(doc.get_by_text("Tick the box to agree to the ground rules.", exact=True)
           ).to_be_visible()
    doc.get_by_label("I will keep these ground rules").check()
    axe_check(doc, "drop-in: ground rules")
    shoot(doc, "drop-in-phone", docs=True)
    doc.get_by_role("button", name="Ask to come in", exact=True).click()
    expect(doc.locator("#state")).to_have_text(
        "Waiting for a host to let you in. They can see that you are here.")
    axe_check(doc, "drop-in: waiting")

    host.goto(f"/drop-in-room?room={room['id']}")
    expect(host.locator("#conn")).to_have_text("Connected")
    waiting = host.locator("#waiting li", has_text="Samwise Okafor")
    expect(waiting).to_be_visible()
    axe_check(host, "drop-in room: host")
    shoot(host, "drop-in-host-laptop", docs=True)
    waiting.get_by_role("button", name="Let in Samwise Okafor", exact=True).click()

    expect(doc).to_have_url(re.compile(r"/drop-in-room$"))
    expect(doc.locator("#conn")).to_have_text("Connected")
    expect(doc.locator("#title")).to_have_text("Tea and Empathy, North")
    expect(doc.locator(".tile .name", has_text="Dr Ada Admin")).to_be_visible()
    expect(host.locator("#inside li", has_text="Samwise Okafor")).to_be_visible()
    expect(host.locator(".tile .name", has_text="Samwise Okafor")).to_be_visible()
    axe_check(doc, "drop-in room: visitor")
    shoot(doc, "drop-in-room-phone", docs=True)
    # nothing of the visit is left in the doctor's tab
    assert doc.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('rounds.dropin'))"
                        ) == ["rounds.dropin.key"]

    host.locator("#inside li", has_text="Samwise Okafor").get_by_role(
        "button", name="Ask to leave Samwise Okafor", exact=True).click()
    expect(doc.get_by_text("The host has asked you to leave this room.", exact=True)
           ).to_be_visible()
    expect(host.locator(".tile .name", has_text="Samwise Okafor")).to_have_count(0)
    expect(host.locator("#inside li")).to_have_count(0)
    expect(host.get_by_text("Nobody else is in the room.", exact=True)).to_be_visible()
    # the page cannot come back in: its grant is refused at the door and its visit is gone
    assert doc.evaluate("globalThis.roundsRoom.over") is True

    host.once("dialog", lambda d: d.accept())
    host.get_by_role("button", name="Close the room for everyone", exact=True).click()
    expect(host.get_by_text("The room has closed. Thank you for coming.", exact=True)
           ).to_be_visible()
    host.goto("/networks")
    card = host.locator("li.card", has=host.get_by_role("heading", name="Tea and Empathy, North",
                                                        exact=True)).last
    host.once("dialog", lambda d: d.accept())
    card.get_by_role("button", name="Delete the network Tea and Empathy, North",
                     exact=True).click()
    expect(host.get_by_text("Tea and Empathy, North is deleted.", exact=True)).to_be_visible()
    assert not doc_problems, doc_problems
    assert not host_problems, host_problems
    doc_ctx.close()
    host_ctx.close()
