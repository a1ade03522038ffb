"""The templates page: a facilitator copies the Balint case, shortens the push-back, sees why a
plan with push-back before the presentation is refused, saves, makes the
copy the group's default, and the group page names it; deleting the copy clears the default."""

from __future__ import annotations

import pytest

from tests.frontend.conftest import LAPTOP, Api, admin_signs_in, make_world, new_context, shoot

pytestmark = pytest.mark.browser

NO_DEFAULT = "No default plan: when you go live, you choose the plan from the group's templates."
STARTING = ("Open the lobby: doctors can arrive and wait; you let them in. "
            "Go live: the room opens and you choose the plan there.")


def test_edit_a_copy_and_make_it_the_default(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Templates group")
    context = new_context(browser, server, LAPTOP)
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    admin_signs_in(page)
    page.goto(f"/group?id={world.gid}")
    expect(page.locator("#default-plan-text")).to_have_text(NO_DEFAULT)
    expect(page.locator("#session-list p.hint")).to_have_text(STARTING)
    page.get_by_role("link", name="Templates", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Templates of Templates group")
    balint = page.locator("#template-list > li").filter(
        has=page.get_by_role("heading", level=3, name="Balint case Built-in", exact=True))
    expect(balint.locator("p.muted")).to_have_text("50 minutes in all, 6 phases")
    page.get_by_role("button", name="Make a copy: Balint case", exact=True).click()
    expect(page.locator("#status")).to_have_text("Copied as “Balint case (copy)”. Change it below.")
    expect(page.locator("#editor-heading")).to_have_text("Edit “Balint case (copy)”")

    push_back = page.get_by_role("group", name="Phase 4", exact=True)
    expect(push_back.get_by_label("Title", exact=True)).to_have_value("Push-back")
    expect(push_back.get_by_label("What happens", exact=True)).to_have_value("discussion")
    push_back.get_by_label("Minutes", exact=True).fill("20")
    expect(page.locator("#total")).to_have_text("45 minutes in all")

    # Push-back before the presentation: the server refuses the plan and says why.
    page.get_by_role("button", name="Move up: phase 4, Push-back", exact=True).click()
    page.get_by_role("button", name="Move up: phase 3, Push-back", exact=True).click()
    page.get_by_role("button", name="Save the template", exact=True).click()
    expect(page.locator("#editor-problem")).to_have_text(
        "Not saved. Phase 2 ('Push-back') needs a presenter: put a presentation phase before it.")
    page.get_by_role("button", name="Move down: phase 2, Push-back", exact=True).click()
    page.get_by_role("button", name="Move down: phase 3, Push-back", exact=True).click()
    page.get_by_role("button", name="Save the template", exact=True).click()
    expect(page.locator("#status")).to_have_text("“Balint case (copy)” is saved.")
    expect(page.locator("#editor-problem")).to_be_hidden()
    copy = page.locator("#template-list > li").filter(
        has=page.get_by_role("heading", level=3, name="Balint case (copy)", exact=True))
    expect(copy.locator("p.muted")).to_have_text("45 minutes in all, 6 phases")
    expect(copy.locator("ol > li").nth(3)).to_have_text("Push-back – Discussion, 20 minutes")
    page.get_by_role("group", name="Phase 4", exact=True).evaluate("e => e.scrollIntoView()")
    shoot(page, "templates", docs=True)

    page.get_by_role("button", name="Use as this group's default: Balint case (copy)",
                     exact=True).click()
    expect(page.locator("#status")).to_have_text("“Balint case (copy)” is now the default plan.")
    expect(page.locator("#default-line")).to_have_text(
        "Balint case (copy), 45 minutes. It is offered first when a session goes live.")
    expect(page.locator("#template-list > li").first.get_by_role("heading", level=3)).to_have_text(
        "Balint case (copy) Default plan")

    page.get_by_role("link", name="Back to the group", exact=True).click()
    expect(page.locator("#default-plan-text")).to_have_text(
        "Default plan: Balint case (copy), 45 minutes. It is offered first when you go live.")

    page.get_by_role("link", name="Templates", exact=True).click()
    page.get_by_role("button", name="Delete: Balint case (copy)", exact=True).click()
    expect(page.locator("#status")).to_have_text("“Balint case (copy)” is deleted.")
    expect(page.locator("#default-line")).to_have_text(
        "None yet: when a session goes live you choose its plan from these templates.")
    assert not any(t["default"] for t in admin_api.get(f"/groups/{world.gid}/templates").json())
    context.close()
