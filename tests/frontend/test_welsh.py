"""Issue 15, Welsh: a doctor chooses Cymraeg on the invite page and goes invite → device check
→ ground rules → lobby → room → session end all in Welsh, with `<html lang="cy">`, dates in
Welsh, no message missing (a missing one is logged on a development host) and axe-core clean on
every page; a reload, and the next page, keep Welsh (the choice is kept on the device)."""

from __future__ import annotations

import re

import pytest

from tests.frontend.conftest import PHONE, Api, axe_check, make_world, new_context, shoot

pytestmark = pytest.mark.browser


def test_the_welsh_journey_from_invite_to_room(browser, server, admin_api: Api) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = make_world(admin_api, "Grŵp Balint dydd Mercher")
    assert world.session is not None
    sid = world.session["id"]
    _, link = world.invite("Siân, FY2")
    context = new_context(browser, server, PHONE, bypass_csp=True)  # axe is an inline script
    page = context.new_page()
    missing: list[str] = []
    page.on("console", lambda m: missing.append(m.text) if "i18n:" in m.text else None)
    page.on("pageerror", lambda e: missing.append(str(e)))
    html = page.locator("html")

    # The invite opens in the browser's language (en-GB); the doctor chooses Cymraeg.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You are invited to Grŵp Balint dydd Mercher")
    expect(html).to_have_attribute("lang", "en-GB")
    page.get_by_role("button", name="Cymraeg", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Rydych chi wedi cael gwahoddiad i ymuno â Grŵp Balint dydd Mercher")
    expect(html).to_have_attribute("lang", "cy")
    expect(page.locator("#next")).to_have_text(re.compile(
        r"^Y sesiwn nesaf: (heddiw|yfory) am \d\d:\d\d, 90 munud\.$"))
    english = page.get_by_role("button", name="English", exact=True)
    expect(english).to_have_attribute("lang", "en-GB")
    axe_check(page, "invite (Welsh)")
    shoot(page, "join-cy-phone", docs=True)
    page.get_by_role("button", name="Ymuno â'r grŵp", exact=True).click()
    expect(page.locator("#name-error")).to_have_text("Rhowch yr enw y bydd y grŵp yn ei weld.")
    page.get_by_label("Yr enw y bydd y grŵp yn ei weld").fill("Siân")
    page.get_by_role("button", name="Ymuno â'r grŵp", exact=True).click()

    # The device check.
    expect(page.get_by_role("heading", name="Gwirio eich camera a'ch meicroffon")).to_be_visible()
    expect(html).to_have_attribute("lang", "cy")
    axe_check(page, "device check (Welsh)")
    page.get_by_role("button", name="Dechrau'r gwiriad", exact=True).click()
    expect(page.locator("#camera-state")).to_have_text("Dyma sut y bydd y grŵp yn eich gweld chi.")
    expect(page.get_by_role("button", name="Ailddechrau'r gwiriad", exact=True)).to_be_enabled()
    axe_check(page, "device check running (Welsh)")
    shoot(page, "check-cy-phone")
    page.get_by_role("link", name="Parhau", exact=True).click()

    # The ground rules, then the lobby.
    expect(page.get_by_role("heading", name="Cyn i chi ymuno: y rheolau sylfaenol")).to_be_visible()
    page.reload()  # the choice is kept on the device
    expect(page.get_by_role("heading", name="Cyn i chi ymuno: y rheolau sylfaenol")).to_be_visible()
    axe_check(page, "ground rules (Welsh)")
    page.get_by_role("button", name="Ymlaen i'r cyntedd", exact=True).click()
    expect(page.locator("#agree-error")).to_have_text(
        "Ticiwch y blwch i gytuno i'r rheolau sylfaenol.")
    page.get_by_label("Byddaf yn cadw at y rheolau sylfaenol hyn").check()
    page.get_by_role("button", name="Ymlaen i'r cyntedd", exact=True).click()
    expect(page.locator("#state")).to_have_text(re.compile(
        r"^Amser agor y grŵp: (heddiw|yfory) am \d\d:\d\d\.$"))
    expect(page.locator("#who")).to_have_text("Byddwch chi'n ymddangos fel Siân.")
    axe_check(page, "lobby (Welsh)")
    shoot(page, "lobby-cy-phone", docs=True)

    # The facilitator opens the lobby and lets her in.
    admin_api.patch(f"/sessions/{sid}", json={"status": "open"})
    expect(page.locator("#state")).to_have_text(
        "Yn aros i'r hwylusydd eich gadael i mewn. Maen nhw'n gallu gweld eich bod chi yma.")
    members = admin_api.get(f"/groups/{world.gid}/members").json()
    member = next(m for m in members if m["display_name"] == "Siân")
    admin_api.post(f"/sessions/{sid}/lobby/{member['id']}/admit")

    # The room.
    expect(page).to_have_url(re.compile(r"/room\?session="))
    expect(page.locator("#conn")).to_have_text("Wedi cysylltu")
    expect(html).to_have_attribute("lang", "cy")
    expect(page.locator("#phase")).to_have_text("Yn aros i'r hwylusydd ddechrau")
    expect(page.locator(".tile[data-you=true] .name")).to_have_text("Siân (chi)")
    expect(page.get_by_role("button", name="Distewi", exact=True)).to_be_visible()
    expect(page.get_by_role("list", name="Pobl yn yr ystafell")).to_be_visible()
    page.get_by_role("button", name="Codi llaw", exact=True).click()
    expect(page.get_by_role("button", name="Gostwng llaw", exact=True)).to_be_visible()
    # The chat and the private word (together.js, with its own catalogue part, loaded once
    # connected): in Welsh, and loading its words leaves the page as it was (the hand is up).
    page.get_by_role("button", name="Sgwrs", exact=True).click()
    expect(page.get_by_role("heading", name="Sgwrs a gair preifat")).to_be_visible()
    expect(page.get_by_role("button", name="Mae angen eiliad arna i", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Anfon at bawb", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Gostwng llaw", exact=True)).to_be_visible()
    expect(page.locator("#phase")).to_have_text("Yn aros i'r hwylusydd ddechrau")
    page.keyboard.press("Escape")
    expect(page.get_by_role("heading", name="Sgwrs a gair preifat")).to_be_hidden()
    axe_check(page, "room (Welsh)")
    shoot(page, "room-cy-phone", docs=True)

    # The session ends: the room says so, then her group's page thanks her.
    admin_api.patch(f"/sessions/{sid}", json={"status": "ended"})
    expect(page.locator("#problem")).to_have_text("Mae'r sesiwn wedi dod i ben. Diolch am ddod.")
    expect(page.locator("#conn")).to_have_text("Heb gysylltiad")
    expect(page.get_by_role("button", name="Yn ôl i'r grŵp", exact=True)).to_be_visible()
    expect(page.locator("#thanks")).to_have_text(
        "Mae'r sesiwn hon wedi dod i ben. Diolch am ddod.", timeout=20_000)
    expect(page.get_by_role("heading", name="Cyn i chi fynd (dewisol, dienw)")).to_be_visible()
    axe_check(page, "session end (Welsh)")
    page.reload()  # (the rules are asked again before the group's next session)
    expect(html).to_have_attribute("lang", "cy")
    expect(page.get_by_role("heading", name="Cyn i chi ymuno: y rheolau sylfaenol")).to_be_visible()

    # My groups, in Welsh too; and back to English from there.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fy ngrwpiau")
    expect(page.get_by_role("link", name=re.compile("^Mynd i'r cyntedd"))).to_be_visible()
    axe_check(page, "my groups (Welsh)")
    assert not missing, missing
    page.get_by_role("button", name="English", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My groups")
    expect(html).to_have_attribute("lang", "en-GB")
    context.close()


def test_a_welsh_browser_gets_welsh_until_another_language_is_chosen(  # type: ignore[no-untyped-def]
    browser, server, admin_api: Api
) -> None:
    from playwright.sync_api import expect

    context = new_context(browser, server, PHONE, locale="cy-GB")
    page = context.new_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fy ngrwpiau")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    page.get_by_role("button", name="English", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My groups")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My groups")
    context.close()


def test_a_page_not_yet_in_welsh_falls_back_to_english_key_by_key(  # type: ignore[no-untyped-def]
    browser, server, admin_api: Api
) -> None:
    """The facilitators' pages have a partial Welsh catalogue: what it lacks is shown in en-GB
    (and the page says it is en-GB), what it has (an error, a date) in Welsh, and a development
    host's console names each message that fell back."""
    from playwright.sync_api import expect

    context = new_context(browser, server, PHONE, locale="cy-GB")
    page = context.new_page()
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto("/signin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")
    page.route("**/api/v1/auth/login", lambda route: route.abort())
    page.get_by_label("Email address").fill("someone@nhs.net")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#problem")).to_have_text(
        "Methodd y cysylltiad. Gwiriwch eich rhwydwaith a rhowch gynnig arall arni.")
    assert "i18n: no cy message signin.signIn" in warnings, warnings
    context.close()
