"""The facilitator's room controls over the real `/rtc`: admitting from the room, locking it,
a late joiner who gets the whole state at once and a turn at the end, removing a member (their
connection closes, their invite stops working), and server-side mutes."""

from __future__ import annotations

import pytest

from rtc.client import Client
from tests.facilitation.stage import Stage, error, eventually, send, state


async def test_lobby_lock_late_joiner_and_remove(sqlite_stage: Stage) -> None:
    stage = sqlite_stage
    await stage.build(members=3, co_facilitator=False)
    fac, (m1, m2, m3) = stage.fac, stage.members
    sid = stage.session["id"]
    await stage.enter(fac)
    await stage.enter(m1)
    mark = await send(fac, "phase", action="start")
    await state(fac, lambda s: s["phase"]["status"] == "running", since=mark)
    mark = await send(fac, "round", action="setup", rule="manual", order=[m1.id])
    await state(fac, lambda s: s["round"] and len(s["round"]["turns"]) == 1, since=mark)
    mark = await send(fac, "round", action="start")
    await state(m1, lambda s: s["round"]["speaker"] == m1.id, since=mark)

    # admitted from the room (a `control` message), then a late joiner: state at once, a turn
    waiting = await m2.http.post(f"/api/v1/sessions/{sid}/join", json={"ground_rules_version": 1})
    assert waiting.status_code == 202
    mark = await send(m1, "control", action="admit", participant_id=m2.id)
    assert await error(m1, mark) == "not_in_control"
    mark = await send(fac, "control", action="admit", participant_id=m2.id)
    await state(fac, lambda s: s["lobby"] == [], since=mark)
    await stage.enter(m2)  # no lobby any more: admitted
    late = await state(m2, timeout=2)
    assert late["round"]["speaker"] == m1.id and late["round"]["deadline"] is not None
    assert [t["participant_id"] for t in late["round"]["turns"]] == [m1.id, m2.id]

    # a locked room turns late arrivals away
    mark = await send(fac, "control", action="lock")
    await state(fac, lambda s: s["locked"], since=mark)
    locked = await m3.http.post(f"/api/v1/sessions/{sid}/join", json={"ground_rules_version": 1})
    assert locked.status_code == 403 and locked.json()["error"] == "room_locked"

    # server-side mute, seen by everyone as forced_mute
    mark = await send(fac, "control", action="mute", participant_id=m2.id)
    await m1.rtc.expect("mute_state", since=mark[id(m1.rtc)],
                        where=lambda m: m["participant"] == m2.id and m["forced_mute"])
    mark = await send(fac, "control", action="unmute", participant_id=m2.id)
    await m1.rtc.expect("mute_state", since=mark[id(m1.rtc)],
                        where=lambda m: m["participant"] == m2.id and not m["forced_mute"])

    # removing a member closes their connection and stops their invite
    mark = await send(fac, "control", action="remove", participant_id=m2.id)
    await eventually(lambda: m2.rtc.messages[-1].get("code") == 4008, what="m2 removed")
    gone = await state(fac, lambda s: all(t["participant_id"] != m2.id or not t["connected"]
                                          for t in s["round"]["turns"]), since=mark)
    assert gone["round"]["speaker"] == m1.id
    again = await m2.http.post(f"/api/v1/sessions/{sid}/join", json={"ground_rules_version": 1})
    assert again.status_code in (401, 403, 410), again.text
    # the old join token has not expired, but it is refused at the door: nothing of the room
    # (not even who is in it) reaches them, and nobody sees them come and go
    seen = len(fac.rtc.messages)
    refused = Client(stage.ws, m2.token)
    with pytest.raises(RuntimeError, match="server error removed"):
        await refused.connect(publish=False)
    assert [m["type"] for m in refused.messages] == ["hello", "error"]
    assert not [m for m in fac.rtc.messages[seen:] if m["type"] in ("peer_joined", "peer_left")]


async def test_remove_names_someone_in_this_session_and_spares_shared_links(
    sqlite_stage: Stage,
) -> None:
    stage = sqlite_stage
    await stage.build(members=1, co_facilitator=False)
    fac, (m1,) = stage.fac, stage.members
    gid = stage.group["id"]
    shared = await stage.ok(fac.http.post(f"/api/v1/groups/{gid}/invites",
                                          json={"kind": "group", "max_uses": 5}))
    sharer = stage.browser("Dr Shared")
    joined = await stage.ok(sharer.http.post("/api/v1/invites/accept", json={
        "token": shared["link"].split("#", 1)[1], "display_name": "Dr Shared"}))
    sharer.id = joined["member_id"]
    await stage.enter(fac)
    await stage.enter(m1)
    await stage.enter(sharer)

    # someone who is not in this session (here: a made-up id) cannot be removed
    mark = await send(fac, "control", action="remove", participant_id="not-a-participant")
    assert await error(fac, mark) == "not_present"

    # removing a member who came by a shared link does not break that link for the others
    mark = await send(fac, "control", action="remove", participant_id=sharer.id)
    await eventually(lambda: sharer.rtc.messages[-1].get("code") == 4008, what="removed")
    invites = await stage.ok(fac.http.get(f"/api/v1/groups/{gid}/invites"))
    assert next(i for i in invites if i["id"] == shared["id"])["status"] == "active"


async def test_ending_a_membership_takes_them_out_of_the_room(sqlite_stage: Stage) -> None:
    stage = sqlite_stage
    await stage.build(members=1, co_facilitator=False)
    fac, (m1,) = stage.fac, stage.members
    await stage.enter(fac)
    await stage.enter(m1)
    await stage.ok(fac.http.post(f"/api/v1/members/{m1.id}/end"))
    # closed with `revoked` (4009): the page says the membership has ended, not that a
    # facilitator removed them from this session (4008)
    await eventually(lambda: m1.rtc.messages[-1].get("code") == 4009, what="m1 disconnected")
    refused = await m1.http.post(f"/api/v1/sessions/{stage.session['id']}/join",
                                 json={"ground_rules_version": 1})
    assert refused.status_code == 401  # the device no longer holds a membership
