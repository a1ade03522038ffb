"""Admission is checked for as long as someone is in, not only at the door (issue 17): an ended
membership, a removed member or an ended session's room cannot be re-entered with a join token
issued earlier (one that has not expired), also after a restart; a membership whose end date
comes while its member is in the room takes them out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rtc.client import Client
from tests.facilitation.stage import Stage, eventually


def closed_with(client: Client, code: int) -> bool:
    return any(m.get("code") == code for m in client.messages)


async def test_an_ended_membership_cannot_come_back_with_its_old_token(stage: Stage) -> None:
    await stage.build(members=2, co_facilitator=False)
    fac, (m1, m2) = stage.fac, stage.members
    for p in (fac, m1, m2):
        await stage.enter(p)
    ended = await fac.http.post(f"/api/v1/members/{m1.id}/end")
    assert ended.status_code == 200, ended.text
    await eventually(lambda: closed_with(m1.rtc, 4009), what="m1 taken out")
    again = Client(stage.ws, m1.token)  # the token was issued a moment ago: not expired
    with pytest.raises(RuntimeError, match="server error revoked"):
        await again.connect(publish=False)
    assert not any(m["type"] == "joined" for m in again.messages)
    grant = await m1.http.post(f"/api/v1/sessions/{stage.session['id']}/join",
                               json={"ground_rules_version": 1})
    assert grant.status_code in (401, 403), grant.text  # and no new token either

    await stage.restart()  # the refusal outlives the process
    after = Client(stage.ws, m1.token)
    with pytest.raises(RuntimeError, match="server error revoked"):
        await after.connect(publish=False)
    await stage.connect(m2)  # the others are not affected
    assert any(m["type"] == "joined" for m in m2.rtc.messages)


async def test_a_membership_that_ends_while_in_the_room_takes_them_out(
    sqlite_stage: Stage,
) -> None:
    stage = sqlite_stage
    await stage.build(members=1, co_facilitator=False)
    fac, (m1,) = stage.fac, stage.members
    for p in (fac, m1):
        await stage.enter(p)
    soon = datetime.now(UTC) + timedelta(seconds=2)
    changed = await fac.http.patch(f"/api/v1/members/{m1.id}",
                                   json={"ended_at": soon.isoformat()})
    assert changed.status_code == 200, changed.text
    assert not closed_with(m1.rtc, 4009)  # still a member for now
    await eventually(lambda: closed_with(m1.rtc, 4009), what="m1 taken out at the end date",
                     timeout=15)
    with pytest.raises(RuntimeError, match="server error revoked"):
        await Client(stage.ws, m1.token).connect(publish=False)


async def test_an_ended_sessions_room_stays_closed_after_a_restart(sqlite_stage: Stage) -> None:
    stage = sqlite_stage
    await stage.build(members=1, co_facilitator=False)
    fac, (m1,) = stage.fac, stage.members
    for p in (fac, m1):
        await stage.enter(p)
    sid = stage.session["id"]
    ended = await fac.http.patch(f"/api/v1/sessions/{sid}", json={"status": "ended"})
    assert ended.status_code == 200, ended.text
    await eventually(lambda: closed_with(m1.rtc, 4007), what="the room closed")
    await stage.restart()
    for person in (m1, fac):  # tokens issued before the end, still within their lifetime
        with pytest.raises(RuntimeError, match="server error room_closed"):
            await Client(stage.ws, person.token).connect(publish=False)
