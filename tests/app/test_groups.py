from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core.db import transaction, utcnow
from app.ops.retention import purge
from tests.app.conftest import World


async def test_admin_creates_group_with_defaults(world: World) -> None:
    response = await world.admin.post("/api/v1/groups", json={"name": "GP trainees"})
    assert response.status_code == 201
    group = response.json()
    assert group["size_limit"] == 12
    assert group["ground_rules_version"] == 1
    assert "never records" in group["ground_rules"]
    assert group["timezone"] == "Europe/London"


async def test_facilitator_sees_only_their_groups(world: World) -> None:
    mine = await world.fa.get("/api/v1/groups")
    assert [g["id"] for g in mine.json()] == [world.group_a["id"]]
    everything = await world.admin.get("/api/v1/groups")
    assert {g["id"] for g in everything.json()} == {world.group_a["id"], world.group_b["id"]}


async def test_facilitator_cannot_touch_another_group(world: World) -> None:
    other = world.group_b["id"]
    refusals = [
        await world.fa.get(f"/api/v1/groups/{other}"),
        await world.fa.patch(f"/api/v1/groups/{other}", json={"name": "Mine now"}),
        await world.fa.post(f"/api/v1/groups/{other}/archive"),
        await world.fa.get(f"/api/v1/groups/{other}/members"),
        await world.fa.post(f"/api/v1/groups/{other}/invites", json={}),
        await world.fa.get(f"/api/v1/groups/{other}/invites"),
        await world.fa.get(f"/api/v1/groups/{other}/sessions"),
        await world.fa.post(
            f"/api/v1/groups/{other}/sessions", json={"scheduled_start": "2030-01-01T12:00:00Z"}
        ),
    ]
    for response in refusals:
        assert response.status_code == 403, response.request.url
        assert response.json()["error"] == "not_your_group"
    unchanged = await world.fb.get(f"/api/v1/groups/{other}")
    assert unchanged.json()["name"] == world.group_b["name"]
    assert unchanged.json()["archived_at"] is None


async def test_only_admin_creates_groups_and_assigns_facilitators(world: World) -> None:
    response = await world.fa.post("/api/v1/groups", json={"name": "Mine"})
    assert response.status_code == 403
    response = await world.fa.post(
        f"/api/v1/groups/{world.group_a['id']}/facilitators", json={"account_id": world.fb_id}
    )
    assert response.status_code == 403
    response = await world.admin.post(
        f"/api/v1/groups/{world.group_a['id']}/facilitators",
        json={"account_id": world.fb_id, "role": "co-facilitator"},
    )
    assert response.status_code == 201
    assert response.json()["role"] == "co-facilitator"
    again = await world.admin.post(
        f"/api/v1/groups/{world.group_a['id']}/facilitators", json={"account_id": world.fb_id}
    )
    assert again.status_code == 409
    # now B co-facilitates A and sees it
    assert {g["id"] for g in (await world.fb.get("/api/v1/groups")).json()} == {
        world.group_a["id"],
        world.group_b["id"],
    }


async def test_ground_rules_change_bumps_version(world: World) -> None:
    gid = world.group_a["id"]
    same = await world.fa.patch(
        f"/api/v1/groups/{gid}",
        json={"ground_rules": world.group_a["ground_rules"], "name": "Renamed"},
    )
    assert same.json()["ground_rules_version"] == 1
    assert same.json()["name"] == "Renamed"
    changed = await world.fa.patch(f"/api/v1/groups/{gid}", json={"ground_rules": "Be kind."})
    assert changed.json()["ground_rules_version"] == 2


async def test_group_validation(world: World) -> None:
    for body in (
        {"name": ""},
        {"name": "x", "size_limit": 13},
        {"name": "x", "size_limit": 1},
        {"name": "x", "timezone": "Mars/Olympus"},
        {"name": "x", "unknown": 1},
        {"name": "x", "facilitator_id": "not-a-uuid"},
    ):
        response = await world.admin.post("/api/v1/groups", json=body)
        assert response.status_code == 422, body
        assert response.json()["error"] == "invalid_request"
    ghost = await world.admin.post(
        "/api/v1/groups",
        json={"name": "x", "facilitator_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert ghost.status_code == 422
    assert ghost.json()["error"] == "unknown_account"
    # nothing was written by the refused requests
    assert len((await world.admin.get("/api/v1/groups")).json()) == 2


async def test_archive_stops_changes_and_invites(world: World) -> None:
    gid = world.group_a["id"]
    link = (await world.invite())["link"]
    archived = await world.fa.post(f"/api/v1/groups/{gid}/archive")
    assert archived.status_code == 200
    assert archived.json()["archived_at"] is not None
    assert (await world.fa.patch(f"/api/v1/groups/{gid}", json={"name": "n"})).status_code == 410
    assert (await world.fa.get("/api/v1/groups")).json() == []
    assert len((await world.fa.get("/api/v1/groups?archived=true")).json()) == 1
    preview = await world.clients.new().post(
        "/api/v1/invites/resolve", json={"token": link.split("#")[1]}
    )
    assert preview.json()["valid"] is False
    assert preview.json()["reason"] == "group_archived"
    accept = await world.clients.new().post(
        "/api/v1/invites/accept", json={"token": link.split("#")[1], "display_name": "Dr Late"}
    )
    assert accept.status_code == 410
    assert accept.json()["error"] == "group_archived"


async def test_unknown_group(world: World) -> None:
    response = await world.admin.get("/api/v1/groups/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.json()["error"] == "group_not_found"
    malformed = await world.admin.get("/api/v1/groups/not-a-uuid")
    assert malformed.status_code == 422


async def test_a_group_has_at_most_four_facilitators(world: World) -> None:
    gid = world.group_a["id"]
    for i in range(3):
        account = await world.admin.post(
            "/api/v1/accounts",
            json={"email": f"co{i}@trust.nhs.uk", "display_name": f"Co {i}", "password": "x" * 12},
        )
        added = await world.admin.post(
            f"/api/v1/groups/{gid}/facilitators",
            json={"account_id": account.json()["id"], "role": "co-facilitator"},
        )
        assert added.status_code == 201
    fifth = await world.admin.post(
        f"/api/v1/groups/{gid}/facilitators",
        json={"account_id": world.fb_id, "role": "co-facilitator"},
    )
    assert fifth.status_code == 409 and fifth.json()["error"] == "too_many_facilitators"


def test_a_full_group_and_its_facilitators_fit_in_the_room() -> None:
    from app.core.config import Settings
    from app.groups.models import MAX_GROUP_SIZE
    from app.media import rtc_config
    from app.members.models import MAX_FACILITATORS

    config = rtc_config(Settings(data_dir="/nonexistent"))
    assert config.max_participants >= MAX_GROUP_SIZE + MAX_FACILITATORS


async def test_archiving_ends_the_groups_sessions_and_refuses_joins(world: World) -> None:
    browser, _ = await world.doctor("Dr Ada")
    session = await world.session(status="open")
    archived = await world.fa.post(f"/api/v1/groups/{world.group_a['id']}/archive")
    assert archived.status_code == 200
    listed = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/sessions")).json()
    assert [s["status"] for s in listed if s["id"] == session["id"]] == ["ended"]
    join = await browser.post(f"/api/v1/sessions/{session['id']}/join",
                              json={"ground_rules_version": 1})
    # Archiving ended the doctor's membership too: this browser holds none any more.
    assert join.status_code == 401 and join.json()["error"] == "no_membership"


async def test_archiving_ends_every_membership_so_retention_purges_them(
    world: World, app: Any
) -> None:
    """Memberships of an archived group end with it (doctors' and facilitators'), so the
    retention purge deletes them on schedule; the facilitator still sees the archived group."""
    _, doctor = await world.doctor("Dr Ada")
    gid = world.group_a["id"]
    assert (await world.fa.post(f"/api/v1/groups/{gid}/archive")).status_code == 200
    members = (await world.fa.get(f"/api/v1/groups/{gid}/members",
                                  params={"include_ended": "true"})).json()
    assert {m["display_name"] for m in members} == {"Dr Ada", "Dr A Facilitator"}
    assert all(m["ended_at"] is not None for m in members)
    assert (await world.fa.get(f"/api/v1/groups/{gid}/members")).json() == []
    assert len((await world.fa.get("/api/v1/groups?archived=true")).json()) == 1
    async for db in transaction(app.state.db):
        counts = await purge(db, app.state.settings, now=utcnow() + timedelta(days=91))
    assert counts["members"] == 2
    assert (await world.admin.get(f"/api/v1/groups/{gid}/members",
                                  params={"include_ended": "true"})).json() == []
    assert doctor["member_id"]
