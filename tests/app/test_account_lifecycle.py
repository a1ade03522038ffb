"""Offboarding: deleting an account (and what happens to its groups) and demoting an admin."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from app.core.db import transaction
from app.members.models import Member
from tests.app.conftest import PASSWORD, World, login


async def _audit(world: World, action: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (
        await world.admin.get("/api/v1/audit", params={"action": action})).json()
    return rows


async def test_the_only_facilitator_of_an_active_group_is_not_deleted(world: World) -> None:
    response = await world.admin.delete(f"/api/v1/accounts/{world.fa_id}")
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "sole_facilitator"
    assert "FY1 Tuesday group" in response.json()["detail"]
    assert (await world.fa.get("/api/v1/auth/me")).status_code == 200


async def test_deleting_ends_their_places_and_their_sign_in(world: World, app: Any) -> None:
    gid = world.group_a["id"]
    # Someone else facilitates the group too, so it is not left without a facilitator.
    added = await world.admin.post(f"/api/v1/groups/{gid}/facilitators",
                                   json={"account_id": world.fb_id, "role": "co-facilitator"})
    assert added.status_code == 201, added.text
    response = await world.admin.delete(f"/api/v1/accounts/{world.fa_id}")
    assert response.status_code == 204, response.text

    assert (await world.fa.get("/api/v1/auth/me")).status_code == 401
    assert (await login(world.clients.new(), "fa@trust.nhs.uk", PASSWORD)).status_code == 401
    ids = {a["id"] for a in (await world.admin.get("/api/v1/accounts")).json()}
    assert world.fa_id not in ids
    # Their place in the group ended (history until retention), with no email left on it.
    members = (await world.admin.get(f"/api/v1/groups/{gid}/members",
                                     params={"include_ended": "true"})).json()
    theirs = [m for m in members if m["display_name"] == "Dr A Facilitator"]
    assert len(theirs) == 1 and theirs[0]["ended_at"] is not None
    async for db in transaction(app.state.db):
        emails = set(await db.scalars(
            select(Member.email).where(Member.group_id == uuid.UUID(gid))))
    assert "fa@trust.nhs.uk" not in emails
    # fb still runs the group.
    assert gid in {g["id"] for g in (await world.fb.get("/api/v1/groups")).json()}
    assert [r["object_id"] for r in await _audit(world, "account.delete")] == [world.fa_id]
    assert [r["object_id"] for r in await _audit(world, "facilitator.remove")] \
        == [theirs[0]["id"]]


async def test_an_account_in_an_archived_group_only_is_deleted(world: World) -> None:
    archived = await world.admin.post(f"/api/v1/groups/{world.group_b['id']}/archive")
    assert archived.status_code == 200
    assert (await world.admin.delete(f"/api/v1/accounts/{world.fb_id}")).status_code == 204


async def test_not_oneself_nor_the_last_admin(world: World) -> None:
    me = (await world.admin.get("/api/v1/auth/me")).json()["id"]
    response = await world.admin.delete(f"/api/v1/accounts/{me}")
    assert response.status_code == 409 and response.json()["error"] == "cannot_delete_self"
    # Only an admin deletes; an unknown account is a 404.
    assert (await world.fa.delete(f"/api/v1/accounts/{world.fb_id}")).status_code == 403
    missing = await world.admin.delete("/api/v1/accounts/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


async def test_an_admin_deletes_another_and_the_last_admin_stays(world: World) -> None:
    me = (await world.admin.get("/api/v1/auth/me")).json()["id"]
    promoted = await world.admin.patch(f"/api/v1/accounts/{world.fb_id}",
                                       json={"is_admin": True})
    assert promoted.status_code == 200
    # fb (now an admin) deletes the first admin: fine, fb remains an admin.
    fb = world.fb
    assert (await fb.delete(f"/api/v1/accounts/{me}")).status_code == 204
    # Now fb is the last active admin: demoting fb is refused, and only another admin could
    # delete fb at all.
    demoted = await fb.patch(f"/api/v1/accounts/{world.fb_id}", json={"is_admin": False})
    assert demoted.status_code == 409 and demoted.json()["error"] == "last_admin"


async def test_demoting_is_audited_and_takes_effect(world: World) -> None:
    assert (await world.admin.patch(f"/api/v1/accounts/{world.fa_id}",
                                    json={"is_admin": True})).status_code == 200
    assert (await world.fa.get("/api/v1/accounts")).status_code == 200
    assert (await world.admin.patch(f"/api/v1/accounts/{world.fa_id}",
                                    json={"is_admin": False})).status_code == 200
    assert (await world.fa.get("/api/v1/accounts")).status_code == 403
    assert [r["object_id"] for r in await _audit(world, "account.demote")] == [world.fa_id]
