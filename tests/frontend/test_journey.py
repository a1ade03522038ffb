"""The whole path through the pages: an admin makes a group, a session and an invite; a doctor
on a phone opens the link, joins with a name, checks their devices, agrees to the ground rules,
waits in the lobby, is let in by the facilitator and reaches the room (connected); the facilitator
enters it too. The live round with several people is tests/frontend/test_room_journey.py."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.frontend.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    LAPTOP,
    PHONE,
    TIMEZONE,
    enter_room,
    new_context,
    now,
    shoot,
    watch_console,
)

pytestmark = pytest.mark.browser


def test_admin_creates_group_and_invite_then_doctor_joins_on_a_phone(browser, server) -> None:
    from playwright.sync_api import expect

    admin_ctx = new_context(browser, server, LAPTOP)
    admin = admin_ctx.new_page()
    admin_problems = watch_console(admin)

    # The admin signs in and lands on their groups.
    admin.goto("/groups")
    expect(admin).to_have_url(re.compile(r"/signin\?next="))
    admin.get_by_label("Email address").fill(ADMIN_EMAIL)
    admin.get_by_label("Password").fill(ADMIN_PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    expect(admin.get_by_role("heading", name="Your groups")).to_be_visible()

    # Creates a group (admins only), which opens its page.
    admin.get_by_label("Name", exact=True).fill("Tuesday Balint group")
    admin.get_by_label("Cohort").fill("Foundation year 1")
    admin.get_by_label("Description").fill("Protected time on Tuesdays, for FY1 doctors.")
    admin.get_by_role("button", name="Create the group").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Tuesday Balint group")
    group_url = admin.url

    # Schedules a session two hours from now (London time, like the browser).
    start = (now() + timedelta(hours=2)).astimezone(ZoneInfo(TIMEZONE))
    one_off = admin.get_by_role("region", name="Sessions")  # (the series form has its own)
    one_off.get_by_label("Date", exact=True).fill(start.strftime("%Y-%m-%d"))
    one_off.get_by_label("Start time").fill(start.strftime("%H:%M"))
    one_off.get_by_label("Title").fill("Check-in and Balint case")
    admin.get_by_role("button", name="Schedule").click()
    hhmm = start.strftime("%H:%M")
    sessions = admin.locator("#session-list")
    expect(sessions).to_contain_text(f"at {hhmm}, Check-in and Balint case")
    expect(sessions).to_contain_text("Scheduled")

    # Creates a personal invite and sees its link once.
    admin.get_by_label("Who is it for?").fill("Dr Sam Patel, FY1")
    admin.get_by_role("button", name="Create the link").click()
    link_box = admin.get_by_label("Invite link")
    expect(link_box).to_have_value(re.compile(r"/join#.{20,}"))
    link = link_box.input_value()
    expect(admin.locator("#invite-list")).to_contain_text("Dr Sam Patel, FY1")
    expect(admin.locator("#invite-list")).to_contain_text("used 0 of 1")
    shoot(admin, "journey-group-laptop")

    # The doctor opens the link on a phone.
    doc_ctx = new_context(browser, server, PHONE)
    doctor = doc_ctx.new_page()
    doctor_problems = watch_console(doctor)
    doctor.goto(link)
    expect(doctor.get_by_role("heading", level=1)).to_have_text(
        "You are invited to Tuesday Balint group"
    )
    expect(doctor.locator("#next")).to_contain_text(hhmm)
    expect(doctor.locator("#rules")).to_contain_text("confidentiality")
    shoot(doctor, "journey-join-phone")
    doctor.get_by_label("The name the group will see").fill("Sam")
    doctor.get_by_role("button", name="Join the group").click()

    # The device check: camera preview, microphone level, test tone.
    expect(doctor).to_have_url(re.compile(r"/check\?group="))
    assert "#" not in doctor.url
    doctor.get_by_role("button", name="Start the check").click()
    expect(doctor.locator("#camera-state")).to_have_text("This is how the group will see you.")
    doctor.wait_for_function("() => document.getElementById('preview').videoWidth > 0")
    doctor.wait_for_function("() => document.getElementById('level').value > 0.05", timeout=10_000)
    doctor.get_by_role("button", name="Play a test sound").click()
    expect(doctor.locator("#tone-state")).to_contain_text("Did you hear a chime?")
    shoot(doctor, "journey-check-phone")
    doctor.get_by_role("link", name="Continue").click()

    # Agrees to the ground rules, then waits in the lobby.
    expect(doctor).to_have_url(re.compile(r"/lobby\?group="))
    expect(doctor.get_by_role("heading", level=1)).to_have_text("Tuesday Balint group")
    doctor.get_by_role("button", name="Continue to the lobby").click()
    expect(doctor.locator("#agree-error")).to_have_text(
        "Tick the box to agree to the ground rules."
    )
    doctor.get_by_label("I will keep these ground rules").check()
    doctor.get_by_role("button", name="Continue to the lobby").click()
    expect(doctor.locator("#state")).to_have_text(
        f"The group opens today at {hhmm}."
        if start.date() == now(ZoneInfo(TIMEZONE)).date()
        else f"The group opens tomorrow at {hhmm}."
    )
    expect(doctor.locator("#who")).to_have_text("You will appear as Sam.")
    expect(doctor.get_by_role("link", name="Enter the room")).to_be_hidden()
    shoot(doctor, "journey-lobby-phone")

    # The facilitator opens the lobby: the doctor asks to come in and waits to be let in.
    admin.get_by_role("button", name=re.compile("^Open the lobby")).click()
    expect(sessions).to_contain_text("Lobby open")
    doctor.reload()
    expect(doctor.locator("#state")).to_have_text(
        "Waiting for the facilitator to let you in. They can see that you are here."
    )
    expect(doctor.locator("#problem")).to_be_hidden()
    shoot(doctor, "journey-lobby-waiting-phone")

    # The facilitator sees Sam waiting and lets them in; Sam's lobby takes them to the room.
    expect(sessions).to_contain_text("Sam is waiting", timeout=10_000)
    admin.get_by_role("button", name="Let Sam in").click()
    expect(admin.locator("#session-status")).to_have_text("Sam has been let in.")
    expect(doctor).to_have_url(re.compile(r"/room\?session="), timeout=10_000)
    expect(doctor.get_by_text("This session is not recorded")).to_be_visible()
    expect(doctor.locator("#title")).to_have_text("Tuesday Balint group: Check-in and Balint case")
    expect(doctor.locator(".tile[data-you=true] .name")).to_have_text("Sam (you)")
    expect(doctor.locator("#conn")).to_have_text("Connected")
    expect(doctor.locator("#problem")).to_be_hidden()
    shoot(doctor, "journey-room-phone")

    # Leaving goes to the lobby without walking straight back in; "Go back in" does.
    doctor.get_by_role("button", name="Leave").click()
    expect(doctor.locator("#state")).to_have_text(
        "You have left the room. You can go back in while the session is open."
    )
    doctor.get_by_role("link", name="Go back in").click()
    expect(doctor).to_have_url(re.compile(r"/room\?session="))
    expect(doctor.locator(".tile[data-you=true] .name")).to_have_text("Sam (you)")

    # The facilitator goes into the room from the group page, agreeing to the ground rules too.
    admin.get_by_role("link", name=re.compile("^Enter the room")).click()
    enter_room(admin)
    expect(admin).to_have_url(re.compile(r"/room\?session="))
    expect(admin.get_by_text("This session is not recorded")).to_be_visible()
    expect(admin.locator("#title")).to_have_text("Tuesday Balint group: Check-in and Balint case")
    expect(admin.locator(".tile[data-you=true] .name")).to_have_text("Dr Ada Admin (you)")
    expect(admin.locator("#conn")).to_have_text("Connected")
    expect(admin.locator('.tile[data-you=false] .name')).to_have_text("Sam")  # Sam went back in
    expect(admin.locator("#problem")).to_be_hidden()
    admin.get_by_role("button", name="Leave").click()
    admin.goto(group_url)

    # A returning doctor's "My groups".
    doctor.goto("/")
    expect(doctor.get_by_role("heading", level=2, name="Tuesday Balint group")).to_be_visible()
    expect(doctor.get_by_text("You appear as Sam.")).to_be_visible()
    shoot(doctor, "journey-mygroups-phone")

    # The link is used up: the invite list says so.
    admin.reload()
    expect(admin.locator("#invite-list")).to_contain_text("used 1 of 1")
    expect(admin.locator("#invite-list .tag")).to_have_text("Used")
    members = admin.locator("#member-list")
    expect(members.get_by_role("heading", name="Sam", exact=True)).to_be_visible()

    assert not [p for p in admin_problems + doctor_problems if "Refused" in p or "Error" in p], (
        admin_problems + doctor_problems
    )
    doc_ctx.close()
    admin_ctx.close()


def test_joining_with_the_keyboard_only(browser, server, admin_api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from tests.frontend.conftest import make_world

    world = make_world(admin_api, "Keyboard group")
    _, link = world.invite("keyboard")
    context = new_context(browser, server, LAPTOP)
    page = context.new_page()
    page.goto(link)
    expect(page.get_by_role("button", name="Join the group")).to_be_enabled()
    page.keyboard.press("Tab")
    expect(page.get_by_label("The name the group will see")).to_be_focused()
    page.keyboard.type("Ife")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/check\?group="))
    expect(page.get_by_role("button", name="Start the check")).to_be_enabled()  # script loaded
    page.keyboard.press("Tab")  # the audio-only box
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Start the check")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#camera-state")).to_have_text("This is how the group will see you.")
    context.close()
