"""A doctor's "My attendance" in Chromium: their records, a certificate downloaded and opened,
its code checked at the public page, their records deleted."""

from __future__ import annotations

import re

import pytest

from tests.frontend.attendance_world import doctor_with_attendance
from tests.frontend.conftest import LAPTOP, PHONE, Api, new_context, shoot

pytestmark = pytest.mark.browser


def test_my_attendance_and_the_certificate(browser, server, admin_api: Api, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    context = new_context(browser, server, PHONE)
    page = context.new_page()
    doctor_with_attendance(page, server, admin_api, "Thursday Balint group", "Dr Sam Patel",
                           {"2026-11-05": 85, "2026-11-19": 90})
    page.goto("/")
    page.get_by_role("link", name="My attendance").click()
    expect(page.get_by_role("heading", name="My attendance")).to_be_visible()
    card = page.get_by_role("region", name="Thursday Balint group")
    expect(card.get_by_role("row")).to_have_count(3)
    expect(card.get_by_role("row", name="5 November 2026 85", exact=True)).to_be_visible()
    expect(card.get_by_role("row", name="19 November 2026 90", exact=True)).to_be_visible()
    expect(card.get_by_text("2 sessions, 175 minutes in all.", exact=True)).to_be_visible()

    with page.expect_download() as waiting:
        card.get_by_role("button", name="Download a certificate").click()
    download = waiting.value
    assert re.fullmatch(r"rounds-attendance-\d{4}-\d{2}-\d{2}\.html", download.suggested_filename)
    expect(card.get_by_role("status")).to_have_text(
        "Your certificate is downloaded. Open it to print it or save it as a PDF.")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    html = saved.read_text(encoding="utf-8")
    code = re.search(r'class="code">([A-Z2-7-]+)<', html).group(1)  # type: ignore[union-attr]

    certificate = context.new_page()
    certificate.goto(saved.as_uri())
    expect(certificate.get_by_role("heading", name="Certificate of attendance")).to_be_visible()
    expect(certificate.get_by_text("Dr Sam Patel")).to_be_visible()
    expect(certificate.get_by_text("2 sessions", exact=True)).to_be_visible()
    expect(certificate.get_by_text("175 minutes", exact=True)).to_be_visible()
    expect(certificate.get_by_text(code, exact=True)).to_be_visible()
    shoot(certificate, "certificate")

    # Anyone checks the code, in a browser of their own.
    reviewer = new_context(browser, server, LAPTOP).new_page()
    reviewer.goto(f"/verify#{code}")
    expect(reviewer.get_by_role("heading", name="This certificate is genuine")).to_be_visible()
    facts = reviewer.locator("#facts")
    expect(facts.locator("dd")).to_have_text(
        ["Dr Sam Patel", "Thursday Balint group", "2", "175",
         "5 November 2026 to 19 November 2026", re.compile(r"\d{1,2} \w+ \d{4}")])
    assert code not in reviewer.url  # the code leaves the address bar
    shoot(reviewer, "verify-laptop")
    reviewer.get_by_label("Verification code").fill("ABCD-EFGH-IJKL")
    reviewer.get_by_role("button", name="Check the code").click()
    expect(reviewer.get_by_role("alert")).to_have_text("No certificate has this code")
    expect(reviewer.get_by_role("heading", name="This certificate is genuine")).to_be_hidden()

    # The doctor deletes their records: the code then checks out as nothing.
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Delete my records").click()
    expect(page.get_by_text("Your attendance records are deleted.")).to_be_visible()
    empty = "No attendance recorded yet. It is noted when you are in a session's room."
    expect(card.get_by_text(empty)).to_be_visible()
    reviewer.goto(f"/verify#{code}")
    expect(reviewer.get_by_role("alert")).to_have_text("No certificate has this code")
    context.close()


def test_the_admin_sees_the_outbox_as_counts(browser, server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    from tests.frontend.conftest import admin_signs_in

    page = new_context(browser, server, LAPTOP).new_page()
    admin_signs_in(page)
    page.goto("/accounts")
    expect(page.locator("#outbox")).to_have_text(
        "Email: off (no SMTP server is set), so links are copied by hand.")
