"""Every page, on a phone and on a laptop: axe-core finds no serious or critical WCAG 2.2 AA
problem, and a screenshot is kept in artifacts/screenshots/ (a few also in docs/screenshots/)."""

from __future__ import annotations

import re

import pytest

from tests.frontend.conftest import (
    FILL_ROOM,
    LAPTOP,
    PHONE,
    Api,
    admin_signs_in,
    axe_check,
    enter_room,
    make_world,
    new_context,
    shoot,
)

pytestmark = pytest.mark.browser
DARK_PHONE = {**PHONE, "color_scheme": "dark"}
FORMS = [
    pytest.param(PHONE, id="phone"),
    pytest.param(LAPTOP, id="laptop"),
    pytest.param(DARK_PHONE, id="phone-dark"),
]


def _name(form: dict[str, object]) -> str:
    return {id(PHONE): "phone", id(LAPTOP): "laptop", id(DARK_PHONE): "phone-dark"}[id(form)]


@pytest.mark.parametrize("form", FORMS)
def test_doctor_pages(browser, server, admin_api: Api, form) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    f = _name(form)
    world = make_world(admin_api, f"Wednesday reflective group ({f})")
    _, link = world.invite("a11y")
    _, expired = world.invite("a11y expired")
    server.sql(
        "UPDATE invites SET expires_at = '2000-01-01 00:00:00.000000' WHERE label = ?",
        "a11y expired",
    )
    # bypass_csp: axe is injected as an inline script, which the pages' CSP (rightly) refuses.
    context = new_context(browser, server, form, bypass_csp=True)
    page = context.new_page()

    page.goto("/")
    expect(page.get_by_text("This device is not in any group yet.")).to_be_visible()
    axe_check(page, "my groups (none)")
    shoot(page, f"mygroups-empty-{f}")

    page.goto(expired)
    expect(page.get_by_role("heading", name="This invite has expired")).to_be_visible()
    axe_check(page, "expired invite")
    shoot(page, f"join-expired-{f}")

    page.goto(link)
    expect(page.get_by_label("The name the group will see")).to_be_visible()
    axe_check(page, "invite")
    shoot(page, f"join-{f}", docs=f == "phone")
    page.get_by_label("The name the group will see").fill("Sam")
    page.get_by_role("button", name="Join the group").click()

    expect(page.get_by_role("heading", name="Check your camera and microphone")).to_be_visible()
    axe_check(page, "device check (before starting)")
    page.get_by_role("button", name="Start the check").click()
    expect(page.locator("#camera-state")).to_have_text("This is how the group will see you.")
    axe_check(page, "device check (running)")
    shoot(page, f"check-{f}", docs=f == "phone")
    page.get_by_role("link", name="Continue").click()

    expect(page.get_by_role("heading", name="Before you join: the ground rules")).to_be_visible()
    axe_check(page, "lobby (ground rules)")
    shoot(page, f"lobby-rules-{f}", docs=f == "phone")
    page.get_by_label("I will keep these ground rules").check()
    page.get_by_role("button", name="Continue to the lobby").click()
    expect(page.locator("#state")).to_have_text(re.compile(r"^The group opens "))
    axe_check(page, "lobby (waiting)")
    shoot(page, f"lobby-{f}", docs=f == "phone")

    page.goto("/")
    expect(page.get_by_role("link", name=re.compile("^Go to the lobby"))).to_be_visible()
    axe_check(page, "my groups")
    shoot(page, f"mygroups-{f}")
    context.close()


@pytest.mark.parametrize("form", FORMS)
def test_facilitator_pages(browser, server, admin_api: Api, form) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    f = _name(form)
    world = make_world(admin_api, f"Thursday Balint group ({f})")
    world.invite("Dr Jo Bloggs, ST1")
    context = new_context(browser, server, form, bypass_csp=True)
    page = context.new_page()

    page.goto("/signin")
    axe_check(page, "sign in")
    shoot(page, f"signin-{f}")
    admin_signs_in(page)
    expect(page.locator("#groups")).to_contain_text(f"Thursday Balint group ({f})")
    axe_check(page, "groups")
    shoot(page, f"groups-{f}")

    page.goto(f"/group?id={world.gid}")
    expect(page.locator("#invite-list")).to_contain_text("Dr Jo Bloggs, ST1")
    expect(page.locator("#member-list")).to_contain_text("Dr Ada Admin")
    axe_check(page, "group")
    shoot(page, f"group-{f}", docs=f == "laptop")
    page.get_by_role("button", name="Create the link").click()
    expect(page.get_by_label("Invite link")).to_have_value(re.compile("/join#"))
    axe_check(page, "group (new link shown)")

    page.get_by_role("link", name="Templates", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Templates of Thursday Balint group ({f})")
    axe_check(page, "templates")
    shoot(page, f"templates-list-{f}")
    page.get_by_role("button", name="Make a copy: Check-in round", exact=True).click()
    expect(page.locator("#editor-heading")).to_have_text("Edit “Check-in round (copy)”")
    axe_check(page, "template editor")
    shoot(page, f"templates-editor-{f}")

    assert world.session is not None
    admin_api.patch(f"/sessions/{world.session['id']}", json={"status": "open"})
    enter_room(page, world.session['id'])
    expect(page.locator(".tile[data-you=true]")).to_be_visible()
    expect(page.locator("#conn")).to_have_text("Connected")
    expect(page.locator("#phase")).to_have_text("Waiting for the facilitator to start")
    page.wait_for_timeout(300)  # the state asked for on connecting has arrived
    axe_check(page, "room (alone)")
    page.evaluate(FILL_ROOM)
    expect(page.locator(".tile")).to_have_count(12)
    axe_check(page, "room (twelve people, a turn running)")
    context.close()


@pytest.mark.parametrize("form", FORMS)
def test_account_pages(browser, server, admin_api: Api, form) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    f = _name(form)
    context = new_context(browser, server, form, bypass_csp=True)
    page = context.new_page()
    admin_signs_in(page)
    page.goto("/accounts")
    expect(page.locator("#accounts")).to_contain_text("Dr Ada Admin")
    axe_check(page, "accounts")
    shoot(page, f"accounts-{f}", docs=f == "laptop")
    create = page.locator("#create-form")
    create.get_by_label("Email address").fill(f"a11y-{f}@trust.example")
    create.get_by_label("Name").fill(f"Dr Alex Access ({f})")
    page.get_by_role("button", name="Create the account").click()
    link = page.get_by_label("Set-password link")
    expect(link).to_have_value(re.compile("/set-password#"))
    axe_check(page, "accounts (new link shown)")
    shoot(page, f"accounts-link-{f}")
    page.get_by_role("button", name=f"Edit Dr Alex Access ({f})").click()
    axe_check(page, "accounts (editing)")

    other = new_context(browser, server, form, bypass_csp=True).new_page()
    other.goto(link.input_value())
    expect(other.get_by_role("heading", name="Set your password")).to_be_visible()
    axe_check(other, "set password")
    shoot(other, f"set-password-{f}")
    other.goto("/set-password#not-a-token")
    expect(other.get_by_role("heading", name="This link does not work")).to_be_visible()
    axe_check(other, "set password (bad link)")
    other.context.close()


@pytest.mark.parametrize("form", FORMS)
def test_audit_page(browser, server, admin_api: Api, form) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    f = _name(form)
    context = new_context(browser, server, form, bypass_csp=True)
    page = context.new_page()
    admin_signs_in(page)
    page.goto("/audit")
    expect(page.locator("#rows tr").first).to_contain_text("sign_in")
    axe_check(page, "audit log")
    shoot(page, f"audit-{f}")
    page.get_by_label("Actor id").fill("not an id")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#status")).to_contain_text("An actor id looks like")
    axe_check(page, "audit log (a bad filter)")
    context.close()
    context.close()


@pytest.mark.parametrize("form", FORMS)
def test_schedule_pages(browser, server, admin_api: Api, form) -> None:  # type: ignore[no-untyped-def]
    """The series editor (with a series, an occurrence opened to change or cancel) and the
    calendar links, on the facilitator's group page and the doctor's."""
    from datetime import timedelta

    from playwright.sync_api import expect

    from tests.frontend.conftest import agree_and_wait, doctor_joins, now

    f = _name(form)
    world = make_world(admin_api, f"Tuesday series group ({f})", session_in_minutes=None)
    _, link = world.invite("a11y series")
    start = (now() + timedelta(days=7)).date()
    admin_api.post(f"/groups/{world.gid}/series", json={
        "frequency": "fortnightly", "start_date": start.isoformat(), "start_time": "12:30",
        "duration_minutes": 60, "skip": [(start + timedelta(weeks=4)).isoformat()]})
    sessions = admin_api.get(f"/groups/{world.gid}/sessions").json()
    admin_api.post(f"/sessions/{sessions[1]['id']}/cancel", json={"reason": "Bank holiday"})
    context = new_context(browser, server, form, bypass_csp=True)
    page = context.new_page()
    admin_signs_in(page)
    page.goto(f"/group?id={world.gid}")
    expect(page.locator("#series-list .series-words")).to_contain_text("Every other")
    page.locator("#session-list > li").first.locator("summary").click()
    page.locator("#calendar").get_by_role(  # the admin's link may exist from another form
        "button", name=re.compile("^Make a (new )?calendar link$")).click()
    expect(page.locator("#calendar").get_by_label("Calendar link")).to_have_value(
        re.compile(r"\.ics$"))
    axe_check(page, "group (series, calendar link)")
    shoot(page, f"group-series-{f}")
    context.close()

    context = new_context(browser, server, form, bypass_csp=True)
    page = context.new_page()
    doctor_joins(page, link, "Sam")
    agree_and_wait(page, world.gid)
    expect(page.locator("#cancelled")).to_contain_text("Bank holiday")
    page.locator("#calendar").get_by_role("button", name="Make a calendar link").click()
    expect(page.locator("#calendar").get_by_label("Calendar link")).to_have_value(
        re.compile(r"\.ics$"))
    axe_check(page, "lobby (cancelled session, calendar link)")
    shoot(page, f"lobby-calendar-{f}")
    context.close()


@pytest.mark.parametrize("form", FORMS)
def test_attendance_pages(browser, server, admin_api: Api, form, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from tests.frontend.attendance_world import doctor_with_attendance

    f = _name(form)
    context = new_context(browser, server, form, bypass_csp=True)
    page = context.new_page()
    doctor_with_attendance(page, server, admin_api, f"Monday group ({f})", f"Dr Kim {f}",
                           {"2026-10-12": 60})
    page.goto("/attendance")
    expect(page.get_by_role("button", name="Download a certificate")).to_be_visible()
    axe_check(page, "my attendance")
    shoot(page, f"attendance-{f}", docs=f == "phone")
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download a certificate").click()
    saved = tmp_path / waiting.value.suggested_filename
    waiting.value.save_as(saved)
    page.goto(saved.as_uri())
    expect(page.get_by_role("heading", name="Certificate of attendance")).to_be_visible()
    axe_check(page, "certificate")
    code = page.locator(".code").inner_text()
    page.goto(f"{server.url}/verify")
    expect(page.get_by_role("heading", name="Check a certificate of attendance")).to_be_visible()
    axe_check(page, "verify (empty)")
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Check the code").click()
    expect(page.get_by_role("heading", name="This certificate is genuine")).to_be_visible()
    axe_check(page, "verify (genuine)")
    shoot(page, f"verify-{f}")
    context.close()
