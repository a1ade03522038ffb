"""Links that no longer work say why, in plain words, and offer no form."""

from __future__ import annotations

import pytest

from tests.frontend.conftest import LAPTOP, PHONE, Api, make_world, new_context, shoot

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    context = new_context(browser, server, PHONE)
    yield context.new_page()
    context.close()


def _expect_refused(page, link: str, title: str, words: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("alert")).to_contain_text(words)
    expect(page.get_by_label("The name the group will see")).to_be_hidden()


def test_expired_link(page, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    world = make_world(admin_api, "Expired link group")
    invite_id, link = world.invite("will expire")
    server.sql(
        "UPDATE invites SET expires_at = '2000-01-01 00:00:00.000000' WHERE label = ?",
        "will expire",
    )
    assert admin_api.get(f"/groups/{world.gid}/invites").json()[0]["status"] == "expired"
    _expect_refused(page, link, "This invite has expired", "Ask your facilitator for a new link.")
    shoot(page, "join-expired-phone", docs=True)


def test_revoked_link(page, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    world = make_world(admin_api, "Revoked link group")
    invite_id, link = world.invite("revoked")
    admin_api.post(f"/invites/{invite_id}/revoke")
    _expect_refused(
        page, link, "This invite has been withdrawn", "Your facilitator has cancelled this link."
    )


def test_used_link(page, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    world = make_world(admin_api, "Used link group")
    _, link = world.invite("used once")
    with Api(server.url) as other_browser:
        other_browser.post(
            "/invites/accept", json={"token": link.split("#", 1)[1], "display_name": "Alex"}
        )
    _expect_refused(
        page, link, "This invite has already been used", "Each personal link works once."
    )


def test_archived_group(page, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    world = make_world(admin_api, "Archived group")
    _, link = world.invite("before archiving")
    admin_api.post(f"/groups/{world.gid}/archive")
    _expect_refused(page, link, "This group has closed", "no longer meets")


def test_unknown_and_incomplete_links(page, server) -> None:  # type: ignore[no-untyped-def]
    _expect_refused(
        page,
        f"{server.url}/join#not-a-real-token-at-all",
        "This link does not work",
        "copied incompletely",
    )
    _expect_refused(page, f"{server.url}/join", "This link does not work", "Open the whole link")


def test_a_used_link_on_the_device_that_used_it_goes_to_the_group(
    browser, server, admin_api: Api
) -> None:
    from playwright.sync_api import expect

    world = make_world(admin_api, "Second visit group")
    _, link = world.invite("second visit")
    context = new_context(browser, server, LAPTOP)
    page = context.new_page()
    page.goto(link)
    page.get_by_label("The name the group will see").fill("Priya")
    page.get_by_role("button", name="Join the group").click()
    expect(page).to_have_url(__import__("re").compile(r"/check"))
    page.goto(link)  # used up, but by this device: it is in the group, not refused
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You are already in Second visit group"
    )
    page.get_by_role("link", name="Go to your group", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Second visit group")
    page.get_by_role("link", name="My groups", exact=True).click()
    expect(page.get_by_role("heading", level=2, name="Second visit group")).to_be_visible()

    # Forget this device: the groups and the remembered name go.
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Forget this device").click()
    expect(page.get_by_role("status").filter(has_text="forgotten")).to_be_visible()
    page.reload()
    expect(page.get_by_text("This device is not in any group yet.")).to_be_visible()
    assert page.evaluate("() => localStorage.getItem('rounds.name')") is None
    context.close()
