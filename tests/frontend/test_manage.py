"""A facilitator's management page: copy a new link, revoke it, change a member's dates, end a
membership, change the ground rules (everyone agrees again), and archive the group."""

from __future__ import annotations

import re

import pytest

from tests.frontend.conftest import LAPTOP, Api, admin_signs_in, make_world, new_context

pytestmark = pytest.mark.browser


def test_manage_a_group(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Managed group")
    _, link = world.invite("joined")
    with Api(server.url) as doctor:
        doctor.post("/invites/accept", json={"token": link.split("#", 1)[1], "display_name": "Mo"})
    context = new_context(browser, server, LAPTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    admin_signs_in(page)
    page.goto(f"/group?id={world.gid}")

    # A shared link for several people; copied; then revoked.
    page.get_by_label("Who is it for?").fill("Spring rotation")
    page.get_by_label("Shared: for several people").check()
    page.get_by_label("How many people can use it").fill("5")
    page.get_by_role("button", name="Create the link").click()
    page.get_by_role("button", name="Copy the link").click()
    expect(page.locator("#copy-status")).to_have_text("Copied.")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.get_by_label("Invite link").input_value()
    invites = page.locator("#invite-list")
    expect(invites).to_contain_text("Shared, used 0 of 5")
    page.get_by_role("button", name="Revoke the invite for Spring rotation").click()
    expect(page.locator("#invite-status")).to_have_text(
        "The invite for Spring rotation is revoked."
    )
    row = invites.locator("li", has_text="Spring rotation")
    expect(row.locator(".tag")).to_have_text("Revoked")

    # Mo's membership ends at the end of the rotation; then ends now.
    mo = page.locator("#member-list > li", has_text="Mo")
    expect(mo.get_by_label("Role")).to_have_value("member")
    expect(mo.get_by_label("Role").locator("option[value=facilitator]")).to_be_disabled()
    mo.get_by_label("Ends").fill("2031-02-04")
    mo.get_by_role("button", name="Save Mo").click()
    expect(page.locator("#member-status")).to_have_text("Saved Mo.")
    expect(page.locator("#member-list > li", has_text="Mo")).to_contain_text(
        "ends Tuesday 4 February"
    )
    page.locator("#member-list > li", has_text="Mo").get_by_role(
        "button", name="End membership of Mo"
    ).click()
    expect(page.locator("#member-status")).to_have_text("Mo's membership has ended.")
    expect(page.locator("#member-list")).not_to_contain_text("Mo")
    page.get_by_label("Show ended memberships").check()
    expect(page.locator("#member-list > li", has_text="Mo").locator(".tag")).to_have_text("Ended")

    # New ground rules: a new version that everyone agrees to at their next join.
    page.get_by_label("Ground rules").fill("Be kind.\nNothing leaves the room.")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#details-status")).to_contain_text("agree to the new ground rules")
    assert admin_api.get(f"/groups/{world.gid}").json()["ground_rules_version"] == 2

    # Archive: the link stops working and the page says so.
    page.get_by_role("button", name="Archive the group").click()
    expect(page.locator("#archived")).to_be_visible()
    expect(page.locator("#invite-form")).to_be_hidden()
    expect(page.get_by_role("button", name="Archive the group")).to_be_hidden()
    page.goto("/groups")
    expect(page.locator("#groups")).not_to_contain_text("Managed group")
    page.get_by_label("Show archived groups").check()
    expect(page.locator("#groups li", has_text="Managed group")).to_contain_text("Archived")
    page.get_by_role("link", name=re.compile("Manage Managed group")).click()
    expect(page.locator("#archived")).to_be_visible()
    context.close()
