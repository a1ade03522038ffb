"""Near-peer pairing in real browsers: the lead's scheme page, a senior volunteering and a
junior asking from the scheme's link, the lead pairing them from the proposal and then seeing
only counts, the pair's own page (a meeting, a calendar file), their room with a timer, and
ending the pairing privately. axe on every page; screenshots for the README."""

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


def _doctor(browser, server, link: str, seniority: str, name: str, email: str,  # type: ignore[no-untyped-def]
            specialty: str, site: str, department: str):
    from playwright.sync_api import expect

    context = new_context(browser, server, PHONE, bypass_csp=True)
    context.add_init_script(SMALL_CAMERA)
    page = context.new_page()
    problems = watch_console(page)
    page.goto(link)
    expect(page.get_by_role("heading", name="Foundation near-peer pairs", exact=True)
           ).to_be_visible()
    who = "more senior" if seniority == "senior" else "junior"
    page.get_by_label(re.compile(f"^I am a {who} doctor")).check()
    page.get_by_label(re.compile("^Your name")).fill(name)
    page.get_by_label(re.compile("^Your email")).fill(email)
    page.get_by_label("Specialty", exact=True).fill(specialty)
    page.get_by_label(re.compile("^Site")).fill(site)
    page.get_by_label(re.compile("^Department")).fill(department)
    return context, page, problems


def test_pairing_scheme_match_room_and_private_end(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    lead_ctx = new_context(browser, server, LAPTOP, bypass_csp=True)
    lead = lead_ctx.new_page()
    lead_problems = watch_console(lead)
    admin_signs_in(lead)
    lead.goto("/pairing-schemes")
    lead.get_by_label(re.compile("^Name")).fill("Foundation near-peer pairs")
    lead.get_by_role("button", name="Create the scheme", exact=True).click()
    card = lead.locator("li.card", has=lead.get_by_role(
        "heading", name="Foundation near-peer pairs", exact=True)).last
    expect(card.get_by_text("0 pairs active, 0 ended. Waiting: 0 senior, 0 junior.", exact=True)
           ).to_be_visible()
    link = card.get_by_label(re.compile("^The scheme's link")).input_value()
    axe_check(lead, "pairing schemes")

    senior_ctx, senior, senior_problems = _doctor(
        browser, server, link, "senior", "Dr Priya Shah", "priya@nhs.example", "Medicine",
        "Royal Infirmary", "Cardiology")
    axe_check(senior, "pairing: volunteer")
    senior.get_by_role("button", name="Send", exact=True).click()
    expect(senior).to_have_url(re.compile(r"/pair$"))
    expect(senior.get_by_text(re.compile("^You are waiting to be matched"))).to_be_visible()
    axe_check(senior, "pair: waiting")

    junior_ctx, junior, junior_problems = _doctor(
        browser, server, link, "junior", "Dr Kim Lee", "kim@nhs.example", "Medicine",
        "Royal Infirmary", "Respiratory")
    junior.get_by_role("button", name="Send", exact=True).click()
    expect(junior.get_by_text(re.compile("^You are waiting to be matched"))).to_be_visible()

    lead.reload()
    card = lead.locator("li.card", has=lead.get_by_role(
        "heading", name="Foundation near-peer pairs", exact=True)).last
    proposal = card.locator("li.row", has_text="Dr Priya Shah and Dr Kim Lee")
    expect(proposal).to_contain_text("same specialty, same site")
    card.scroll_into_view_if_needed()
    shoot(lead, "pairing-scheme-laptop", docs=True)
    proposal.get_by_role("button", name="Pair them Dr Priya Shah and Dr Kim Lee",
                         exact=True).click()
    expect(lead.get_by_text(re.compile("^Dr Priya Shah and Dr Kim Lee are paired"))).to_be_visible()
    expect(card.get_by_text("1 pair active, 0 ended. Waiting: 0 senior, 0 junior.", exact=True)
           ).to_be_visible()
    expect(card.get_by_text("Dr Kim Lee")).to_have_count(0)  # the lead sees counts from now on

    junior.reload()
    expect(junior.get_by_role("heading", name="You are paired with Dr Priya Shah")).to_be_visible()
    day = (now(ZoneInfo(TIMEZONE)) + timedelta(days=10)).date()  # neither today nor tomorrow
    shown = f"Your next meeting: {day:%A} {day.day} {day:%B} at 13:00, for 30 minutes."
    junior.get_by_label("Day", exact=True).fill(day.isoformat())
    junior.get_by_label("Time", exact=True).fill("13:00")
    junior.get_by_role("button", name="Save the meeting", exact=True).click()
    expect(junior.locator("#meeting")).to_have_text(shown)
    expect(junior.get_by_role("link", name="Add the meeting to your calendar")).to_be_visible()
    axe_check(junior, "pair: paired")
    junior.evaluate("window.scrollTo(0, 0)")
    shoot(junior, "pair-phone", docs=True)

    senior.reload()
    expect(senior.locator("#meeting")).to_have_text(shown)
    senior.get_by_role("link", name="Go to your room", exact=True).click()
    junior.get_by_role("link", name="Go to your room", exact=True).click()
    for page, other in ((senior, "Dr Kim Lee"), (junior, "Dr Priya Shah")):
        expect(page.locator("#conn")).to_have_text("Connected")
        expect(page.locator(".tile .name", has_text=other)).to_be_visible()
    junior.get_by_label("Timer (minutes)").fill("20")
    junior.get_by_role("button", name="Start the timer", exact=True).click()
    expect(junior.locator("#timer-left")).to_have_text(re.compile(r"^(20:00|19:5\d)$"))
    axe_check(junior, "pair room")
    shoot(junior, "pair-room-phone", docs=True)

    junior.get_by_role("button", name="Leave", exact=True).click()
    expect(junior).to_have_url(re.compile(r"/pair$"))
    junior.once("dialog", lambda d: d.accept())
    junior.get_by_role("button", name="End the pairing", exact=True).click()
    expect(junior.get_by_text(re.compile("^This pairing has ended"))).to_be_visible()
    expect(senior.get_by_text("This pairing has ended.", exact=True)).to_be_visible()
    senior.goto("/pair")
    expect(senior.get_by_text(re.compile("^This pairing has ended"))).to_be_visible()
    lead.reload()
    card = lead.locator("li.card", has=lead.get_by_role(
        "heading", name="Foundation near-peer pairs", exact=True)).last
    expect(card.get_by_text("0 pairs active, 1 ended. Waiting: 0 senior, 0 junior.", exact=True)
           ).to_be_visible()
    lead.once("dialog", lambda d: d.accept())
    card.get_by_role("button", name="Delete the scheme Foundation near-peer pairs",
                     exact=True).click()
    expect(lead.get_by_text("Foundation near-peer pairs is deleted.", exact=True)).to_be_visible()
    for problems in (lead_problems, senior_problems, junior_problems):
        assert not [p for p in problems if "404" not in p], problems
    for context in (senior_ctx, junior_ctx, lead_ctx):
        context.close()
