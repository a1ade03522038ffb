"""A pairs phase in a running room: the SFU keeps each group apart (counted audio frames at the
receivers, as the push-back test does), a visit is announced to its group only, a dropped
partner is told and comes back to the whole group, and everyone returns together."""

from __future__ import annotations

import asyncio

from tests.facilitation.stage import Person, Stage, error, eventually, send, state
from tests.facilitation.test_floor_audio import _enter_all, frames, hears
from tests.rtc.media import PatternVideo, ToneAudio


async def hears_only(groups: list[list[Person]]) -> None:
    """Each person receives audio from the others of their group, and from nobody else."""
    await asyncio.sleep(0.6)  # let the change settle and what was in flight drain
    people = [p for g in groups for p in g]
    group = {p.id: g for g in groups for p in g}
    pairs = [(a, b) for a in people for b in people if a is not b]
    before = {(a.id, b.id): frames(a, b) for a, b in pairs}
    loud = [(a, b) for a, b in pairs if b in group[a.id]]
    silent = [(a, b) for a, b in pairs if b not in group[a.id]]
    await eventually(lambda: all(frames(a, b) > before[a.id, b.id] + 20 for a, b in loud),
                     timeout=10, what="audio within each group")
    await asyncio.sleep(1.5)
    leaked = {(a.name, b.name): frames(a, b) - before[a.id, b.id] for a, b in silent}
    assert all(n == 0 for n in leaked.values()), f"audio across groups: {leaked}"


def _notices(person, since: int) -> list[dict]:  # type: ignore[no-untyped-def]
    return [m["data"] for m in person.rtc.messages[since:]
            if m["type"] == "event" and m["kind"] == "notice" and m["data"]["about"] == "pairs"]


async def test_each_pair_hears_only_itself_and_everyone_returns(sqlite_stage: Stage) -> None:
    stage = sqlite_stage
    await stage.build(members=3, template="default:pairs", co_facilitator=False)
    fac, (m1, m2, m3) = stage.fac, stage.members
    people = [fac, m1, m2, m3]
    await _enter_all(stage, people)

    mark = await send(fac, "pairs", action="arrange")
    assert await error(fac, mark) == "no_pairs"  # not before the pairs phase runs
    mark = await send(fac, "phase", action="start")
    s = await state(fac, lambda s: s["pairs"] is not None, since=mark)
    # the three members present are arranged at random: one triad, nobody apart yet
    assert s["pairs"]["status"] == "arranged"
    assert sorted(map(sorted, s["pairs"]["groups"])) == [sorted([m1.id, m2.id, m3.id])]
    await hears(stage, {fac.id, m1.id, m2.id, m3.id}, people)

    # the facilitator pairs with m1 (four people: two pairs) and sends everyone in
    mark = await send(fac, "pairs", action="arrange", arrangement="manual", facilitators=True,
                      groups=[[fac.id, m1.id], [m2.id, m3.id]])
    await state(fac, lambda s: len(s["pairs"]["groups"]) == 2, since=mark)
    mark = await send(fac, "pairs", action="start")
    s2 = await state(m2, lambda s: s["pairs"]["status"] == "running", since=mark)
    assert s2["pairs"]["groups"] == [[m2.id, m3.id]] and s2["pairs"]["mine"] == 0  # own only
    s = await state(fac, lambda s: s["pairs"]["status"] == "running", since=mark)
    assert len(s["pairs"]["groups"]) == 2 and s["pairs"]["remaining"] > 400
    await hears_only([[fac, m1], [m2, m3]])

    # one more minute: the pairs' clock (the time left in the phase) and the phase's
    allotted = s["pairs"]["allotted"]
    assert abs(s["pairs"]["deadline"] - s["phase"]["deadline"]) <= 0.5
    mark = await send(fac, "pairs", action="extend")
    s = await state(fac, lambda s: s["pairs"]["allotted"] > allotted, since=mark)
    assert s["pairs"]["allotted"] == allotted + 60 and s["phase"]["allotted"] == 480 + 60

    # m3 drops: m2 is told (only m2), and m3 comes back into the whole group
    since = m2.rtc.mark()
    fac_since = fac.rtc.mark()
    await stage.drop(m3)
    s = await state(fac, lambda s: [m2.id] in s["pairs"]["groups"], since=fac_since)
    told = await m2.rtc.expect("event", since=since, where=lambda m: m["kind"] == "notice"
                               and m["data"]["about"] == "pairs")
    assert told["data"] == {"about": "pairs", "event": "partner_left", "group": 1,
                            "participant_id": m3.id}
    assert not _notices(m1, 0) or all(n["event"] != "partner_left" for n in _notices(m1, 0))
    await stage.connect(m3, audio=ToneAudio(loud=True), video=PatternVideo())
    s = await state(m3, lambda s: s["pairs"] is not None and s["pairs"]["status"] == "running")
    assert s["pairs"]["mine"] is None and s["pairs"]["groups"] == []

    # everyone back together: all hear all again
    mark = await send(fac, "pairs", action="bring_back")
    await state(fac, lambda s: s["pairs"]["status"] == "returned", since=mark)
    await hears(stage, {fac.id, m1.id, m2.id, m3.id}, people)
    assert all(frames(a, b) > 0 for a in people for b in people if a is not b)


async def test_a_visit_is_announced_to_that_pair_only(sqlite_stage: Stage) -> None:
    stage = sqlite_stage
    await stage.build(members=4, template="default:pairs", co_facilitator=False)
    fac, (m1, m2, m3, m4) = stage.fac, stage.members
    for p in (fac, m1, m2, m3, m4):
        await stage.enter(p)
    mark = await send(fac, "phase", action="start")
    await state(fac, lambda s: s["pairs"] is not None, since=mark)
    mark = await send(fac, "pairs", action="arrange", arrangement="manual",
                      groups=[[m1.id, m2.id], [m3.id, m4.id]])
    await state(fac, lambda s: s["pairs"]["groups"] == [[m1.id, m2.id], [m3.id, m4.id]],
                since=mark)
    mark = await send(m1, "pairs", action="start")
    assert await error(m1, mark) == "not_in_control"
    mark = await send(fac, "pairs", action="start")
    await state(fac, lambda s: s["pairs"]["status"] == "running", since=mark)
    since = {p.id: p.rtc.mark() for p in (m1, m2, m3, m4)}
    mark = await send(fac, "pairs", action="visit", group=1)
    await state(m3, lambda s: s["pairs"]["visitors"] == {fac.id: 0}, since=mark)
    visit = await m4.rtc.expect("event", since=since[m4.id], where=lambda m: m["kind"] ==
                                "notice" and m["data"].get("event") == "visit")
    assert visit["data"]["participant_id"] == fac.id
    s1 = await state(m1, lambda s: s["version"] >= s["version"], since=mark)
    assert s1["pairs"]["visitors"] == {}  # the other pair does not see the visit
    assert all(n["event"] != "visit" for p in (m1, m2) for n in _notices(p, since[p.id]))


async def test_pairs_are_kept_for_the_groups_next_session(sqlite_stage: Stage) -> None:
    stage = sqlite_stage
    await stage.build(members=4, template="default:pairs", co_facilitator=False)
    fac, (m1, m2, m3, m4) = stage.fac, stage.members
    for p in (fac, m1, m2, m3, m4):
        await stage.enter(p)
    mark = await send(fac, "phase", action="start")
    await state(fac, lambda s: s["pairs"] is not None, since=mark)
    chosen = [[m1.id, m3.id], [m2.id, m4.id]]
    mark = await send(fac, "pairs", action="arrange", arrangement="manual", groups=chosen)
    await state(fac, lambda s: s["pairs"]["groups"] == chosen, since=mark)
    await stage.ok(fac.http.patch(f"/api/v1/sessions/{stage.session['id']}",
                                  json={"status": "ended"}))

    # the group's next session: entering its pairs phase keeps last time's pairs
    await stage.new_session("default:pairs")
    for p in (fac, m1, m2, m3, m4):
        await stage.enter(p)
    mark = await send(fac, "phase", action="start")
    s = await state(fac, lambda s: s["pairs"] is not None, since=mark)
    assert s["pairs"]["groups"] == chosen
    mark = await send(fac, "pairs", action="arrange")  # at random again, when asked
    s = await state(fac, lambda s: s["version"] > 0, since=mark)
    assert sorted(p for g in s["pairs"]["groups"] for p in g) == sorted(
        [m1.id, m2.id, m3.id, m4.id])
