"""The audit log: each security-relevant action is recorded by ids and codes (no names, emails
or addresses in clear), admins alone read and export it, and it is purged on its own schedule."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest

from app.audit.service import Action, Actor, keyed_hash, record
from app.core.db import transaction, utcnow
from app.ops.retention import purge
from tests.app.conftest import PASSWORD, World, login

SECRETS = ("Dr A Facilitator", "Dr B Facilitator", "Dr Ada", "fa@trust.nhs.uk",
           "nobody@trust.nhs.uk", "FY1 Tuesday group", "127.0.0.1", "testclient", "For Ada")


async def _log(world: World, **params: Any) -> list[dict[str, Any]]:
    response = await world.admin.get("/api/v1/audit", params=params)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def _no_personal_data(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} is in the audit log"


async def test_actions_are_recorded_by_id(world: World, app: Any) -> None:
    gid = world.group_a["id"]
    admin_id = (await world.admin.get("/api/v1/auth/me")).json()["id"]
    # A failed sign-in, by the email's keyed hash.
    assert (await login(world.clients.new(), "nobody@trust.nhs.uk", "wrong")).status_code == 401
    # Group, invite, membership, session.
    assert (await world.fa.patch(f"/api/v1/groups/{gid}", json={"cohort": "FY2"})).status_code \
        == 200
    invite = await world.invite(label="For Ada")
    assert (await world.fa.post(f"/api/v1/invites/{invite['id']}/revoke")).status_code == 200
    _, doctor = await world.doctor("Dr Ada")
    assert (await world.fa.post(f"/api/v1/members/{doctor['member_id']}/end")).status_code == 200
    session = await world.session(status="ended")
    # Accounts: demote-promote, disable, enable, password link.
    fb = world.fb_id
    assert (await world.admin.patch(f"/api/v1/accounts/{fb}", json={"is_admin": True})) \
        .status_code == 200
    assert (await world.admin.patch(f"/api/v1/accounts/{fb}", json={"is_admin": False})) \
        .status_code == 200
    assert (await world.admin.post(f"/api/v1/accounts/{fb}/disable")).status_code == 200
    assert (await world.admin.post(f"/api/v1/accounts/{fb}/enable")).status_code == 200
    assert (await world.admin.post(f"/api/v1/accounts/{fb}/password-link")).status_code == 200
    assert (await world.admin.post(f"/api/v1/groups/{gid}/archive")).status_code == 200

    rows = await _log(world)
    seen = {(r["action"], r["actor"], r["object_id"]) for r in rows}
    admin, fa = f"account {admin_id}", f"account {world.fa_id}"
    for expected in [
        ("account.create", admin, world.fa_id),
        ("group.create", admin, gid),
        ("sign_in", fa, world.fa_id),
        ("sign_in.failed", "anonymous", keyed_hash(app.state.settings, "nobody@trust.nhs.uk")),
        ("group.edit", fa, gid),
        ("invite.create", fa, invite["id"]),
        ("invite.revoke", fa, invite["id"]),
        ("membership.end", fa, doctor["member_id"]),
        ("session.end", fa, session["id"]),
        ("account.promote", admin, fb),
        ("account.demote", admin, fb),
        ("account.disable", admin, fb),
        ("account.enable", admin, fb),
        ("account.password_link", admin, fb),
        ("group.archive", admin, gid),
    ]:
        assert expected in seen, expected
    failed = next(r for r in rows if r["action"] == "sign_in.failed")
    assert failed["outcome"] == "bad_credentials" and failed["object_type"] == "email"
    edit = next(r for r in rows if r["action"] == "group.edit")
    assert edit["detail"] == {"cohort": True}  # which fields changed, never their values
    _no_personal_data(json.dumps(rows))


async def test_a_doctor_leaving_is_recorded_as_the_member(world: World) -> None:
    browser, doctor = await world.doctor("Dr Ada")
    left = await browser.post(f"/api/v1/me/memberships/{doctor['member_id']}/leave")
    assert left.status_code == 204
    rows = await _log(world, action="membership.end")
    assert [r["actor"] for r in rows] == [f"member {doctor['member_id']}"]


async def test_filters(world: World) -> None:
    await login(world.clients.new(), "fa@trust.nhs.uk", "wrong password")
    refused = await _log(world, outcome="refused")
    assert refused and all(r["outcome"] != "ok" for r in refused)
    mine = await _log(world, actor_id=world.fa_id)
    assert mine and all(r["actor_id"] == world.fa_id for r in mine)
    creates = await _log(world, action="account.create")
    assert {r["object_id"] for r in creates} >= {world.fa_id, world.fb_id}
    later = await _log(world, since=(utcnow() + timedelta(minutes=5)).isoformat())
    assert later == []
    actions = (await world.admin.get("/api/v1/audit/actions")).json()
    assert "sign_in.failed" in actions and "retention.purge" in actions


async def test_only_admins_read_and_export(world: World) -> None:
    for path in ("/api/v1/audit", "/api/v1/audit/export", "/api/v1/audit/actions"):
        assert (await world.fa.get(path)).status_code == 403
        assert (await world.clients.new().get(path)).status_code == 401


async def test_export_as_csv_and_json(world: World) -> None:
    await world.doctor("Dr Ada")
    response = await world.admin.get("/api/v1/audit/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and set(rows[0]) == {"at", "actor", "action", "object_type", "object_id",
                                     "outcome", "detail"}
    assert any(r["action"] == "invite.create" for r in rows)
    _no_personal_data(response.text)
    as_json = await world.admin.get("/api/v1/audit/export",
                                    params={"format": "json", "action": "invite.create"})
    assert as_json.status_code == 200
    assert [r["action"] for r in as_json.json()] == ["invite.create"]
    exports = await _log(world, action="audit.export")
    assert [r["detail"]["format"] for r in exports] == ["json", "csv"]


async def test_detail_refuses_free_text(app: Any) -> None:
    async for db in transaction(app.state.db):
        with pytest.raises(ValueError, match="code"):
            await record(db, actor=Actor("system"), action=Action.group_edit,
                         object_type="group", detail={"name": "Dr Ada's group"})


async def test_purge_keeps_the_log_for_its_own_period(world: World, app: Any) -> None:
    settings = app.state.settings
    assert settings.retention_audit_days == 365
    async for db in transaction(app.state.db):
        counts = await purge(db, settings, now=utcnow() + timedelta(days=300))
    assert counts["audit"] == 0
    kept = await _log(world, limit=1000)
    assert any(r["action"] == "retention.purge" and r["actor"] == "system"
               and r["detail"]["audit"] == 0 for r in kept)
    async for db in transaction(app.state.db):
        counts = await purge(db, settings, now=utcnow() + timedelta(days=366))
    assert counts["audit"] == len(kept)
    left = await _log(world, limit=1000)
    assert [r["action"] for r in left] == ["retention.purge"]  # only this purge's own record


async def test_a_password_sign_in_and_sign_out_are_recorded(world: World) -> None:
    browser = world.clients.new()
    assert (await login(browser, "fb@trust.nhs.uk", PASSWORD)).status_code == 200
    assert (await browser.post("/api/v1/auth/logout")).status_code == 204
    rows = await _log(world, actor_id=world.fb_id)
    assert [r["action"] for r in rows][:2] == ["sign_out", "sign_in"]
