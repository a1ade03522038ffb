"""Issue 12: the facilitators see who is on a weak link (the server pauses videos for them), so
a silence is not read as distress or disengagement; members never see it."""

from __future__ import annotations

import asyncio

from tests.facilitation.stage import Stage, eventually, latest
from tests.rtc.media import PatternVideo, ToneAudio


async def test_the_facilitator_sees_a_weak_link(sqlite_stage: Stage) -> None:
    from rtc.bandwidth import WARMUP, Link

    stage = sqlite_stage
    await stage.build(members=2, co_facilitator=False)
    people = [stage.fac, *stage.members]
    for person in people:
        await stage.grant(person)
        await stage.connect(person, audio=ToneAudio(loud=False), video=PatternVideo())
    ana, ben = stage.members
    await eventually(lambda: ana.rtc.frames_from(ben.id, "video") >= 10, what="ana sees ben")
    room = stage.app.state.media.hub.rooms[stage.session["id"]]
    link = room.members[ana.id]._subs.link
    forwarder = stage.app.state.media.hub.forwarder
    estimate = Link.remb
    budget = [1_000.0]  # bits per second: no video fits
    link.remb = lambda bps, now: estimate(link, budget[0], now)  # whatever her browser says
    link.remb(0, forwarder.now())
    link.first_at = forwarder.now() - WARMUP - 1  # her browser's estimate has settled
    link.report(60)  # her link loses packets: it is short
    link.next_probe = forwarder.now() + 3600

    async def weak_for_the_facilitator() -> list[str] | None:
        shown: list[str] | None = (await latest(stage.fac)).get("weak_links")
        return shown

    seen: list[list[str] | None] = []

    async def check(expected: list[str]) -> None:
        for _ in range(40):
            link.remb(0, forwarder.now())
            seen.append(await weak_for_the_facilitator())
            if seen[-1] == expected:
                return
            await asyncio.sleep(0.25)
        raise AssertionError(f"facilitator saw {seen[-5:]}, expected {expected}")

    await check([ana.id])
    assert "weak_links" not in await latest(ben)  # members never see it
    budget[0] = 50_000_000.0  # her link recovers
    await check([])
