from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.app.conftest import World, token_of


async def test_a_doctor_sees_only_their_own_groups(world: World) -> None:
    browser, joined = await world.doctor("Dr Ada")
    mine = (await browser.get("/api/v1/me/memberships")).json()
    assert [m["group"]["id"] for m in mine] == [world.group_a["id"]]
    assert mine[0]["display_name"] == "Dr Ada" and mine[0]["role"] == "member"
    # a member is not a facilitator: no group management, no other group
    assert (await browser.get(f"/api/v1/groups/{world.group_a['id']}")).status_code == 401
    assert (await browser.get(f"/api/v1/groups/{world.group_a['id']}/members")).status_code == 401
    assert (await browser.get(f"/api/v1/groups/{world.group_b['id']}")).status_code == 401


async def test_one_browser_can_belong_to_two_groups(world: World) -> None:
    browser, _ = await world.doctor("Dr Ada")
    link = (await world.invite(client=world.fb, group=world.group_b))["link"]
    response = await browser.post(
        "/api/v1/invites/accept", json={"token": token_of(link), "display_name": "Dr Ada"}
    )
    assert response.status_code == 201
    mine = (await browser.get("/api/v1/me/memberships")).json()
    assert {m["group"]["id"] for m in mine} == {world.group_a["id"], world.group_b["id"]}


async def test_ending_a_membership_closes_the_device_at_once(world: World) -> None:
    browser, joined = await world.doctor("Dr Ada")
    ended = await world.fa.post(f"/api/v1/members/{joined['member_id']}/end")
    assert ended.status_code == 200 and ended.json()["ended_at"] is not None
    assert (await browser.get("/api/v1/me/memberships")).json() == []
    current = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/members")).json()
    assert joined["member_id"] not in [m["id"] for m in current]
    history = (
        await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/members?include_ended=true")
    ).json()
    assert joined["member_id"] in [m["id"] for m in history]


async def test_readmission_is_a_new_membership_and_history_stays(world: World) -> None:
    browser, first = await world.doctor("Dr Ada")
    await world.fa.post(f"/api/v1/members/{first['member_id']}/end")
    link = (await world.invite())["link"]
    again = await browser.post(
        "/api/v1/invites/accept", json={"token": token_of(link), "display_name": "Dr Ada"}
    )
    assert again.status_code == 201
    assert again.json()["member_id"] != first["member_id"]
    mine = (await browser.get("/api/v1/me/memberships")).json()
    assert [m["member_id"] for m in mine] == [again.json()["member_id"]]
    history = (
        await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/members?include_ended=true")
    ).json()
    assert [m["display_name"] for m in history].count("Dr Ada") == 2


async def test_rotation_end_date_in_the_future(world: World) -> None:
    browser, joined = await world.doctor("Dr Ada")
    end = (datetime.now(UTC) + timedelta(days=120)).isoformat()
    response = await world.fa.patch(
        f"/api/v1/members/{joined['member_id']}", json={"ended_at": end}
    )
    assert response.status_code == 200
    assert len((await browser.get("/api/v1/me/memberships")).json()) == 1
    before_start = (datetime.now(UTC) - timedelta(days=3650)).isoformat()
    bad = await world.fa.patch(
        f"/api/v1/members/{joined['member_id']}", json={"ended_at": before_start}
    )
    assert bad.status_code == 422 and bad.json()["error"] == "bad_dates"
    member = [
        m
        for m in (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/members")).json()
        if m["id"] == joined["member_id"]
    ][0]
    assert member["ended_at"].startswith(end[:10])  # the refused change wrote nothing


async def test_roles(world: World) -> None:
    _, joined = await world.doctor("Dr Ada")
    refused = await world.fa.patch(
        f"/api/v1/members/{joined['member_id']}", json={"role": "co-facilitator"}
    )
    assert refused.status_code == 422 and refused.json()["error"] == "needs_account"
    other = await world.fb.patch(f"/api/v1/members/{joined['member_id']}", json={"role": "member"})
    assert other.status_code == 403
    other_end = await world.fb.post(f"/api/v1/members/{joined['member_id']}/end")
    assert other_end.status_code == 403


async def test_forget_this_device(world: World) -> None:
    browser, joined = await world.doctor("Dr Ada")
    cookie = browser.cookies.get("rounds_device")
    response = await browser.post("/api/v1/me/forget")
    assert response.status_code == 204
    assert "rounds_device" not in browser.cookies
    assert (await browser.get("/api/v1/me/memberships")).json() == []
    # the old cookie no longer works either: the key was removed on the server
    thief = world.clients.new()
    thief.cookies.set("rounds_device", cookie)
    assert (await thief.get("/api/v1/me/memberships")).json() == []
    # the doctor has left the group, as with "leave": the facilitator sees the membership end
    current = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/members")).json()
    assert joined["member_id"] not in [m["id"] for m in current]


async def test_forged_device_cookie_is_ignored(world: World) -> None:
    browser, _ = await world.doctor("Dr Ada")
    value = browser.cookies.get("rounds_device")
    assert value
    forged = world.clients.new()
    forged.cookies.set("rounds_device", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert (await forged.get("/api/v1/me/memberships")).json() == []
    garbage = world.clients.new()
    garbage.cookies.set("rounds_device", "x.y.z")
    assert (await garbage.get("/api/v1/me/memberships")).json() == []


async def test_a_doctor_can_leave_a_group_and_be_readmitted(world: World) -> None:
    browser, joined = await world.doctor("Dr Ada")
    other, _ = await world.doctor("Dr Bo")
    refused = await other.post(f"/api/v1/me/memberships/{joined['member_id']}/leave")
    assert refused.status_code == 404  # one device cannot end another's membership
    left = await browser.post(f"/api/v1/me/memberships/{joined['member_id']}/leave")
    assert left.status_code == 204
    assert (await browser.get("/api/v1/me/memberships")).json() == []
    history = (
        await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/members?include_ended=true")
    ).json()
    assert [m["ended_at"] is not None for m in history if m["id"] == joined["member_id"]] == [True]
    link = (await world.invite())["link"]
    again = await browser.post(
        "/api/v1/invites/accept", json={"token": token_of(link), "display_name": "Dr Ada"}
    )
    assert again.status_code == 201


async def test_dates_without_a_timezone_are_refused_not_crashing(world: World) -> None:
    _, joined = await world.doctor("Dr Ada")
    for body in ({"ended_at": "2030-01-01T00:00:00"}, {"started_at": "2020-01-01T00:00:00"}):
        response = await world.fa.patch(f"/api/v1/members/{joined['member_id']}", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"] == "invalid_request"


async def test_a_co_facilitator_cannot_remove_or_demote_the_facilitator(world: World) -> None:
    gid = world.group_a["id"]
    added = await world.admin.post(f"/api/v1/groups/{gid}/facilitators",
                                   json={"account_id": world.fb_id, "role": "co-facilitator"})
    assert added.status_code == 201
    members = (await world.fa.get(f"/api/v1/groups/{gid}/members")).json()
    lead = next(m for m in members if m["role"] == "facilitator")
    for attempt in (world.fb.patch(f"/api/v1/members/{lead['id']}", json={"role": "member"}),
                    world.fb.post(f"/api/v1/members/{lead['id']}/end")):
        response = await attempt
        assert response.status_code == 403 and response.json()["error"] == "facilitator_only"
    _, joined = await world.doctor("Dr Ada")
    assert (await world.fb.post(f"/api/v1/members/{joined['member_id']}/end")).status_code == 200
    members = (await world.fa.get(f"/api/v1/groups/{gid}/members")).json()
    assert any(m["id"] == lead["id"] and m["role"] == "facilitator" for m in members)
