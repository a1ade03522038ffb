"""Issue 11 item 10: the lobby is live. A waiting doctor appears for the facilitator, and the
doctor learns they are let in, as server-sent events on a real server: pushed when it happens,
nobody polls (each stream is read without any other request in between)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.facilitation.stage import RULES, Person, Stage

WITHIN = 5.0  # generous: a shared, busy machine; the point is that it is pushed at all


class Events:
    """One open event stream, read frame by frame."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, kind: str | None = None) -> tuple[str, dict[str, Any]]:
        """The next event (of ``kind``, skipping others), within ``WITHIN`` seconds."""
        async with asyncio.timeout(WITHIN):
            event, data = "", ""
            async for line in self._lines:
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data = line.removeprefix("data: ")
                elif line == "" and event:
                    if kind is None or event == kind:
                        return event, json.loads(data)
                    event, data = "", ""
        raise AssertionError("the stream ended")


@asynccontextmanager
async def events(person: Person, session_id: str) -> AsyncIterator[Events]:
    async with person.http.stream("GET", f"/api/v1/sessions/{session_id}/events") as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Events(response)


async def test_the_lobby_is_pushed_both_ways(sqlite_stage: Stage) -> None:
    stage = sqlite_stage
    await stage.build(members=2, template=None, co_facilitator=False)
    start = "2030-01-01T09:00:00+00:00"
    session = await stage.ok(stage.fac.http.post(
        f"/api/v1/groups/{stage.group['id']}/sessions",
        json={"scheduled_start": start, "duration_minutes": 60}))
    sid = session["id"]
    ana, ben = stage.members
    async with events(stage.fac, sid) as fac, events(ana, sid) as doctor:
        assert await fac.next() == ("session", {"status": "scheduled"})
        assert await fac.next() == ("lobby", {"waiting": []})
        assert await doctor.next() == ("session", {"status": "scheduled"})

        await stage.ok(stage.fac.http.patch(f"/api/v1/sessions/{sid}", json={"status": "open"}))
        assert await doctor.next() == ("session", {"status": "open"})  # the lobby opened

        waiting = await ana.http.post(f"/api/v1/sessions/{sid}/join", json=RULES)
        assert waiting.status_code == 202
        _, lobby = await fac.next("lobby")
        assert lobby == {"waiting": [{"participant_id": ana.id, "name": ana.name}]}

        await stage.ok(stage.fac.http.post(f"/api/v1/sessions/{sid}/lobby/{ana.id}/admit"))
        assert await doctor.next() == ("admitted", {})  # to her alone
        assert await fac.next("lobby") == ("lobby", {"waiting": []})
        granted = await ana.http.post(f"/api/v1/sessions/{sid}/join", json=RULES)
        assert granted.status_code == 200 and "token" in granted.json()

        # Someone else's stream never hears of it; a reconnecting doctor is told at once.
        async with events(ben, sid) as other, events(ana, sid) as again:
            assert await other.next() == ("session", {"status": "open"})
            assert await again.next() == ("session", {"status": "open"})
            assert await again.next() == ("admitted", {})
            await stage.ok(stage.fac.http.patch(f"/api/v1/sessions/{sid}",
                                                json={"status": "ended"}))
            assert await other.next() == ("session", {"status": "ended"})
        assert await doctor.next("session") == ("session", {"status": "ended"})


async def test_only_the_group_may_listen(sqlite_stage: Stage) -> None:
    stage = sqlite_stage
    await stage.build(members=1, template="default:check-in-round", co_facilitator=False)
    stranger = stage.browser("Stranger")
    response = await stranger.http.get(f"/api/v1/sessions/{stage.session['id']}/events")
    assert response.status_code == 401 and response.json()["error"] == "no_membership"
    missing = await stage.fac.http.get(
        "/api/v1/sessions/00000000-0000-0000-0000-000000000000/events")
    assert missing.status_code == 404
