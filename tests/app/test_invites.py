from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from app.core.db import transaction, utcnow
from app.core.security import token_hash
from app.invites.models import Invite
from tests.app.conftest import World, token_of


async def accept(world: World, token: str, name: str = "Dr Ada") -> Any:
    return await world.clients.new().post(
        "/api/v1/invites/accept", json={"token": token, "display_name": name}
    )


async def test_link_is_shown_once_and_only_its_hash_is_stored(world: World, app: Any) -> None:
    created = await world.invite(label="for Ada")
    token = token_of(created["link"])
    assert created["link"].startswith("http://testserver/join#")
    assert len(token) >= 43  # 256 bits in base64url
    listed = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/invites")).json()
    assert listed[0]["id"] == created["id"]
    assert token not in str(listed) and "link" not in listed[0]
    async for db in transaction(app.state.db):
        stored = await db.scalar(select(Invite))
        assert stored is not None
        assert stored.token_hash == token_hash(token) != token


async def test_resolve_shows_group_rules_and_next_session(world: World) -> None:
    session = await world.session()
    token = token_of((await world.invite())["link"])
    preview = (
        await world.clients.new().post("/api/v1/invites/resolve", json={"token": token})
    ).json()
    assert preview["valid"] is True and preview["reason"] is None
    assert preview["group_name"] == world.group_a["name"]
    assert preview["group_timezone"] == "Europe/London"
    assert preview["ground_rules"] == world.group_a["ground_rules"]
    assert preview["next_session"]["id"] == session["id"]


async def test_personal_invite_is_single_use(world: World) -> None:
    token = token_of((await world.invite())["link"])
    first = await accept(world, token)
    assert first.status_code == 201
    assert first.json()["role"] == "member"
    assert "rounds_device" in first.cookies
    replay = await accept(world, token, "Dr Mallory")
    assert replay.status_code == 410
    assert replay.json()["error"] == "invite_used"
    preview = await world.clients.new().post("/api/v1/invites/resolve", json={"token": token})
    assert preview.json() | {"valid": False, "reason": "invite_used"} == preview.json()
    members = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/members")).json()
    assert [m["display_name"] for m in members if m["role"] == "member"] == ["Dr Ada"]


async def test_group_invite_is_capped(world: World) -> None:
    token = token_of((await world.invite(kind="group", max_uses=3))["link"])
    results = [await accept(world, token, f"Dr {n}") for n in "ABCD"]
    assert [r.status_code for r in results] == [201, 201, 201, 410]
    listed = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/invites")).json()
    assert listed[0]["uses"] == 3 and listed[0]["status"] == "used"


async def test_racing_for_the_last_use_lets_exactly_one_in(world: World) -> None:
    token = token_of((await world.invite())["link"])
    results = await asyncio.gather(*(accept(world, token, f"Dr {n}") for n in range(5)))
    assert sorted(r.status_code for r in results) == [201, 410, 410, 410, 410]
    members = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/members")).json()
    assert len([m for m in members if m["role"] == "member"]) == 1


async def test_revoking_stops_the_next_use(world: World) -> None:
    created = await world.invite(kind="group", max_uses=5)
    token = token_of(created["link"])
    assert (await accept(world, token)).status_code == 201
    revoked = await world.fa.post(f"/api/v1/invites/{created['id']}/revoke")
    assert revoked.json()["status"] == "revoked"
    refused = await accept(world, token, "Dr Late")
    assert refused.status_code == 410
    assert refused.json()["error"] == "invite_revoked"
    assert "new link" in refused.json()["detail"]


async def test_expiry_stops_the_next_use(world: World, app: Any) -> None:
    created = await world.invite()
    async for db in transaction(app.state.db):
        await db.execute(update(Invite).values(expires_at=utcnow() - timedelta(seconds=1)))
    token = token_of(created["link"])
    preview = (
        await world.clients.new().post("/api/v1/invites/resolve", json={"token": token})
    ).json()
    assert preview["valid"] is False and preview["reason"] == "invite_expired"
    assert preview["ground_rules"] is None and preview["next_session"] is None
    refused = await accept(world, token)
    assert refused.status_code == 410
    assert refused.json()["error"] == "invite_expired"


async def test_a_full_group_refuses_new_members(world: World) -> None:
    await world.fa.patch(f"/api/v1/groups/{world.group_a['id']}", json={"size_limit": 2})
    token = token_of((await world.invite(kind="group", max_uses=10))["link"])
    assert [(await accept(world, token, f"Dr {n}")).status_code for n in "AB"] == [201, 201]
    full = await accept(world, token, "Dr C")
    assert full.status_code == 409
    assert full.json()["error"] == "group_full"
    listed = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/invites")).json()
    assert listed[0]["uses"] == 2  # the refused attempt used nothing


async def test_bad_tokens_and_bodies(world: World) -> None:
    anon = world.clients.new()
    unknown = await anon.post("/api/v1/invites/resolve", json={"token": "x" * 43})
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "invite_not_found"
    for body in (
        {},
        {"token": ""},
        {"token": "t" * 201},
        {"token": 5},
        {"token": "abc", "display_name": ""},
        {"token": "abc", "extra": 1},
    ):
        response = await anon.post("/api/v1/invites/accept", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"] == "invalid_request"
    not_json = await anon.post(
        "/api/v1/invites/accept", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    token = token_of((await world.invite())["link"])
    blank = await accept(world, token, "   ")
    assert blank.status_code == 422
    assert blank.json()["error"] == "bad_display_name"
    assert (await accept(world, token, "  Dr   Ada  ")).json()["display_name"] == "Dr Ada"


async def test_invites_cannot_grant_facilitation(world: World) -> None:
    response = await world.fa.post(
        f"/api/v1/groups/{world.group_a['id']}/invites", json={"role": "facilitator"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == "bad_role"


async def test_another_facilitator_cannot_revoke(world: World) -> None:
    created = await world.invite()
    response = await world.fb.post(f"/api/v1/invites/{created['id']}/revoke")
    assert response.status_code == 403
    listed = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/invites")).json()
    assert listed[0]["status"] == "active"
    assert (
        await world.clients.new().post(f"/api/v1/invites/{created['id']}/revoke")
    ).status_code == 401


async def test_two_invites_racing_for_the_last_place_let_one_in(world: World) -> None:
    await world.fa.patch(f"/api/v1/groups/{world.group_a['id']}", json={"size_limit": 2})
    await world.doctor("Dr Ada")
    tokens = [token_of((await world.invite())["link"]) for _ in range(4)]
    results = await asyncio.gather(*(accept(world, t, f"Dr {i}") for i, t in enumerate(tokens)))
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
    members = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/members")).json()
    assert len([m for m in members if m["role"] == "member"]) == 2
    listed = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/invites")).json()
    assert sum(i["uses"] for i in listed) == 2  # the refused accepts used nothing
