"""Issue 13: the facilitator's group page shows who came (date, names, minutes), and offers to
email a personal invite only when the service sends email."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from tests.frontend.conftest import LAPTOP, Api, admin_signs_in, make_world, new_context

pytestmark = pytest.mark.browser


def test_who_came_and_no_email_field_without_email(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Who came group", session_in_minutes=None)
    _, link = world.invite("Ana")
    token = link.split("#", 1)[1]
    ana = Api(server.url)
    joined = ana.post("/invites/accept", json={"token": token, "display_name": "Ana"}).json()
    context = new_context(browser, server, LAPTOP)
    page = context.new_page()
    admin_signs_in(page)
    page.goto(f"/group?id={world.gid}")
    expect(page.get_by_role("heading", name="Who came", exact=True)).to_be_visible()
    expect(page.get_by_text("Nobody has come to a session yet.", exact=True)).to_be_visible()
    expect(page.get_by_label("Email it to")).to_be_hidden()  # this server sends no email

    # what the live session's task records when Ana is in the room: the date and minutes only
    server.sql("INSERT INTO attendance (id, member_id, group_id, on_date, minutes, created_at) "
               "VALUES (?, ?, ?, ?, ?, ?)", uuid.uuid4().hex, uuid.UUID(joined["member_id"]).hex,
               uuid.UUID(world.gid).hex, date(2026, 11, 24).isoformat(), 55,
               "2026-11-24 13:30:00")
    page.reload()
    expect(page.locator("#attendance-list")).to_contain_text("Tuesday 24 November")
    expect(page.locator("#attendance-list")).to_contain_text("1 came: Ana (55 min)")
    ana.close()
    context.close()
