"""A facilitator's management page: copy a new link, revoke it, change a member's dates, end a
membership, change the ground rules (everyone agrees again), and archive the group.

Members are found by the exact name in their card's heading, never by a piece of a card's text:
"Mo" is also in "Moira" and in another card's "Since Monday 23 November"."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.frontend.conftest import (
    LAPTOP,
    TIMEZONE,
    Api,
    admin_signs_in,
    make_world,
    new_context,
    now,
)

pytestmark = pytest.mark.browser


def member_card(page: Any, name: str) -> Any:
    """The card of the member called exactly `name` (its heading reads "Mo", or "Mo Ended")."""
    exactly = re.compile(rf"^{re.escape(name)}( Ended)?$")
    heading = page.get_by_role("heading", level=3, name=exactly)
    return page.locator("#member-list > li").filter(has=heading)


def test_manage_a_group(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Managed group")
    for name in ("Mo", "Moira"):
        _, link = world.invite(f"joined as {name}")
        with Api(server.url) as doctor:
            doctor.post(
                "/invites/accept", json={"token": link.split("#", 1)[1], "display_name": name}
            )
    # Whatever the day, another card holds "Mo": the facilitator started on last week's Monday.
    today = now(ZoneInfo(TIMEZONE))
    monday = (today - timedelta(days=today.weekday() + 7)).replace(hour=12, minute=0)
    members = admin_api.get(f"/groups/{world.gid}/members").json()
    facilitator = next(m for m in members if m["display_name"] == "Dr Ada Admin")
    admin_api.patch(f"/members/{facilitator['id']}", json={"started_at": monday.isoformat()})
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
    row = invites.locator("li").filter(has=page.get_by_text("Spring rotation", exact=True))
    expect(row.locator(".tag")).to_have_text("Revoked")

    # Mo's membership ends at the end of the rotation; then ends now.
    expect(member_card(page, "Dr Ada Admin")).to_contain_text(f"Since Monday {monday.day} ")
    mo = member_card(page, "Mo")
    expect(mo.get_by_label("Role")).to_have_value("member")
    expect(mo.get_by_label("Role").locator("option[value=facilitator]")).to_be_disabled()
    ends = date(today.year + 2, 2, 4)  # in the future, whenever the test runs
    mo.get_by_label("Ends").fill(ends.isoformat())
    mo.get_by_role("button", name="Save Mo", exact=True).click()
    expect(page.locator("#member-status")).to_have_text("Saved Mo.")
    expect(mo).to_contain_text(f"ends {ends:%A} 4 February")
    mo.get_by_role("button", name="End membership of Mo", exact=True).click()
    expect(page.locator("#member-status")).to_have_text("Mo's membership has ended.")
    expect(mo).to_have_count(0)
    expect(member_card(page, "Moira")).to_have_count(1)
    page.get_by_label("Show ended memberships").check()
    expect(mo.locator(".tag")).to_have_text("Ended")
    expect(member_card(page, "Moira").locator(".tag")).to_have_count(0)

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
