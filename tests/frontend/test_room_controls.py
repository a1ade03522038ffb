"""The facilitator's controls in the room, in real browsers: the hand queue and the floor, pause,
resume and extend a turn, mute one and everyone, speaking-time bars, lock, handing the controls
to the co-facilitator and taking them back, removing someone, ending the phases."""

from __future__ import annotations

import re

import pytest

from tests.frontend.conftest import (
    ADMIN_PASSWORD as PASSWORD,
)
from tests.frontend.conftest import (
    LAPTOP,
    Api,
    admin_signs_in,
    agree_and_wait,
    doctor_joins,
    enter_room,
    make_world,
    new_context,
    use_plan,
    watch_console,
)
from tests.frontend.test_room_journey import SMALL_CAMERA, SMALL_LAPTOP

pytestmark = pytest.mark.browser


def _page(browser, server, form):  # type: ignore[no-untyped-def]
    context = new_context(browser, server, form)
    context.add_init_script(SMALL_CAMERA)
    page = context.new_page()
    return context, page, watch_console(page)


def doctor_let_in(browser, server, admin_api: Api, group: str, prepare=None):  # type: ignore[no-untyped-def]
    """An open session of a new ``group``: the facilitator in its room, and Amira, a doctor
    invited by link, let in and connected. ``prepare(context, page)`` runs on Amira's page
    before she follows her link. Returns (facilitator's context, Amira's context, Amira's
    page, her console's problems)."""
    from playwright.sync_api import expect

    world = make_world(admin_api, group)
    assert world.session is not None
    sid = world.session["id"]
    admin_api.patch(f"/sessions/{sid}", json={"status": "open"})
    _, link = world.invite("Amira")
    fac_ctx, fac, _ = _page(browser, server, LAPTOP)
    admin_signs_in(fac)
    enter_room(fac, sid)
    expect(fac.locator("#conn")).to_have_text("Connected")
    amira_ctx, amira, problems = _page(browser, server, SMALL_LAPTOP)
    if prepare is not None:
        prepare(amira_ctx, amira)
    doctor_joins(amira, link, "Amira")
    agree_and_wait(amira, world.gid)
    fac.get_by_role("button", name="Let Amira in").click()
    expect(amira).to_have_url(re.compile(r"/room\?session="), timeout=15_000)
    expect(amira.locator("#conn")).to_have_text("Connected")
    return fac_ctx, amira_ctx, amira, problems


def test_facilitator_controls_in_the_room(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Controls group")
    assert world.session is not None
    sid = world.session["id"]
    admin_api.patch(f"/sessions/{sid}", json={"status": "open"})
    _, member_link = world.invite("Amira")
    cai = admin_api.post("/accounts", json={"email": "cai@trust.example", "display_name": "Cai",
                                            "password": PASSWORD}).json()
    admin_api.post(f"/groups/{world.gid}/facilitators",
                   json={"account_id": cai["id"], "role": "co-facilitator"})

    fac_ctx, fac, fac_problems = _page(browser, server, LAPTOP)
    admin_signs_in(fac)
    enter_room(fac, sid)
    expect(fac.locator("#conn")).to_have_text("Connected")
    admin_api.post(f"/sessions/{sid}/facilitation", json={"template_id": "default:check-in-round"})
    expect(fac.locator("#phase")).to_have_text("Check-in: about to start")

    amira_ctx, amira, amira_problems = _page(browser, server, SMALL_LAPTOP)
    doctor_joins(amira, member_link, "Amira")
    agree_and_wait(amira, world.gid)
    fac.get_by_role("button", name="Let Amira in").click()
    expect(amira).to_have_url(re.compile(r"/room\?session="), timeout=15_000)
    expect(amira.locator("#conn")).to_have_text("Connected")

    co_ctx, co, co_problems = _page(browser, server, SMALL_LAPTOP)
    co.goto("/signin")
    co.get_by_label("Email address").fill("cai@trust.example")
    co.get_by_label("Password").fill(PASSWORD)
    co.get_by_role("button", name="Sign in").click()
    expect(co.get_by_role("heading", name="Your groups")).to_be_visible()
    enter_room(co, sid)
    expect(co.locator("#conn")).to_have_text("Connected")
    expect(co.locator("#facilitate")).to_contain_text("Dr Ada Admin holds the controls.")
    amira_id = amira.evaluate("() => window.roundsRoom.me")

    # A raised hand, and the floor given and taken back.
    amira.get_by_role("button", name="Raise hand").click()
    expect(amira.get_by_role("button", name="Lower hand")).to_have_attribute("aria-pressed", "true")
    expect(fac.locator("#facilitate")).to_contain_text("Amira, hand raised")
    expect(fac.locator(f'.tile[data-id="{amira_id}"] .badges')).to_contain_text("Hand raised")
    fac.get_by_role("button", name="Give Amira the floor").click()
    expect(amira.locator("#floor-note")).to_have_text("You have the floor.")
    expect(co.locator("#floor-note")).to_have_text("Amira has the floor.")
    expect(co.locator(f'.tile[data-id="{amira_id}"] .badges')).to_contain_text("Has the floor")
    fac.get_by_role("button", name="Take the floor back").click()
    expect(co.locator("#floor-note")).to_be_hidden()

    # The round leaves both facilitators out: Amira speaks; pause, resume, +30 s.
    fac.get_by_role("button", name="Start: Check-in").click()
    fac.get_by_role("button", name="Start the round").click()
    expect(amira.locator("#speaker")).to_have_text("Your turn")
    expect(fac.locator('ol[aria-label="Order of turns"] li')).to_have_count(1)
    fac.get_by_role("button", name="Pause the turn").click()
    expect(amira.locator("#clock")).to_have_text(re.compile(r"^Paused, (1:00|0:[45]\d) left$"))
    expect(co.locator("#clock")).to_have_attribute("data-state", "paused")
    fac.get_by_role("button", name="Resume the turn").click()
    expect(amira.locator("#clock")).to_have_attribute("data-state", "running")
    fac.get_by_role("button", name="+30 s").click()
    expect(amira.locator("#clock")).to_have_text(re.compile(r"^1:[1-3]\d left$"))

    # Speaking time (facilitators only): Amira's fake microphone beeps, so she has spoken.
    expect(fac.locator(f'[data-talk="{amira_id}"] .spoken')).to_have_text(
        re.compile(r"^0:\d\d spoken$"), timeout=15_000)
    expect(co.locator(f'[data-talk="{amira_id}"] .spoken')).to_have_text(re.compile("spoken"))
    assert amira.locator("[data-talk]").count() == 0

    # Mute one, unmute, mute everyone (members only).
    fac.get_by_role("button", name="Mute Amira", exact=True).click()
    expect(amira.locator("#floor-note")).to_have_text(
        "The facilitator has muted your microphone for everyone.")
    expect(co.locator(f'.tile[data-id="{amira_id}"] .badges')).to_contain_text(
        "Muted by the facilitator")
    # Issue 12: a facilitator's mute mutes her own microphone too, and she cannot unmute...
    own_audio = "() => window.roundsRoom.local?.getAudioTracks().every(t => t.enabled)"
    expect(amira.get_by_role("button", name="Unmute", exact=True)).to_be_disabled()
    expect(amira.locator("#announce")).to_have_text("The facilitator muted you.")
    assert amira.evaluate(own_audio) is False
    # ...until the facilitator allows it; then she unmutes herself, nobody else can.
    fac.get_by_role("button", name="Allow Amira to unmute", exact=True).click()
    expect(amira.locator("#floor-note")).to_be_hidden()
    expect(amira.locator("#announce")).to_have_text(
        "The facilitator allows you to unmute. Unmute when you are ready.")
    expect(amira.get_by_role("button", name="Unmute", exact=True)).to_be_enabled()
    assert amira.evaluate(own_audio) is False  # still muted: allowing is not unmuting
    amira.get_by_role("button", name="Unmute", exact=True).click()
    expect(amira.get_by_role("button", name="Mute", exact=True)).to_be_visible()
    assert amira.evaluate(own_audio) is True
    fac.get_by_role("button", name="Mute everyone").click()
    expect(fac.get_by_role("button", name="Allow Amira to unmute", exact=True)).to_be_visible()
    fac.get_by_role("button", name="Allow Amira to unmute", exact=True).click()

    # Lock the room to late arrivals, and open it again.
    fac.get_by_role("button", name="Close the room to late arrivals").click()
    expect(fac.locator("#facilitate")).to_contain_text("The room is closed to late arrivals.")
    fac.get_by_role("button", name="Open the room to late arrivals").click()
    expect(fac.locator("#facilitate")).to_contain_text("Late arrivals can ask to come in.")

    # Hand the controls to the co-facilitator; the lead takes them back.
    fac.get_by_role("button", name="Hand the controls to Cai").click()
    expect(co.locator("#facilitate")).to_contain_text("You hold the controls.")
    expect(co.get_by_role("button", name="Pause the turn")).to_be_visible()
    expect(fac.locator("#facilitate")).to_contain_text("Cai holds the controls.")
    fac.get_by_role("button", name="Take the controls back").click()
    expect(fac.locator("#facilitate")).to_contain_text("You hold the controls.")
    expect(co.locator("#facilitate")).to_contain_text("Dr Ada Admin holds the controls.")

    # Remove someone (after confirming); their page says so and stops.
    fac.once("dialog", lambda dialog: dialog.accept())
    fac.get_by_role("button", name="Remove Amira").click()
    expect(amira.locator("#problem")).to_have_text(
        "The facilitator has removed you from this session.")
    expect(amira.locator("#conn")).to_have_text("Not connected")
    expect(fac.locator(f'.tile[data-id="{amira_id}"]')).to_have_count(0)

    # Finish the last phase.
    fac.get_by_role("button", name="Finish the last phase").click()
    expect(co.locator("#phase")).to_have_text("That was the last part of the plan")

    # Ending the session closes the room: the pages say so and do not try to come back.
    admin_api.patch(f"/sessions/{sid}", json={"status": "ended"})
    expect(co.locator("#problem")).to_have_text("The session has ended. Thank you for coming.")
    expect(co.locator("#conn")).to_have_text("Not connected")

    problems = fac_problems + co_problems + amira_problems
    assert not [p for p in problems if "removed" not in p], problems
    for ctx in (fac_ctx, amira_ctx, co_ctx):
        ctx.close()


def test_push_back_sets_the_presenter_aside(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from tests.frontend.conftest import shoot

    world = make_world(admin_api, "Balint group")
    assert world.session is not None
    sid = world.session["id"]
    admin_api.patch(f"/sessions/{sid}", json={"status": "open"})
    _, link = world.invite("Noor")

    fac_ctx, fac, fac_problems = _page(browser, server, LAPTOP)
    admin_signs_in(fac)
    enter_room(fac, sid)
    use_plan(fac, "default:balint-case")
    expect(fac.locator("#phase")).to_have_text("Who has a case?: about to start")

    noor_ctx, noor, noor_problems = _page(browser, server, SMALL_LAPTOP)
    doctor_joins(noor, link, "Noor")
    agree_and_wait(noor, world.gid)
    fac.get_by_role("button", name="Let Noor in").click()
    expect(noor.locator("#conn")).to_have_text("Connected", timeout=15_000)
    noor_id = noor.evaluate("() => window.roundsRoom.me")
    noor_tile = fac.locator(f'.tile[data-id="{noor_id}"]')

    fac.get_by_role("button", name="Start: Who has a case?").click()
    # the presenter is chosen before the presentation's clock starts (issue 11 item 9)
    expect(fac.get_by_role("button", name="Next phase: Presentation")).to_be_disabled()
    fac.get_by_label("Presenter (listens during push-back)").select_option(label="Noor")
    fac.get_by_role("button", name="Set the presenter").click()
    fac.get_by_role("button", name="Next phase: Presentation").click()
    expect(noor.locator("#phase")).to_have_text("Presentation")
    expect(noor_tile.locator(".badges")).to_contain_text("Has the floor")
    fac.get_by_role("button", name="Next phase: Clarifying questions").click()
    fac.get_by_role("button", name="Next phase: Push-back").click()
    expect(noor.locator("#phase")).to_have_text("Push-back")
    expect(noor_tile).to_have_attribute("data-aside", "true")
    expect(noor_tile.locator(".badges")).to_contain_text("Listening (push-back)")
    expect(noor.locator("#floor-note")).to_have_text(
        "Push-back: you sit back and listen. The others do not hear your microphone.")
    expect(fac.locator("#phase-clock")).to_have_text(
        re.compile(r"^· 2[45]:\d\d left in this phase$"))
    shoot(fac, "room-push-back-facilitator-laptop")
    fac.get_by_role("button", name="Next phase: Presenter returns").click()
    expect(noor_tile).to_have_attribute("data-aside", "false")
    expect(noor.locator("#floor-note")).to_be_hidden()
    assert not fac_problems + noor_problems, fac_problems + noor_problems
    fac_ctx.close()
    noor_ctx.close()
