"""Four people in real browsers, inside a session: a pairs phase where each pair hears only
itself (audio packets counted at every receiver) and everyone returns together at the bell;
"I need a moment" and a private message that only the facilitator sees, and a private answer;
the group's chat, which disappears from every page when the session ends."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.frontend.conftest import (
    LAPTOP,
    Api,
    admin_signs_in,
    agree_and_wait,
    doctor_joins,
    enter_room,
    make_world,
    wait_until,
)
from tests.frontend.test_room_audio_only import TRACK_PCS
from tests.frontend.test_room_controls import _page
from tests.frontend.test_room_journey import SMALL_LAPTOP

pytestmark = pytest.mark.browser

PAIRS_PLAN = {
    "name": "Short pairs",
    "phases": [
        {"kind": "pairs", "title": "Pairs", "duration": 40, "floor": "open_hands",
         "group_size": 2, "prompt": "One speaks, the other listens; swap at the bell."},
        {"kind": "close", "title": "Close", "duration": 60, "floor": "facilitator"},
    ],
}

AUDIO = """async () => {
  const out = {}; let total = 0;
  for (const pc of window.__rounds_pcs || []) {
    for (const r of pc.getReceivers()) {
      if (!r.track || r.track.kind !== 'audio') continue;
      let n = 0;
      (await r.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp') n += s.packetsReceived;
      });
      total += n;
      for (const [id, stream] of window.roundsRoom.streams) {
        if (stream.getAudioTracks().includes(r.track)) out[id] = (out[id] || 0) + n;
      }
    }
  }
  return {total, from: out, streams: [...window.roundsRoom.streams.keys()]};
}"""


def _audio(page: Any) -> dict[str, Any]:
    got: dict[str, Any] = page.evaluate(AUDIO)
    return got


def hear_only(pages: dict[str, Any], heard: dict[str, set[str]]) -> None:
    """Each page receives audio packets from exactly the participants ``heard[its id]``: every
    audio packet it gets in two seconds comes from them, and from each of them some."""
    for pid, page in pages.items():  # the server has renegotiated: the right streams only
        page.wait_for_function(
            "([want]) => { const s = [...window.roundsRoom.streams.keys()].sort();"
            " return JSON.stringify(s) === JSON.stringify(want); }",
            arg=[sorted(heard[pid])], timeout=20_000)
    for pid, page in pages.items():  # packets are flowing from each of them
        for other in heard[pid]:
            start = _audio(page)["from"].get(other, 0)
            wait_until(page, f"async ([o, n]) => ((await ({AUDIO})()).from[o] || 0) > n + 20",
                       arg=[other, start])
    before = {pid: _audio(page) for pid, page in pages.items()}
    next(iter(pages.values())).wait_for_timeout(2000)
    for pid, page in pages.items():
        after = _audio(page)
        total = after["total"] - before[pid]["total"]
        wanted = sum(after["from"].get(o, 0) - before[pid]["from"].get(o, 0) for o in heard[pid])
        assert total == wanted, f"{pid} received {total - wanted} packets from outside its group"
        assert all(after["from"].get(o, 0) > before[pid]["from"].get(o, 0) for o in heard[pid])


def test_pairs_private_word_and_chat_with_four_people(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Pairs group")
    assert world.session is not None
    sid = world.session["id"]
    admin_api.patch(f"/sessions/{sid}", json={"status": "open"})
    plan = admin_api.post(f"/groups/{world.gid}/templates", json=PAIRS_PLAN).json()

    fac_ctx, fac, fac_problems = _page(browser, server, LAPTOP)
    fac_ctx.add_init_script(TRACK_PCS)
    admin_signs_in(fac)
    enter_room(fac, sid)
    expect(fac.locator("#conn")).to_have_text("Connected")
    admin_api.post(f"/sessions/{sid}/facilitation", json={"template_id": plan["id"]})
    expect(fac.locator("#phase")).to_have_text("Pairs: about to start")

    doctors = {}
    contexts = [fac_ctx]
    for name in ("Amira", "Ben", "Cai"):
        _, link = world.invite(name)
        ctx, page, problems = _page(browser, server, SMALL_LAPTOP)
        ctx.add_init_script(TRACK_PCS)
        contexts.append(ctx)
        doctor_joins(page, link, name)
        agree_and_wait(page, world.gid)
        fac.get_by_role("button", name=f"Let {name} in").click()
        expect(page).to_have_url(re.compile(r"/room\?session="), timeout=15_000)
        expect(page.locator("#conn")).to_have_text("Connected")
        doctors[name] = (page, problems)
    pages = {fac.evaluate("() => window.roundsRoom.me"): fac}
    for page, _ in doctors.values():
        pages[page.evaluate("() => window.roundsRoom.me")] = page
    everyone = set(pages)
    hear_only(pages, {p: everyone - {p} for p in pages})

    # -- pairs: the facilitator takes part, so four people make two pairs
    fac.get_by_role("button", name="Start: Pairs", exact=True).click()
    groups = fac.get_by_role("list", name="Pairs").get_by_role("listitem")
    expect(groups).to_have_count(1)  # the three members: one triad
    fac.get_by_role("button", name="Arrange with the facilitators too", exact=True).click()
    expect(groups).to_have_count(2)
    # then by hand: the facilitator with Amira, Ben with Cai
    ids = {name: page.evaluate("() => window.roundsRoom.me") for name, (page, _) in
           doctors.items()}
    fac_id = fac.evaluate("() => window.roundsRoom.me")
    fac.get_by_text("Arrange the groups yourself", exact=True).click()
    for who, group in ((fac_id, "Group 1"), (ids["Amira"], "Group 1"), (ids["Ben"], "Group 2"),
                       (ids["Cai"], "Group 2")):
        fac.locator(f'select[data-who="{who}"]').select_option(label=group)
    fac.get_by_role("button", name="Use these groups", exact=True).click()
    for i, (x, y) in enumerate(((fac_id, ids["Amira"]), (ids["Ben"], ids["Cai"]))):
        expect(groups.nth(i)).to_have_attribute("data-members", re.compile(
            rf"^({x} {y}|{y} {x})$"))  # in either order
    fac.get_by_role("button", name="Send everyone into pairs", exact=True).click()
    partner = {fac_id: ids["Amira"], ids["Amira"]: fac_id, ids["Ben"]: ids["Cai"],
               ids["Cai"]: ids["Ben"]}
    assert set(partner) == everyone
    for page in pages.values():
        expect(page.locator("#pairs-note")).to_contain_text("In a pair with", timeout=15_000)
    hear_only(pages, {p: {partner[p]} for p in pages})
    amira = doctors["Amira"][0]
    amira_id = amira.evaluate("() => window.roundsRoom.me")
    for tile in amira.locator(".tile[data-id]").all():  # her page shows only her pair
        tid = tile.get_attribute("data-id")
        if tid not in ("self", partner[amira_id]):
            expect(tile).to_be_hidden()

    # the bell: everyone returns together, and hears everyone again
    for page in pages.values():
        expect(page.locator("#pairs-note")).to_be_hidden(timeout=60_000)
        expect(page.locator("#announce")).to_have_text("Everyone is back together.")
    hear_only(pages, {p: everyone - {p} for p in pages})

    # -- "I need a moment" and a private message: the facilitator sees them, nobody else
    ben = doctors["Ben"][0]
    amira.get_by_role("button", name="Chat", exact=True).click()  # the panel over the room
    expect(amira.get_by_role("heading", name="Chat and a private word")).to_be_visible()
    amira.get_by_role("button", name="I need a moment", exact=True).click()
    expect(amira.locator("#moment")).to_have_attribute("aria-pressed", "true")
    expect(fac.get_by_role("list", name="Needs a moment")).to_have_text("Amira needs a moment")
    amira.get_by_label("Write to the facilitators privately: only they see this").fill(
        "My patient died last night.")
    amira.get_by_role("button", name="Send to the facilitators", exact=True).click()
    messages = fac.get_by_role("list", name="Private messages")
    expect(messages).to_contain_text("Amira (private): My patient died last night.")
    fac.get_by_label("Answer to Amira", exact=True).fill("I'm here. Let's talk at the break.")
    fac.get_by_role("button", name="Answer Amira privately", exact=True).click()
    expect(amira.locator("#word-log")).to_have_text(
        re.compile(r"\(only you see this\): I'm here\. Let's talk at the break\.$"))
    for page in (ben, doctors["Cai"][0]):
        assert "My patient died" not in page.content()
        assert "needs a moment" not in page.content()
        expect(page.locator("#word-log")).to_be_empty()

    # -- the chat reaches everyone, and disappears when the session ends
    ben.get_by_role("button", name="Chat", exact=True).click()
    ben.get_by_label("Message to everyone", exact=True).fill("Thank you all https://example.org")
    ben.get_by_role("button", name="Send to everyone", exact=True).click()
    for page in pages.values():
        expect(page.locator("#chat-log")).to_contain_text("Thank you all https://example.org")
        expect(page.locator("#chat-log a")).to_have_count(0)  # a link is text
    admin_api.patch(f"/sessions/{sid}", json={"status": "ended"})
    for page in pages.values():
        expect(page.locator("#problem")).to_have_text(
            "The session has ended. Thank you for coming.")
        expect(page.locator("#together-toggle")).to_be_hidden()
        expect(page.locator("#chat-log")).to_be_empty()  # gone from the page too
        assert "Thank you all" not in page.content()
        assert "My patient died" not in page.content()

    problems = fac_problems + [p for _, ps in doctors.values() for p in ps]
    assert not problems, problems
    for ctx in contexts:
        ctx.close()


CLOSE_PLAN = {
    "name": "Just the close",
    "phases": [{"kind": "close", "title": "Close", "duration": 60, "floor": "facilitator"}],
}
CARD = [{"name": "Northgate occupational health", "detail": "Weekdays", "contact": "01632 960 123"},
        {"name": "Samaritans", "detail": "Any time", "contact": "116 123"}]


def test_the_signposting_card_and_the_pulse_at_the_close(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Closing group")
    assert world.session is not None
    sid = world.session["id"]
    admin_api.patch(f"/sessions/{sid}", json={"status": "open"})
    plan = admin_api.post(f"/groups/{world.gid}/templates", json=CLOSE_PLAN).json()

    # the facilitator gives the group its own card on the group's page
    fac_ctx, fac, fac_problems = _page(browser, server, LAPTOP)
    admin_signs_in(fac)
    fac.goto(f"/group?id={world.gid}")
    expect(fac.locator("#signposting-text")).to_have_value(re.compile(r"^Practitioner Health \|"))
    fac.get_by_label("The group's card", exact=True).fill(
        "\n".join(" | ".join(e.values()) for e in CARD))
    fac.get_by_role("button", name="Save the card", exact=True).click()
    expect(fac.locator("#signposting-status")).to_have_text(
        "Saved. Members see this card at the close.")
    expect(fac.locator("#pulse-status")).to_have_text(
        "Not enough answers to show yet: figures appear from five answers up.")

    enter_room(fac, sid)
    expect(fac.locator("#conn")).to_have_text("Connected")
    admin_api.post(f"/sessions/{sid}/facilitation", json={"template_id": plan["id"]})
    _, link = world.invite("Amira")
    amira_ctx, amira, amira_problems = _page(browser, server, SMALL_LAPTOP)
    doctor_joins(amira, link, "Amira")
    agree_and_wait(amira, world.gid)
    fac.get_by_role("button", name="Let Amira in").click()
    expect(amira.locator("#conn")).to_have_text("Connected", timeout=15_000)

    # the close: the group's card for everyone, the one-tap pulse for the member only
    expect(amira.locator(".signposting")).to_have_count(0)
    fac.get_by_role("button", name="Start: Close", exact=True).click()
    for page in (fac, amira):
        card = page.locator(".signposting")
        expect(card).to_contain_text("Northgate occupational health · Weekdays · 01632 960 123")
        expect(card).to_contain_text("Samaritans · Any time · 116 123")
    expect(fac.locator(".pulse")).to_have_count(0)
    amira.get_by_role("group", name="Today I felt heard").get_by_role("button", name="5").click()
    amira.get_by_role("group", name="I'd like to come again").get_by_role(
        "button", name="Yes").click()
    amira.get_by_role("button", name="Send", exact=True).click()
    expect(amira.locator(".pulse")).to_have_text(
        "Thank you. Only counts are kept, never who answered.")

    # the session ends: the "session ended" page shows the card again (not the pulse)
    admin_api.patch(f"/sessions/{sid}", json={"status": "ended"})
    expect(amira.locator("#thanks")).to_have_text(
        "This session has ended. Thank you for coming.", timeout=20_000)
    expect(amira.locator(".signposting")).to_contain_text("Northgate occupational health")
    expect(amira.locator(".pulse")).to_have_count(0)

    # one answer: the figures are refused, on the page and by the API
    fac.goto(f"/group?id={world.gid}")
    expect(fac.locator("#pulse-status")).to_have_text(
        "Not enough answers to show yet: figures appear from five answers up.")
    expect(fac.locator("#pulse-figures")).to_be_hidden()
    hidden = {"shown": False, "answers": None, "counts": None}
    assert admin_api.get(f"/sessions/{sid}/pulse").json() == {"heard": hidden, "again": hidden}
    assert not fac_problems + amira_problems, fac_problems + amira_problems
    fac_ctx.close()
    amira_ctx.close()
