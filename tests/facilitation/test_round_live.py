"""A check-in round run end to end: REST, lobby, the real `/rtc` WebSocket, real aiortc clients.

A facilitator and a co-facilitator run the default check-in round for four members: pass and
the second chance at the end, a speaker who drops and comes back within the grace period, the
facilitator who drops (the co-facilitator has the controls at once, the clocks keep running)
and takes them back, illegal and malformed actions, and the end of the session, after which
nothing of the round is left in the database.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from sqlalchemy import select, text

from app.core.db import create_engine
from app.models import Base
from tests.facilitation.stage import (
    Person,
    Stage,
    error,
    eventually,
    latest,
    marks,
    send,
    state,
)


def speaking(who: Person) -> Any:
    return lambda s: s["round"] is not None and s["round"]["speaker"] == who.id and (
        s["round"]["status"] == "running")


async def test_check_in_round_end_to_end(stage: Stage) -> None:
    began = time.monotonic()
    await stage.build(members=4)
    fac, cofac, members = stage.fac, stage.cofac, stage.members
    m1, m2, m3, m4 = members
    sid = stage.session["id"]

    # -- entering: facilitators go straight in, members wait in the lobby until admitted
    await stage.enter(fac)
    await stage.enter(cofac)
    first = await state(fac)  # sent at once on joining: the full current state
    assert first["template"] == "Check-in round" and first["phase"]["status"] == "pending"
    for m in (m1, m2, m3):
        await stage.enter(m)
    mark = marks(stage.people)
    waiting = await m4.http.post(f"/api/v1/sessions/{sid}/join", json={"ground_rules_version": 1})
    assert waiting.status_code == 202
    lobby = await state(fac, lambda s: bool(s.get("lobby")), since=mark)
    assert lobby["lobby"] == [{"participant_id": m4.id, "name": "Dr Member 4"}]
    member_view = await latest(m1)
    assert "lobby" not in member_view  # names in the lobby are for the facilitators only
    rest = (await m1.http.get(f"/api/v1/sessions/{sid}/state")).json()
    assert rest["live"] and "lobby" not in rest["state"]
    rest = (await fac.http.get(f"/api/v1/sessions/{sid}/state")).json()
    assert [p["name"] for p in rest["state"]["lobby"]] == ["Dr Member 4"]
    await stage.enter(m4)
    joined = await state(m4)  # a late joiner gets the whole state at once
    assert joined["controller"] == fac.id and joined["phase"]["title"] == "Check-in"

    # -- a member cannot drive; malformed payloads are refused; neither changes anything
    before = (await latest(fac))["version"]
    mark = await send(m1, "phase", action="start")
    assert await error(m1, mark) == "not_in_control"
    mark = await send(cofac, "phase", action="start")  # a co-facilitator without the controls
    assert await error(cofac, mark) == "not_in_control"
    for kind, data in (("round", {"action": "fly"}), ("round", {"action": "pass", "x": 1}),
                       ("phase", {"action": "extend", "seconds": 7}), ("hand", {})):
        mark = await send(fac, kind, **data)
        assert await error(fac, mark) == "invalid_action", (kind, data)
    mark = await send(fac, "dance", action="now")
    assert await error(fac, mark) == "unknown_kind"
    assert (await latest(fac))["version"] == before

    # -- the facilitator starts the phase and sets the round up: the four members, in order
    mark = await send(fac, "phase", action="start")
    await state(fac, lambda s: s["phase"]["status"] == "running", since=mark)
    mark = await send(fac, "round", action="setup", rule="manual",
                      order=[m.id for m in members])
    await state(fac, lambda s: s["round"] and len(s["round"]["turns"]) == 4
                and s["round"]["status"] in ("pending",), since=mark, timeout=5)
    mark = await send(fac, "round", action="start")
    for p in stage.people:  # everyone sees the same turn, and a notice of it
        s = await state(p, speaking(m1), since=mark)
        assert s["round"]["up_next"] == m2.id and s["round"]["deadline"] is not None
        notice = await p.rtc.expect("event", since=mark[id(p.rtc)],
                                    where=lambda m: m["kind"] == "notice"
                                    and m["data"]["about"] == "turn")
        assert notice["data"] == {"about": "turn", "event": "turn_started",
                                  "participant_id": m1.id, "seconds": 60.0}

    # -- illegal moves answer with the engine's stable code and change nothing
    before = (await latest(fac))["version"]
    mark = await send(m2, "round", action="finish")
    assert await error(m2, mark) == "not_speaker"
    mark = await send(m2, "round", action="pass")
    assert await error(m2, mark) == "not_in_control"
    mark = await send(fac, "round", action="resume")
    assert await error(fac, mark) == "illegal_transition"
    mark = await send(fac, "round", action="skip", participant_id="nobody")
    assert await error(fac, mark) == "unknown_participant"
    mark = await send(fac, "control", action="hand_over", participant_id=m2.id)
    assert await error(fac, mark) == "not_facilitator"
    after = await latest(fac)
    assert after["version"] == before and after["round"]["speaker"] == m1.id

    # -- m1 finishes; m2 passes (offered again at the end); m3 speaks
    mark = await send(m1, "round", action="finish")
    await state(fac, lambda s: s["round"]["status"] == "between", since=mark)
    mark = await send(fac, "round", action="next")
    await state(m2, speaking(m2), since=mark)
    mark = await send(m2, "round", action="pass")
    passed = await state(fac, lambda s: s["round"]["status"] == "between", since=mark)
    assert [t["participant_id"] for t in passed["round"]["turns"]][-1] == m2.id
    mark = await send(fac, "round", action="next")
    s3 = await state(fac, speaking(m3), since=mark)

    # -- m3's connection drops: the turn pauses; they come back within the grace period
    await asyncio.sleep(0.5)
    mark = marks(stage.people)
    await stage.drop(m3)
    gone = await state(fac, lambda s: turn(s, m3)["status"] == "disconnected", since=mark)
    assert gone["round"]["paused"] is True and gone["round"]["grace_deadline"] is not None
    left_at_drop = gone["round"]["remaining"]
    assert left_at_drop < s3["round"]["remaining"]
    await asyncio.sleep(1.0)
    mark = marks(stage.people)
    back = await stage.connect(m3)
    again = await state(m3)  # the returning client gets the whole state at once
    assert again["round"]["speaker"] == m3.id
    resumed = await state(fac, speaking(m3), since=mark)
    assert resumed["round"]["paused"] is False
    assert abs(resumed["round"]["remaining"] - left_at_drop) < 0.5  # the turn resumed
    assert back is m3.rtc

    mark = await send(m3, "round", action="finish")
    await state(fac, lambda s: s["round"]["status"] == "between", since=mark)
    mark = await send(fac, "round", action="next")
    running = await state(fac, speaking(m4), since=mark)
    deadline = running["round"]["deadline"]

    # -- the facilitator drops: the co-facilitator has the controls at once, the clock runs on
    mark = marks(stage.people)
    dropped = time.monotonic()
    await stage.drop(fac)
    handed = await state(cofac, lambda s: s["controller"] == cofac.id, since=mark, timeout=5)
    print(f"\ncontrols with the co-facilitator {time.monotonic() - dropped:.3f} s after the drop")
    assert handed["round"]["deadline"] == deadline and handed["round"]["paused"] is False
    assert handed["phase"]["paused"] is False
    mark = await send(cofac, "round", action="extend", seconds=30)
    extended = await state(cofac, lambda s: s["round"]["allotted"] == 90, since=mark)
    assert abs(extended["round"]["deadline"] - (deadline + 30)) < 1e-6
    await stage.connect(fac)
    back_view = await state(fac)
    assert back_view["controller"] == cofac.id and back_view["lead"] == fac.id
    mark = await send(m1, "control", action="take_back")
    assert await error(m1, mark) == "not_lead"
    mark = await send(fac, "control", action="take_back")
    await state(cofac, lambda s: s["controller"] == fac.id, since=mark)
    mark = await send(cofac, "round", action="next")
    assert await error(cofac, mark) == "not_in_control"

    # -- the passed turn comes back at the end, then the round ends
    mark = await send(m4, "round", action="finish")
    await state(fac, lambda s: s["round"]["status"] == "between", since=mark)
    mark = await send(fac, "round", action="next")
    await state(m2, speaking(m2), since=mark)
    mark = await send(m2, "round", action="finish")
    await state(fac, lambda s: s["round"]["status"] == "between", since=mark)
    mark = await send(fac, "round", action="next")
    ended = await state(fac, lambda s: s["round"]["status"] == "ended", since=mark)
    assert [t["status"] for t in ended["round"]["turns"]] == ["finished"] * 4
    assert not any(e["kind"] == "talk_time" for p in members for e in _events(p))

    # -- the session ends: the room closes and nothing of the round is left anywhere
    ended_at = await stage.ok(fac.http.patch(f"/api/v1/sessions/{sid}", json={"status": "ended"}))
    assert ended_at["status"] == "ended"
    await eventually(lambda: m1.rtc.messages[-1]["type"] == "_closed", what="room closed")
    await asyncio.sleep(0.5)  # late presence events of the closed room must not resurrect it
    gone_state = (await fac.http.get(f"/api/v1/sessions/{sid}/state")).json()
    assert gone_state == {"live": False, "state": None}
    await _nothing_said_remains(stage, [m.id for m in members])
    assert time.monotonic() - began < 60


def turn(s: dict[str, Any], who: Person) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in s["round"]["turns"] if t["participant_id"] == who.id)
    return found


def _events(p: Person) -> list[dict[str, Any]]:
    return [m for m in (p.client.messages if p.client else []) if m["type"] == "event"]


async def _nothing_said_remains(stage: Stage, member_ids: list[str]) -> None:
    """Dump every table: no live state, no turn, clock or speaking-time figure in any row."""
    engine = create_engine(stage.settings.db_url)
    try:
        async with engine.connect() as conn:
            dump: dict[str, list[str]] = {}
            for table in Base.metadata.sorted_tables:
                rows = (await conn.execute(select(table))).all()
                dump[table.name] = [json.dumps([str(v) for v in row]) for row in rows]
            tables = {r[0] for r in (await conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type='table'" if engine.dialect.name ==
                "sqlite" else "SELECT tablename FROM pg_tables WHERE schemaname='public'"))).all()}
    finally:
        await engine.dispose()
    assert set(dump) | {"alembic_version"} >= tables  # every table was dumped
    assert dump["live_states"] == []
    flat = "\n".join(row for rows in dump.values() for row in rows)
    for word in ("talk", "spoken", "speaker", "passes", "deadline", "warned_through", "turns",
                 "allotted", "grace"):
        assert word not in flat, f"{word!r} found in the database after the session ended"
    assert member_ids and all(m in flat.replace("-", "") or m in flat for m in member_ids)
