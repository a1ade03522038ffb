"""`rounds purge` deletes exactly what is past retention, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from app.core.db import transaction, utcnow
from app.members.models import Member
from app.ops.retention import purge, run


async def _purge(world: Any, app: Any, days: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    async for db in transaction(app.state.db):
        counts = await purge(db, app.state.settings, now=utcnow() + timedelta(days=days))
    return counts


async def _state(world: Any) -> tuple[set[str], set[str], int]:
    gid = world.group_a["id"]
    members = (await world.fa.get(f"/api/v1/groups/{gid}/members",
                                  params={"include_ended": "true"})).json()
    sessions = (await world.fa.get(f"/api/v1/groups/{gid}/sessions")).json()
    invites = (await world.fa.get(f"/api/v1/groups/{gid}/invites")).json()
    return {m["display_name"] for m in members}, {s["id"] for s in sessions}, len(invites)


async def test_purge_follows_each_retention_period(world: Any, app: Any) -> None:
    _, staying = await world.doctor("Dr Stays")
    _, leaving = await world.doctor("Dr Leaves")
    ended = await world.fa.post(f"/api/v1/members/{leaving['member_id']}/end")
    assert ended.status_code == 200, ended.text
    held = await world.session(status="ended")
    never_held = await world.session()
    live = await world.session(status="live")
    names, sessions, invites = await _state(world)
    assert {"Dr Stays", "Dr Leaves"} <= names and invites == 2
    assert sessions == {held["id"], never_held["id"], live["id"]}

    # Inside every period (memberships 90 days, invites 90 days after expiry, sessions 365).
    # The live session nobody ended is closed (its live state goes); it is kept as an ended one.
    # Revocations (the ended membership and sessions, the one ended now) outlive no join token.
    assert await _purge(world, app, 80) == {"forgotten_sessions": 1, "members": 0, "invites": 0,
                                            "sessions": 0, "revocations": 3,
                                            "audit": 0, "attendance": 0, "outbox": 0,
                                            "programme_people": 0}
    assert await _state(world) == (names, sessions, 2)

    # The ended membership is past 90 days; the invites (14 days + 90) are not yet.
    assert await _purge(world, app, 95) == {"forgotten_sessions": 0, "members": 1, "invites": 0,
                                            "sessions": 0, "revocations": 0,
                                            "audit": 0, "attendance": 0, "outbox": 0,
                                            "programme_people": 0}
    names_after, _, _ = await _state(world)
    assert "Dr Leaves" not in names_after and "Dr Stays" in names_after

    assert await _purge(world, app, 110) == {"forgotten_sessions": 0, "members": 0, "invites": 2,
                                             "sessions": 0, "revocations": 0,
                                             "audit": 0, "attendance": 0, "outbox": 0,
                                             "programme_people": 0}
    names_after, _, invites = await _state(world)
    assert "Dr Stays" in names_after and invites == 0  # the member outlives its invite

    # Sessions: the ended one and the one never held go; the forgotten one, ended at day 80, stays.
    # The audit log (365 days) goes too: every record so far is older than that by then.
    counts = await _purge(world, app, 370)
    assert counts.pop("audit") > 0
    assert counts == {"forgotten_sessions": 0, "members": 0, "invites": 0, "sessions": 2,
                      "revocations": 0, "attendance": 0, "outbox": 0, "programme_people": 0}
    _, sessions_after, _ = await _state(world)
    assert sessions_after == {live["id"]}
    assert staying["member_id"]


async def test_run_commits_in_its_own_transaction(world: Any, app: Any) -> None:
    _, leaving = await world.doctor("Dr Leaves")
    await world.fa.post(f"/api/v1/members/{leaving['member_id']}/end")
    settings = app.state.settings.model_copy(update={"retention_ended_member_days": 1})
    # Nothing is older than a day yet: run() deletes nothing, and says so.
    assert (await run(settings))["members"] == 0
    async for db in transaction(app.state.db):
        await db.execute(update(Member).where(Member.ended_at.is_not(None))
                         .values(ended_at=utcnow() - timedelta(days=2)))
    assert (await run(settings))["members"] == 1
    names, _, _ = await _state(world)
    assert "Dr Leaves" not in names
