"""The accounts page, in real browsers: an admin creates a facilitator with a one-time
set-password link; the facilitator opens it in their own browser, sets a password, signs in and
sees their group, where they are shown as a co-facilitator (on the group page and in the room);
the admin disables them and they are signed out."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.frontend.conftest import (
    LAPTOP,
    PHONE,
    Api,
    admin_signs_in,
    enter_room,
    make_world,
    new_context,
    watch_console,
)
from tests.frontend.test_room_journey import SMALL_CAMERA

pytestmark = pytest.mark.browser
EMAIL = "sam.patel@trust.example"
NAME = "Dr Sam Patel"
PASSWORD = "a long password Sam chose"


def account_card(page: Any, name: str) -> Any:
    heading = page.get_by_role("heading", level=2, name=re.compile(rf"^{re.escape(name)}\b"))
    return page.locator("#accounts > li").filter(has=heading)


def test_an_admin_makes_a_facilitator_account(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Tuesday Balint group")
    assert world.session is not None
    admin_ctx = new_context(browser, server, LAPTOP)
    admin_ctx.add_init_script(SMALL_CAMERA)
    admin = admin_ctx.new_page()
    admin_problems = watch_console(admin)
    admin.on("dialog", lambda d: d.accept())
    admin_signs_in(admin)
    admin.get_by_role("link", name="Accounts", exact=True).click()
    expect(admin.get_by_role("heading", level=1, name="Accounts")).to_be_visible()

    # The admin creates the account; the link is shown once, to copy.
    create = admin.locator("#create-form")
    create.get_by_label("Email address").fill(EMAIL)
    create.get_by_label("Name").fill(NAME)
    expect(admin.get_by_label("With a password they set themselves", exact=False)).to_be_checked()
    admin.get_by_role("button", name="Create the account").click()
    link_box = admin.get_by_label("Set-password link")
    expect(link_box).to_have_value(re.compile(r"/set-password#[\w-]{40,}$"))
    expect(admin.locator("#new-link")).to_contain_text("Rounds does not send email")
    link = link_box.input_value()
    sam_card = account_card(admin, NAME)
    expect(sam_card).to_contain_text("Has not set a password yet")
    expect(sam_card).to_contain_text(EMAIL)

    # Sam, in their own browser, sets a password from the link and signs in.
    sam_ctx = new_context(browser, server, PHONE)
    sam_ctx.add_init_script(SMALL_CAMERA)
    sam = sam_ctx.new_page()
    sam_problems = watch_console(sam)
    sam.goto(link)
    expect(sam.get_by_role("heading", name="Set your password")).to_be_visible()
    assert sam.url.endswith("/set-password"), sam.url  # the token left the address bar
    expect(sam.get_by_label("Email address")).to_have_value(EMAIL)
    sam.get_by_label("New password").fill("too short")
    sam.get_by_label("The same password again").fill("too short")
    sam.get_by_role("button", name="Set my password").click()
    expect(sam.locator("#password-error")).to_have_text(
        "Choose a password of at least 12 characters."
    )
    sam.get_by_label("New password").fill(PASSWORD)
    sam.get_by_label("The same password again").fill(PASSWORD)
    sam.get_by_role("button", name="Set my password").click()
    expect(sam.get_by_role("heading", name="Your password is set")).to_be_visible()
    sam.get_by_role("link", name="Sign in").click()
    sam.get_by_label("Email address").fill(EMAIL)
    sam.get_by_label("Password").fill(PASSWORD)
    sam.get_by_role("button", name="Sign in").click()
    expect(sam.get_by_role("heading", name="Your groups")).to_be_visible()
    expect(sam.locator("#me")).to_have_text(NAME)
    expect(sam.get_by_role("link", name="Accounts", exact=True)).to_be_hidden()  # not an admin
    sam.goto(link)  # the link works once
    expect(sam.get_by_role("heading", name="This link has already been used")).to_be_visible()

    admin.reload()
    expect(account_card(admin, NAME)).to_contain_text("Signs in with a password.")

    # The admin adds Sam to a group as co-facilitator; both see it so.
    admin.goto(f"/group?id={world.gid}")
    expect(admin.get_by_role("link", name="Create an account")).to_have_attribute(
        "href", "/accounts"
    )
    add = admin.locator("#facilitator-form")
    add.get_by_label("Account").select_option(label=f"{NAME} ({EMAIL})")
    add.get_by_label("Role").select_option("co-facilitator")
    add.get_by_role("button", name="Add", exact=True).click()
    card = admin.locator("#member-list > li").filter(
        has=admin.get_by_role("heading", level=3, name=NAME)
    )
    expect(card).to_contain_text("Co-facilitator, " + EMAIL)
    sam.goto("/groups")
    expect(sam.locator("#groups")).to_contain_text("Tuesday Balint group")

    admin_api.patch(f"/sessions/{world.session['id']}", json={"status": "open"})
    enter_room(admin, str(world.session["id"]))
    expect(admin.locator("#conn")).to_have_text("Connected")
    enter_room(sam, str(world.session["id"]))
    expect(sam.locator("#conn")).to_have_text("Connected")
    person = admin.locator("#facilitate li[data-talk]").filter(has_text=NAME)
    expect(person).to_contain_text("co-facilitator")

    # Disabled: Sam is signed out at once and cannot sign in again.
    sam.goto("/groups")
    admin.goto("/accounts")
    account_card(admin, NAME).get_by_role("button", name=f"Disable {NAME}").click()
    expect(account_card(admin, NAME)).to_contain_text("Disabled")
    expect(admin.locator("#status")).to_have_text(f"{NAME}'s account is disabled.")
    sam.reload()
    expect(sam).to_have_url(re.compile(r"/signin\?next="))
    sam.get_by_label("Email address").fill(EMAIL)
    sam.get_by_label("Password").fill(PASSWORD)
    sam.get_by_role("button", name="Sign in").click()
    expect(sam.locator("#problem")).to_have_text("Wrong email or password")
    assert not admin_problems, admin_problems
    # Expected refusals only: the used link (410), the dead sign-in (401), the wrong one (401).
    assert not [p for p in sam_problems if not re.search(r"status of 4(01|10) ", p)], sam_problems
    sam_ctx.close()
    admin_ctx.close()
