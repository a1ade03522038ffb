"""Links leave nothing behind and lead nowhere else: the invite token leaves the address bar
as soon as the page has read it, and sign-in's `next` stays on this site."""

from __future__ import annotations

import pytest

from tests.frontend.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    LAPTOP,
    PHONE,
    Api,
    make_world,
    new_context,
)

pytestmark = pytest.mark.browser


def test_the_invite_token_leaves_the_address_bar_before_joining(  # type: ignore[no-untyped-def]
    browser, server, admin_api: Api
) -> None:
    from playwright.sync_api import expect

    world = make_world(admin_api, "Hygiene group")
    _, link = world.invite("for a shared ward PC")
    context = new_context(browser, server, PHONE)
    try:
        page = context.new_page()
        page.goto(link)
        expect(page.get_by_label("The name the group will see")).to_be_visible()
        assert "#" not in page.url and link.split("#", 1)[1] not in page.url
    finally:
        context.close()


@pytest.mark.parametrize("target", ["/%5Cevil.example", "//evil.example", "https://evil.example",
                                    "/%2F%2Fevil.example"])
def test_sign_in_never_sends_someone_to_another_site(  # type: ignore[no-untyped-def]
    browser, server, target: str
) -> None:
    from playwright.sync_api import expect

    context = new_context(browser, server, LAPTOP)
    try:
        page = context.new_page()
        page.goto(f"/signin?next={target}")
        page.get_by_label("Email address").fill(ADMIN_EMAIL)
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        expect(page).to_have_url(f"{server.url}/groups")
    finally:
        context.close()
