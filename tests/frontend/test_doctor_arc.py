"""A doctor's arc across visits, in Chromium (issue 11, items 3, 5, 6 and 10): the lobby of an
ended session thanks them and keeps them on their group's page; an invite opened again on the
same device says they are already in; a reload or Back on the invite page still works while a
truncated link still says so; "Forget this device" ends the membership, as leaving does."""

from __future__ import annotations

import re

import pytest

from tests.frontend.conftest import (
    LAPTOP,
    PHONE,
    agree_and_wait,
    doctor_joins,
    make_world,
    new_context,
    watch_console,
)

pytestmark = pytest.mark.browser

THANKS = "This session has ended. Thank you for coming."


def test_the_lobby_of_an_ended_session_thanks_the_doctor(browser, server, admin_api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Ended session group")
    assert world.session is not None
    sid = world.session["id"]
    _, link = world.invite("for Ola")
    context = new_context(browser, server, PHONE)
    page = context.new_page()
    problems = watch_console(page)
    doctor_joins(page, link, "Ola")
    admin_api.patch(f"/sessions/{sid}", json={"status": "open"})
    agree_and_wait(page, world.gid)
    admin_api.patch(f"/sessions/{sid}", json={"status": "ended"})
    following = admin_api.post(
        f"/groups/{world.gid}/sessions",
        json={"scheduled_start": world.session["scheduled_start"], "title": "Next time"},
    ).json()

    # What the room's Leave opens, once the session has ended.
    page.goto(f"/lobby?session={sid}&left=1")
    expect(page.locator("#thanks")).to_have_text(THANKS)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ended session group")
    expect(page).to_have_url(re.compile(rf"/lobby\?group={world.gid}$"))
    expect(page.locator("#problem")).to_be_hidden()
    expect(page.get_by_text("This device is not in this group", exact=True)).to_have_count(0)
    expect(page.locator("#who")).to_have_text("You will appear as Ola.")
    expect(page.locator("#session")).to_have_text("Next time")
    expect(page.get_by_role("link", name="Enter the room", exact=True)).to_be_hidden()

    # The group's next session opens: its ground rules are asked for again, then they go in.
    admin_api.patch(f"/sessions/{following['id']}", json={"status": "open"})
    page.reload()
    expect(page.get_by_role("heading", name="Before you join: the ground rules")).to_be_visible()
    page.get_by_label("I will keep these ground rules").check()
    page.get_by_role("button", name="Continue to the lobby", exact=True).click()
    expect(page.locator("#state")).to_have_text(
        "Waiting for the facilitator to let you in. They can see that you are here."
    )
    assert not [p for p in problems if "Error" in p], problems
    context.close()


def test_an_invite_opened_again_on_the_same_device_goes_to_the_group(  # type: ignore[no-untyped-def]
    browser, server, admin_api
) -> None:
    from playwright.sync_api import expect

    world = make_world(admin_api, "Shared link group")
    invite_id, link = world.invite("the ward's link", kind="group", max_uses=10)
    context = new_context(browser, server, LAPTOP)
    page = context.new_page()
    doctor_joins(page, link, "Ben")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You are already in Shared link group"
    )
    expect(page.locator("#already-who")).to_have_text(
        "This device joined as Ben. You do not need the link again."
    )
    expect(page.get_by_role("button", name="Join the group", exact=True)).to_be_hidden()
    page.get_by_role("link", name="Go to your group", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/lobby\?group={world.gid}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Shared link group")

    invites = admin_api.get(f"/groups/{world.gid}/invites").json()
    assert [i["uses"] for i in invites if i["id"] == invite_id] == [1]
    members = admin_api.get(f"/groups/{world.gid}/members").json()
    assert [m["display_name"] for m in members if m["role"] == "member"] == ["Ben"]
    page.goto("/")
    expect(page.locator("#groups > li")).to_have_count(1)
    expect(page.get_by_role("heading", level=2, name="Shared link group")).to_be_visible()
    context.close()


def test_reload_and_back_on_the_invite_page_keep_the_link(browser, server, admin_api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Reloaded link group")
    _, link = world.invite("for Cat")
    context = new_context(browser, server, PHONE)
    page = context.new_page()
    page.goto(link)
    invited = "You are invited to Reloaded link group"
    expect(page.get_by_role("heading", level=1)).to_have_text(invited)
    expect(page).to_have_url(re.compile(r"/join$"))  # the token left the address bar
    page.reload()  # as a phone does to a tab in the background
    expect(page.get_by_role("heading", level=1)).to_have_text(invited)
    page.get_by_label("The name the group will see").fill("Cat")
    page.get_by_role("button", name="Join the group", exact=True).click()
    expect(page).to_have_url(re.compile(r"/check\?group="))
    page.go_back()  # the used link is gone from the tab; the page knows the group it joined
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You are already in Reloaded link group"
    )

    # A link copied incompletely still says so, and a reload does not hide it.
    other = new_context(browser, server, PHONE)
    broken = other.new_page()
    broken.goto(link[:-6])
    expect(broken.get_by_role("heading", level=1)).to_have_text("This link does not work")
    broken.reload()
    expect(broken.get_by_role("heading", level=1)).to_have_text("This link does not work")
    other.close()
    context.close()


def test_forget_this_device_ends_the_membership(browser, server, admin_api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Forgetting group")
    _, link = world.invite("for Dee")
    context = new_context(browser, server, PHONE)
    page = context.new_page()
    doctor_joins(page, link, "Dee")
    page.goto("/")
    expect(page.get_by_role("heading", level=2, name="Forgetting group")).to_be_visible()
    asked: list[str] = []

    def answer(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    page.get_by_role("button", name="Forget this device", exact=True).click()
    expect(page.locator("#status")).to_have_text(
        "This device has forgotten you and you have left your groups. To join again, ask your "
        "facilitator for a new link."
    )
    assert asked and "your facilitator will see that you left" in asked[0]
    members = admin_api.get(f"/groups/{world.gid}/members?include_ended=true").json()
    dee = [m for m in members if m["display_name"] == "Dee"]
    assert len(dee) == 1 and dee[0]["ended_at"] is not None
    current = admin_api.get(f"/groups/{world.gid}/members").json()
    assert "Dee" not in [m["display_name"] for m in current]
    context.close()
