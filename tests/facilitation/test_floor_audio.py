"""Hold-the-floor and push-back really stop audio at the other participants, and resume it.

Three participants publish a loud tone (audio only); each counts the decoded audio frames it
receives from each of the others, as tests/rtc does. "Stopped" means no frame arrives for 1.5 s
after the change has settled; "resumed" means frames flow again. Speaking-time figures
(`talk_time`) reach the facilitator only.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.facilitation.stage import Person, Stage, eventually, send, state
from tests.rtc.media import PatternVideo, ToneAudio

HELD_CHECK_IN = {
    "name": "Held check-in",
    "phases": [{"kind": "round", "title": "Check-in", "duration": 600, "floor": "speaker",
                "hold_floor": True, "turn": {"length": 60, "min": 30, "max": 120}}],
}


def frames(listener: Person, speaker: Person) -> int:
    return listener.rtc.frames_from(speaker.id, "audio")


async def hears(stage: Stage, heard: set[str], people: list[Person]) -> None:
    """Every listener receives audio from exactly the people in ``heard`` (ids)."""
    await asyncio.sleep(0.6)  # let the change settle and what was in flight drain
    pairs = [(a, b) for a in people for b in people if a is not b]
    before = {(a.id, b.id): frames(a, b) for a, b in pairs}
    silent = [(a, b) for a, b in pairs if b.id not in heard]
    loud = [(a, b) for a, b in pairs if b.id in heard]
    await eventually(lambda: all(frames(a, b) > before[a.id, b.id] + 20 for a, b in loud),
                     timeout=10, what=f"audio from {sorted(heard)}")
    await asyncio.sleep(max(0.0, 1.5))
    stopped = {(a.name, b.name): frames(a, b) - before[a.id, b.id] for a, b in silent}
    assert all(n == 0 for n in stopped.values()), f"audio still forwarded: {stopped}"


async def _enter_all(stage: Stage, people: list[Person]) -> None:
    for p in people:
        if p.client is not None:
            await stage.drop(p)
        # with a (tiny) camera too: rtc/ refuses an audio-only publish offer for now
        await stage.enter(p, audio=ToneAudio(loud=True), video=PatternVideo())
    await eventually(lambda: all(frames(a, b) > 20 for a in people for b in people if a is not b),
                     timeout=20, what="everyone hearing everyone")


def _talk(p: Person) -> list[dict[str, Any]]:
    return [m for m in p.rtc.messages if m["type"] == "event" and m["kind"] == "talk_time"]


async def test_hold_the_floor_and_push_back_stop_audio(sqlite_stage: Stage) -> None:
    stage = sqlite_stage
    await stage.build(members=2, template=None, co_facilitator=False)
    fac, (m1, m2) = stage.fac, stage.members
    people = [fac, m1, m2]
    held = await stage.ok(fac.http.post(f"/api/v1/groups/{stage.group['id']}/templates",
                                        json=HELD_CHECK_IN))
    await stage.new_session(held["id"])
    await _enter_all(stage, people)

    # -- hold the floor: only the facilitator and the speaker are heard
    mark = await send(fac, "phase", action="start")
    await state(fac, lambda s: s["phase"]["status"] == "running", since=mark)
    mark = await send(fac, "round", action="setup", rule="manual", order=[m1.id, m2.id])
    await state(fac, lambda s: s["round"] and len(s["round"]["turns"]) == 2, since=mark)
    mark = await send(fac, "round", action="start")
    s = await state(m2, lambda s: s["round"]["speaker"] == m1.id, since=mark)
    assert s["audible"] == sorted([fac.id, m1.id]) and s["phase"]["hold_floor"] is True
    await hears(stage, {fac.id, m1.id}, people)
    forced = [m for m in fac.rtc.messages if m["type"] == "mute_state"]
    assert [m["forced_mute"] for m in forced if m["participant"] == m2.id][-1] is True

    mark = await send(m1, "round", action="finish")
    await state(fac, lambda s: s["round"]["status"] == "between", since=mark)
    mark = await send(fac, "round", action="next")
    await state(fac, lambda s: s["round"]["speaker"] == m2.id, since=mark)
    await hears(stage, {fac.id, m2.id}, people)

    mark = await send(fac, "phase", action="end")  # the phases are over: everyone is heard
    await state(fac, lambda s: s["phase"] is None or s["phase"]["status"] == "ended", since=mark)
    await hears(stage, {fac.id, m1.id, m2.id}, people)

    # speaking-time figures go to the facilitator only
    await eventually(lambda: bool(_talk(fac)), timeout=5, what="talk_time at the facilitator")
    figures = _talk(fac)[-1]["data"]["seconds"]
    assert set(figures) <= {fac.id, m1.id, m2.id} and max(figures.values()) > 0
    assert _talk(m1) == [] and _talk(m2) == []
    await stage.ok(fac.http.patch(f"/api/v1/sessions/{stage.session['id']}",
                                  json={"status": "ended"}))

    # -- push-back (Balint): the presenter listens silently during the discussion
    await stage.new_session("default:balint-case")
    await _enter_all(stage, people)
    mark = await send(fac, "phase", action="start")
    await state(fac, lambda s: s["phase"]["status"] == "running", since=mark)
    mark = await send(fac, "phase", action="set_presenter", participant_id=m1.id)
    await state(fac, lambda s: s["phase"]["presenter"] == m1.id, since=mark)
    for _ in range(3):  # presentation, clarifying questions, push-back
        mark = await send(fac, "phase", action="advance")
        s = await state(fac, lambda s: s["version"] > 0, since=mark)
    s = await state(m2, lambda s: s["phase"]["floor"] == "presenter_muted")
    assert s["phase"]["title"] == "Push-back" and m1.id not in s["audible"]
    await hears(stage, {fac.id, m2.id}, people)
    mark = await send(fac, "phase", action="advance")  # the presenter returns
    await state(fac, lambda s: s["phase"]["kind"] == "push_back_return", since=mark)
    await hears(stage, {fac.id, m1.id, m2.id}, people)
