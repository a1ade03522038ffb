"""The audit page, in a real browser: an admin goes from the groups page to the audit log,
sees a failed sign-in by its keyed hash (never the email), filters, and exports CSV and JSON;
a facilitator is told the log is for admins."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.frontend.conftest import (
    LAPTOP,
    Api,
    admin_signs_in,
    make_world,
    new_context,
    watch_console,
)

pytestmark = pytest.mark.browser
TRIED = "somebody.else@trust.example"


def test_an_admin_reads_filters_and_exports_the_audit_log(  # type: ignore[no-untyped-def]
    browser, server, admin_api: Api
) -> None:
    from playwright.sync_api import expect

    make_world(admin_api, "Audited group")
    failed = httpx.post(f"{server.url}/api/v1/auth/login",
                        json={"email": TRIED, "password": "not the password"}, timeout=10)
    assert failed.status_code == 401
    context = new_context(browser, server, LAPTOP, accept_downloads=True)
    page = context.new_page()
    problems = watch_console(page)
    admin_signs_in(page)
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1, name="Audit log")).to_be_visible()
    rows = page.locator("#rows tr")
    expect(rows.filter(has_text="group.create")).not_to_have_count(0)
    expect(page.locator("#log")).not_to_contain_text(TRIED)

    page.get_by_label("Action").select_option("sign_in.failed")
    page.get_by_role("button", name="Show").click()
    expect(rows.filter(has_text="sign_in.failed")).not_to_have_count(0)
    expect(rows.filter(has_text="group.create")).to_have_count(0)
    expect(rows.first).to_contain_text("refused: bad_credentials")
    expect(rows.first).to_contain_text("anonymous")
    expect(page.locator("#status")).to_contain_text("record")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Export as CSV").click()
    text = open(csv_download.value.path(), encoding="utf-8").read()
    assert text.startswith("at,actor,action,object_type,object_id,outcome,detail")
    assert "sign_in.failed" in text and "group.create" not in text and TRIED not in text
    with page.expect_download() as json_download:
        page.get_by_role("link", name="Export as JSON").click()
    records: list[dict[str, Any]] = json.load(open(json_download.value.path(), encoding="utf-8"))
    assert records and {r["action"] for r in records} == {"sign_in.failed"}

    page.get_by_label("Actor id").fill("not an id")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#status")).to_contain_text("An actor id looks like")
    assert problems == []
    context.close()


def test_a_facilitator_is_told_the_log_is_for_admins(  # type: ignore[no-untyped-def]
    browser, server, admin_api: Api
) -> None:
    from playwright.sync_api import expect

    email, password = "fac.audit@trust.example", "a long facilitator password"
    admin_api.post("/accounts", json={"email": email, "display_name": "Dr Fac Audit",
                                      "password": password})
    context = new_context(browser, server, LAPTOP)
    page = context.new_page()
    page.goto("/signin")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your groups")).to_be_visible()
    expect(page.get_by_role("link", name="Audit log")).to_be_hidden()
    page.goto("/audit")
    expect(page.locator("#problem")).to_have_text("Only an administrator can read the audit log.")
    context.close()
