"""Issue 11, done means: a facilitator runs a whole session from the room, in real Chromium.

One facilitator (laptop) and three doctors (one on a phone) in one session: the facilitator
composes the plan (check-in, a Balint case, check-out) in the room and lets everyone in; in the
check-in the facilitator takes a turn too (shown truthfully before the start), a doctor passes
and is offered the turn again at the end; the Balint case needs its presenter before the
presentation starts and mutes them for the push-back; a speaker who drops keeps their name;
check-out; the facilitator ends the session for everyone from the room, and each doctor is
thanked and taken back to their group. Screenshots of the plan and of the end go to
docs/screenshots/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.frontend.conftest import (
    LAPTOP,
    PHONE,
    Api,
    admin_signs_in,
    agree_and_wait,
    doctor_joins,
    enter_room,
    make_world,
    new_context,
    shoot,
    use_plan,
    watch_console,
)
from tests.frontend.test_room_journey import SMALL_CAMERA, SMALL_LAPTOP

pytestmark = pytest.mark.browser
PLAN = ["default:check-in-round", "default:balint-case", "default:check-out-round"]


def _page(browser: Any, server: Any, form: dict[str, Any]) -> tuple[Any, Any, list[str]]:
    context = new_context(browser, server, form)
    context.add_init_script(SMALL_CAMERA)
    page = context.new_page()
    return context, page, watch_console(page)


def _button(page: Any, name: str) -> Any:
    return page.get_by_role("button", name=name, exact=True)


def _state(api: Api, sid: str) -> dict[str, Any]:
    state: dict[str, Any] = api.get(f"/sessions/{sid}/state").json()["state"]
    return state


def test_a_whole_session_from_the_room(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Whole session group")
    assert world.session is not None
    sid = str(world.session["id"])
    admin_api.patch(f"/sessions/{sid}", json={"status": "open"})
    lead = admin_api.get("/auth/me").json()["display_name"]

    doctors = {}
    for name, form in (("Amira", SMALL_LAPTOP), ("Ben", SMALL_LAPTOP), ("Chloe", PHONE)):
        ctx, page, problems = _page(browser, server, form)
        doctor_joins(page, world.invite(name)[1], name)
        agree_and_wait(page, world.gid)
        doctors[name] = (ctx, page, problems)

    fac_ctx, fac, fac_problems = _page(browser, server, LAPTOP)
    admin_signs_in(fac)
    enter_room(fac, sid)
    expect(fac.locator("#conn")).to_have_text("Connected")

    # The plan, composed in the room: whatever was proposed, then exactly these three.
    expect(fac.get_by_role("heading", name="Plan for this session")).to_be_visible()
    expect(fac.get_by_text("About 65 min in all.", exact=True)).to_be_visible()  # proposed
    use_plan(fac, *PLAN)
    plan = fac.get_by_role("list", name="The plan")
    expect(plan.get_by_role("listitem")).to_have_count(8)
    expect(plan.get_by_role("listitem").first).to_contain_text("15 min, next")

    _button(fac, "Let everyone in").click()
    for _, page, _ in doctors.values():
        expect(page).to_have_url(re.compile(r"/room\?session="), timeout=20_000)
        expect(page.locator("#conn")).to_have_text("Connected", timeout=20_000)
    for name in doctors:
        expect(fac.locator("li[data-talk]").get_by_text(name, exact=True)).to_have_count(1)
    state = _state(admin_api, sid)
    ids = {n: p for p, n in state["names"].items()}
    amira, ben = doctors["Amira"][1], doctors["Ben"][1]
    fac.evaluate("""() => [...document.querySelectorAll('#fac-main h2')]
        .find((h) => h.textContent.startsWith('Plan: '))?.scrollIntoView()""")  # (redrawn often)
    shoot(fac, "plan", docs=True)

    # Check-in: members only by default, shown truthfully; the facilitator opts in.
    _button(fac, "Start: Check-in").click()
    order = fac.get_by_role("list", name="Order of turns")
    expect(order.get_by_role("listitem")).to_have_count(3)
    _button(fac, "Facilitators take turns too").click()
    expect(order.get_by_role("listitem")).to_have_count(4)
    expect(order.get_by_role("listitem").first).to_contain_text(lead)
    turns = [state["names"][t["participant_id"]] for t in _state(admin_api, sid)["round"]["turns"]]
    assert turns[0] == lead and sorted(turns[1:]) == sorted(doctors)
    first, *others = turns[1:]
    page_of = {name: doctors[name][1] for name in doctors}
    expect(page_of[first].locator("#next-up")).to_have_text(f"First: {lead}")
    _button(fac, "Start the round").click()
    expect(page_of[first].locator("#speaker")).to_contain_text(lead)
    _button(fac, "I've finished").click()
    _button(fac, f"Invite {first}").click()
    _button(page_of[first], "Pass").click()  # offered again at the end
    for name in [*others, first]:  # the pass comes back at the end
        _button(fac, f"Invite {name}").click()
        expect(page_of[name].locator("#my-turn")).to_be_visible()
        if name != first:
            _button(page_of[name], "I've finished").click()
    _button(page_of[first], "I've finished").click()
    expect(page_of[others[0]].get_by_text("Thank you. That was the last turn of the round.")
           ).to_be_visible()
    _button(fac, "Finish the round").click()

    # The Balint case: the presenter is chosen before the presentation's clock starts.
    _button(fac, "Next phase: Who has a case?").click()
    expect(_button(fac, "Next phase: Presentation")).to_be_disabled()
    expect(fac.get_by_text("Choose the presenter first.", exact=True)).to_be_visible()
    fac.locator("#presenter").select_option(ids["Ben"])
    _button(fac, "Set the presenter").click()
    expect(_button(fac, "Next phase: Presentation")).to_be_enabled()
    _button(fac, "Next phase: Presentation").click()
    expect(ben.locator("#phase")).to_have_text("Presentation")
    _button(fac, "Next phase: Clarifying questions").click()
    _button(fac, "Next phase: Push-back").click()
    expect(amira.locator("#phase")).to_have_text("Push-back")
    heard = _state(admin_api, sid)["audible"]
    assert ids["Ben"] not in heard and ids["Amira"] in heard  # the presenter listens
    _button(fac, "Next phase: Presenter returns").click()
    assert ids["Ben"] in _state(admin_api, sid)["audible"]
    _button(fac, "Next phase: Close").click()
    _button(fac, "Next phase: Check-out").click()

    # Check-out: a speaker whose connection drops keeps their name everywhere.
    _button(fac, "Start the round").click()
    expect(fac.locator("#speaker")).to_contain_text("you", ignore_case=True)
    _button(fac, "I've finished").click()
    nxt = state["names"][_state(admin_api, sid)["round"]["up_next"]]
    listener = next(doctors[n][1] for n in doctors if n != nxt)
    _button(fac, f"Invite {nxt}").click()
    expect(page_of[nxt].locator("#my-turn")).to_be_visible()
    doctors[nxt][0].set_offline(True)
    expect(listener.locator("#speaker")).to_have_text(
        re.compile(f"{nxt}'s connection dropped"), timeout=30_000)
    expect(_button(fac, f"Pass for {nxt}")).to_be_visible()
    _button(fac, f"Skip {nxt}").click()
    doctors[nxt][0].set_offline(False)
    _button(fac, "End the round").click()
    _button(fac, "Finish the last phase").click()
    expect(ben.locator("#phase")).to_have_text("That was the last part of the plan")

    # The end, for everyone, from the room.
    fac.once("dialog", lambda d: d.accept())
    _button(fac, "End the session for everyone").click()
    expect(fac).to_have_url(re.compile(r"/group\?id="), timeout=15_000)
    expect(ben.locator("#problem")).to_have_text("The session has ended. Thank you for coming.",
                                                 timeout=15_000)
    expect(_button(ben, "Mute")).to_be_hidden()
    expect(_button(ben, "Raise hand")).to_be_hidden()
    expect(_button(ben, "Back to the group")).to_be_visible()
    shoot(ben, "session-ended", docs=True)
    for _, page, _ in doctors.values():  # each is thanked and taken back to their group
        expect(page).to_have_url(re.compile(r"/lobby\?group="), timeout=30_000)
        expect(page.get_by_role("heading", name="Whole session group", exact=True)).to_be_visible()
        expect(page.get_by_text("This session has ended. Thank you for coming.",
                                exact=True)).to_be_visible()
        expect(page.locator(".msg[data-kind=error]:visible")).to_have_count(0)
    assert admin_api.get(f"/sessions/{sid}").json()["status"] == "ended"
    for _, _, problems in [*doctors.values(), (fac_ctx, fac, fac_problems)]:
        assert not [p for p in problems if "offline" not in p and "ERR_INTERNET" not in p], problems


def test_a_leaving_facilitator_is_asked(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    """Issue 11 item 2: Leave asks whether to end the session, hand over, or leave it running."""
    from playwright.sync_api import expect

    world = make_world(admin_api, "Leaving group")
    assert world.session is not None
    sid = str(world.session["id"])
    admin_api.patch(f"/sessions/{sid}", json={"status": "open"})
    _, page, _ = _page(browser, server, SMALL_LAPTOP)
    doctor_joins(page, world.invite("Dee")[1], "Dee")
    agree_and_wait(page, world.gid)
    _, fac, _ = _page(browser, server, LAPTOP)
    admin_signs_in(fac)
    enter_room(fac, sid)
    _button(fac, "Let Dee in").click()
    expect(page.locator("#conn")).to_have_text("Connected", timeout=20_000)

    _button(fac, "Leave").click()
    dialog = fac.get_by_role("dialog", name="Leave the room?")
    expect(dialog).to_contain_text("with 1 other person in the room")
    _button(dialog, "Stay").click()
    expect(dialog).to_be_hidden()
    expect(fac.locator("#conn")).to_have_text("Connected")
    _button(fac, "Leave").click()
    _button(fac.get_by_role("dialog"), "End the session for everyone").click()
    expect(fac).to_have_url(re.compile(r"/group\?id="), timeout=15_000)
    expect(page.locator("#problem")).to_have_text("The session has ended. Thank you for coming.",
                                                  timeout=15_000)
    assert admin_api.get(f"/sessions/{sid}").json()["status"] == "ended"


def test_the_room_controls_fit_a_small_phone(browser, server) -> None:  # type: ignore[no-untyped-def]
    """Issue 11 item 10: at 320 px no control's label overflows its button."""
    context = new_context(browser, server, {"viewport": {"width": 320, "height": 640},
                                            "device_scale_factor": 1})
    page = context.new_page()
    page.goto("/room?session=00000000-0000-0000-0000-000000000000")
    page.wait_for_selector("#leave")
    sizes = page.eval_on_selector_all(".control:not([hidden])", """els => els.map(e => ({
        label: e.textContent, fits: e.scrollWidth <= e.clientWidth + 1,
        right: e.getBoundingClientRect().right}))""")
    assert len(sizes) == 5
    assert all(s["fits"] and s["right"] <= 320 for s in sizes), sizes
    context.close()
