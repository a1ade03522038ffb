"""The schedule in Chromium: a facilitator starts a series from the rule said in plain words,
cancels one occurrence with a reason, and makes a calendar link; the doctor sees the
cancellation and when the lobby opens on their group's page, and makes their own link."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from tests.frontend.conftest import (
    LAPTOP,
    PHONE,
    Api,
    admin_signs_in,
    agree_and_wait,
    doctor_joins,
    make_world,
    new_context,
    now,
    shoot,
)

pytestmark = pytest.mark.browser


def test_series_editor_and_calendar_links(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Series group", session_in_minutes=None)
    _, link = world.invite("Dr Sam")
    context = new_context(browser, server, LAPTOP)
    page = context.new_page()
    admin_signs_in(page)
    page.goto(f"/group?id={world.gid}")

    first = (now() + timedelta(days=7)).date()
    first = first + timedelta(days=(1 - first.weekday()) % 7)  # a Tuesday a week or more ahead
    skipped = first + timedelta(weeks=2)
    page.get_by_label("Repeats").select_option("fortnightly")
    page.get_by_label("Day", exact=True).select_option("TU")
    page.locator("#r-time").fill("12:30")
    page.locator("#r-duration").fill("60")
    page.get_by_label("From", exact=True).fill(first.isoformat())
    page.get_by_label("A date to skip").fill(skipped.isoformat())
    page.get_by_role("button", name="Add this date").click()
    long = lambda d: f"{d.day} {d:%B %Y}"  # noqa: E731
    words = (f"Every other Tuesday at 12:30 for 60 minutes, from {long(first)}, "
             f"skipping {long(skipped)}")
    expect(page.locator("#series-words")).to_have_text(f"{words}.")
    page.get_by_role("button", name="Start the series").click()
    expect(page.locator("#series-status")).to_have_text(f"Started: {words}.")
    expect(page.locator("#series-list .series-words")).to_have_text(words)
    rows = page.locator("#session-list > li")
    expect(rows.first).to_contain_text("60 minutes, part of a series")
    shoot(page, "series-laptop")

    # cancel the first occurrence, with a reason
    rows.first.locator("summary").click()
    rows.first.get_by_label("Why it is cancelled").fill("Rotation change-over week")
    rows.first.get_by_role("button", name="Cancel this session").click()
    expect(page.locator("#session-status")).to_contain_text("Cancelled: ")
    expect(rows.first).to_contain_text("Cancelled: Rotation change-over week")

    # the whole series moves to 13:00; edited occurrences stay
    edit = page.locator("#series-list").get_by_role("button", name="Edit the series")
    edit.click()
    expect(page.get_by_role("heading", name="Edit the series")).to_be_visible()
    page.locator("#r-time").fill("13:00")
    page.get_by_role("button", name="Save the series").click()
    moved = words.replace("12:30", "13:00")
    expect(page.locator("#series-status")).to_have_text(f"Saved: {moved}.")

    # the facilitator's calendar link (the admin is shared by the browser tests: start without)
    if admin_api.get("/account/calendar").json().get("active"):
        admin_api.delete("/account/calendar")
        page.reload()
    calendar = page.locator("#calendar")
    expect(calendar).to_contain_text("You have no calendar link.")
    calendar.get_by_role("button", name="Make a calendar link").click()
    expect(calendar.get_by_label("Calendar link")).to_have_value(re.compile(r"\.ics$"))
    url = calendar.get_by_label("Calendar link").input_value()
    assert url.startswith(server.url + "/api/v1/calendar/") and url.endswith(".ics")
    feed = httpx.get(url)
    assert feed.status_code == 200 and "STATUS:CANCELLED" in feed.text
    assert "Rotation change-over week" in feed.text
    expect(calendar).to_contain_text("You have a calendar link.")
    calendar.get_by_role("button", name="Stop the calendar link").click()
    expect(calendar).to_contain_text("Your calendar link has stopped working.")
    assert httpx.get(url).status_code == 404
    context.close()

    # the doctor: the cancellation, when the lobby opens, and their own calendar link
    phone = new_context(browser, server, PHONE)
    doctor = phone.new_page()
    doctor_joins(doctor, link, "Sam")
    agree_and_wait(doctor, world.gid)
    expect(doctor.locator("#cancelled")).to_contain_text("Rotation change-over week")
    expect(doctor.locator("#opens")).to_have_text(
        "The lobby opens by itself at 12:50, 10 minutes before the start.")
    mine = doctor.locator("#calendar")
    mine.get_by_role("button", name="Make a calendar link").click()
    expect(mine.get_by_label("Calendar link")).to_have_value(re.compile(r"\.ics$"))
    feed = httpx.get(mine.get_by_label("Calendar link").input_value())
    assert feed.status_code == 200 and "Sam" not in feed.text
    assert "SEQUENCE:1" in feed.text
    shoot(doctor, "lobby-calendar-phone")
    phone.close()
