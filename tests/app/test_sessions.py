from __future__ import annotations

from app.core.config import Settings, derived_key
from rtc import jointoken
from tests.app.conftest import World


async def test_schedule_and_list(world: World) -> None:
    session = await world.session()
    assert session["status"] == "scheduled"
    listed = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/sessions")).json()
    assert [s["id"] for s in listed] == [session["id"]]
    naive = await world.fa.post(
        f"/api/v1/groups/{world.group_a['id']}/sessions",
        json={"scheduled_start": "2030-01-01T12:00:00"},
    )
    assert naive.status_code == 422  # a time without a timezone is ambiguous
    too_long = await world.fa.post(
        f"/api/v1/groups/{world.group_a['id']}/sessions",
        json={"scheduled_start": "2030-01-01T12:00:00Z", "duration_minutes": 10000},
    )
    assert too_long.status_code == 422


async def test_status_moves_forward_only(world: World) -> None:
    session = await world.session(status="open")
    sid = session["id"]
    live = await world.fa.patch(f"/api/v1/sessions/{sid}", json={"status": "live"})
    assert live.json()["status"] == "live" and live.json()["started_at"]
    back = await world.fa.patch(f"/api/v1/sessions/{sid}", json={"status": "open"})
    assert back.status_code == 409 and back.json()["error"] == "bad_transition"
    ended = await world.fa.patch(f"/api/v1/sessions/{sid}", json={"status": "ended"})
    assert ended.json()["ended_at"]
    frozen = await world.fa.patch(f"/api/v1/sessions/{sid}", json={"title": "again"})
    assert frozen.status_code == 409 and frozen.json()["error"] == "session_ended"
    assert (await world.fb.get(f"/api/v1/sessions/{sid}")).status_code == 403


async def test_join_needs_the_current_ground_rules(world: World, settings: Settings) -> None:
    browser, joined = await world.doctor("Dr Ada")
    session = await world.session(status="open")
    old = await browser.post(
        f"/api/v1/sessions/{session['id']}/join", json={"ground_rules_version": 0}
    )
    assert old.status_code == 422
    await world.fa.patch(
        f"/api/v1/groups/{world.group_a['id']}", json={"ground_rules": "New rules."}
    )
    stale = await browser.post(
        f"/api/v1/sessions/{session['id']}/join", json={"ground_rules_version": 1}
    )
    assert stale.status_code == 409 and stale.json()["error"] == "ground_rules_changed"
    waiting = await browser.post(
        f"/api/v1/sessions/{session['id']}/join", json={"ground_rules_version": 2}
    )
    assert waiting.status_code == 202 and waiting.json()["status"] == "waiting"
    lobby = (await world.fa.get(f"/api/v1/sessions/{session['id']}/state")).json()["state"]["lobby"]
    assert lobby == [{"participant_id": joined["member_id"], "name": "Dr Ada"}]
    admitted = await world.fa.post(
        f"/api/v1/sessions/{session['id']}/lobby/{joined['member_id']}/admit"
    )
    assert admitted.status_code == 200 and admitted.json()["state"]["lobby"] == []
    grant = await browser.post(
        f"/api/v1/sessions/{session['id']}/join", json={"ground_rules_version": 2}
    )
    assert grant.status_code == 200, grant.text
    body = grant.json()
    claims = jointoken.verify(derived_key(settings, "join-token"), body["token"])
    assert claims.room == session["id"]
    assert claims.participant == joined["member_id"] == body["participant_id"]
    assert claims.role == "member" and claims.name == "Dr Ada"
    assert body["signalling_path"] == "/rtc"
    assert body["ice_servers"] == []  # none configured: never a public default


async def test_who_may_join_when(world: World) -> None:
    browser, _ = await world.doctor("Dr Ada")
    scheduled = await world.session()
    early = await browser.post(
        f"/api/v1/sessions/{scheduled['id']}/join", json={"ground_rules_version": 1}
    )
    assert early.status_code == 409 and early.json()["error"] == "session_not_open"
    facilitator = await world.fa.post(
        f"/api/v1/sessions/{scheduled['id']}/join", json={"ground_rules_version": 1}
    )
    assert facilitator.status_code == 200 and facilitator.json()["role"] == "facilitator"
    other = await world.session(client=world.fb, group=world.group_b, status="open")
    refused = await browser.post(
        f"/api/v1/sessions/{other['id']}/join", json={"ground_rules_version": 1}
    )
    assert refused.status_code == 403 and refused.json()["error"] == "not_your_group"
    outsider = await world.fa.post(
        f"/api/v1/sessions/{other['id']}/join", json={"ground_rules_version": 1}
    )
    assert outsider.status_code == 403
    anonymous = await world.clients.new().post(
        f"/api/v1/sessions/{other['id']}/join", json={"ground_rules_version": 1}
    )
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "no_membership"
    ended = await world.fa.patch(f"/api/v1/sessions/{scheduled['id']}", json={"status": "ended"})
    assert ended.status_code == 200
    late = await world.fa.post(
        f"/api/v1/sessions/{scheduled['id']}/join", json={"ground_rules_version": 1}
    )
    assert late.status_code == 409


async def test_turn_credentials_only_with_a_join(world: World, settings: Settings) -> None:
    import base64
    import hashlib
    import hmac

    from app.sessions.ice import ice_servers_for

    configured = settings.model_copy(
        update={
            "ice_servers": [
                "stun:turn.trust.nhs.uk:3478",
                "turns:turn.trust.nhs.uk:443?transport=tcp",
            ],
            "turn_secret": __import__("pydantic").SecretStr("coturn-shared-secret"),
        }
    )
    servers = ice_servers_for(configured, now=1000)
    assert servers[0].urls == ["stun:turn.trust.nhs.uk:3478"] and servers[0].username is None
    turn = servers[1]
    expiry, nonce = turn.username.split(":")
    assert expiry == str(1000 + configured.turn_credential_seconds)
    assert len(nonce) == 16 and ice_servers_for(configured, now=1000)[1].username != turn.username
    expected = base64.b64encode(
        hmac.new(b"coturn-shared-secret", turn.username.encode(), hashlib.sha1).digest()
    ).decode()
    assert turn.credential == expected
