"""A doctor's own device across its visits: the same invite opened twice, leaving by forgetting
the device, and finding an ended session of their group (issue 11, items 3, 5 and 10)."""

from __future__ import annotations

from typing import Any

from tests.app.conftest import World, token_of


async def members_of(world: World, *, include_ended: bool = False) -> list[dict[str, Any]]:
    query = "?include_ended=true" if include_ended else ""
    found = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/members{query}")).json()
    return [m for m in found if m["role"] == "member"]


async def test_a_shared_link_opened_again_on_the_same_device_makes_no_second_member(
    world: World,
) -> None:
    created = await world.invite(kind="group", max_uses=5)
    token = token_of(created["link"])
    browser = world.clients.new()
    first = await browser.post(
        "/api/v1/invites/accept", json={"token": token, "display_name": "Ben"}
    )
    assert first.status_code == 201 and first.json()["already_member"] is False

    preview = (await browser.post("/api/v1/invites/resolve", json={"token": token})).json()
    assert preview["already_member"] is True
    assert preview["group_id"] == world.group_a["id"]
    assert preview["display_name"] == "Ben"
    assert preview["group_name"] == world.group_a["name"]

    again = await browser.post(
        "/api/v1/invites/accept", json={"token": token, "display_name": "Ben again"}
    )
    assert again.status_code == 200
    assert again.json() | {"already_member": True, "display_name": "Ben"} == again.json()
    assert again.json()["member_id"] == first.json()["member_id"]

    assert [m["display_name"] for m in await members_of(world)] == ["Ben"]
    listed = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/invites")).json()
    assert listed[0]["uses"] == 1
    mine = (await browser.get("/api/v1/me/memberships")).json()
    assert [m["display_name"] for m in mine] == ["Ben"]

    # another device with the same link is someone else: a second member, a second use
    other = await world.clients.new().post(
        "/api/v1/invites/accept", json={"token": token, "display_name": "Cara"}
    )
    assert other.status_code == 201
    preview = (
        await world.clients.new().post("/api/v1/invites/resolve", json={"token": token})
    ).json()
    assert preview["already_member"] is False and preview["group_id"] is None


async def test_a_used_personal_link_reopened_on_its_device_says_already_in(world: World) -> None:
    token = token_of((await world.invite())["link"])
    browser = world.clients.new()
    joined = await browser.post(
        "/api/v1/invites/accept", json={"token": token, "display_name": "Dr Ada"}
    )
    assert joined.status_code == 201
    preview = (await browser.post("/api/v1/invites/resolve", json={"token": token})).json()
    assert preview | {"already_member": True, "reason": "invite_used"} == preview
    stranger = (
        await world.clients.new().post("/api/v1/invites/resolve", json={"token": token})
    ).json()
    assert stranger == {**stranger, "valid": False, "reason": "invite_used",
                        "already_member": False, "display_name": None}


async def test_a_device_that_left_joins_again_as_a_new_member(world: World) -> None:
    created = await world.invite(kind="group", max_uses=5)
    token = token_of(created["link"])
    browser = world.clients.new()
    first = (
        await browser.post("/api/v1/invites/accept", json={"token": token, "display_name": "Di"})
    ).json()
    left = await browser.post(f"/api/v1/me/memberships/{first['member_id']}/leave")
    assert left.status_code == 204
    preview = (await browser.post("/api/v1/invites/resolve", json={"token": token})).json()
    assert preview["already_member"] is False and preview["valid"] is True
    again = await browser.post(
        "/api/v1/invites/accept", json={"token": token, "display_name": "Di"}
    )
    assert again.status_code == 201 and again.json()["member_id"] != first["member_id"]


async def test_forgetting_the_device_leaves_its_groups(world: World) -> None:
    browser, joined = await world.doctor("Dr Ada")
    link = (await world.invite(group=world.group_b, client=world.fb))["link"]
    other = await browser.post(
        "/api/v1/invites/accept", json={"token": token_of(link), "display_name": "Ada"}
    )
    assert other.status_code == 201
    stays, _ = await world.doctor("Dr Bo")  # another device in the same group is untouched

    assert (await browser.post("/api/v1/me/forget")).status_code == 204

    history = {m["id"]: m for m in await members_of(world, include_ended=True)}
    assert history[joined["member_id"]]["ended_at"] is not None
    assert [m["display_name"] for m in await members_of(world)] == ["Dr Bo"]
    in_b = (await world.fb.get(f"/api/v1/groups/{world.group_b['id']}/members")).json()
    assert other.json()["member_id"] not in [m["id"] for m in in_b]
    assert len((await stays.get("/api/v1/me/memberships")).json()) == 1


async def test_the_lobby_finds_an_ended_session_of_the_device_group(world: World) -> None:
    browser, joined = await world.doctor("Dr Ada")
    session = await world.session(status="open")
    ended = await world.fa.patch(f"/api/v1/sessions/{session['id']}", json={"status": "ended"})
    assert ended.status_code == 200
    found = await browser.get(f"/api/v1/me/sessions/{session['id']}")
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["session"]["status"] == "ended"
    assert body["group"]["id"] == world.group_a["id"]
    assert body["member_id"] == joined["member_id"] and body["display_name"] == "Dr Ada"

    elsewhere = await world.session(client=world.fb, group=world.group_b)
    refused = await browser.get(f"/api/v1/me/sessions/{elsewhere['id']}")
    assert refused.status_code == 404 and refused.json()["error"] == "session_not_found"
    stranger = await world.clients.new().get(f"/api/v1/me/sessions/{session['id']}")
    assert stranger.status_code == 404
