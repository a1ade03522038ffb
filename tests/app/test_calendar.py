"""Calendar feeds: parsed back with icalendar, a series expanding to the sessions the server
holds, changes and cancellations (SEQUENCE, STATUS:CANCELLED), revocation, and privacy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from dateutil.rrule import rrulestr
from icalendar import Calendar, Event

from tests.app.conftest import World
from tests.app.test_series import make_series, next_weekday, sessions_of

LONDON = ZoneInfo("Europe/London")


async def link_for(browser: httpx.AsyncClient, member_id: str) -> str:
    made = await browser.post(f"/api/v1/me/memberships/{member_id}/calendar")
    assert made.status_code == 201, made.text
    url: str = made.json()["url"]
    assert url.startswith("http://testserver/api/v1/calendar/") and url.endswith(".ics")
    return url.removeprefix("http://testserver")


async def fetch(world: World, path: str) -> tuple[Calendar, bytes]:
    response = await world.clients.new().get(path)  # no cookie: the URL is all it takes
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return Calendar.from_ical(response.content), response.content


def events(cal: Calendar) -> list[Event]:
    return [c for c in cal.walk("VEVENT")]


def expand(master: Event, until: datetime) -> list[datetime]:
    """What a calendar program shows of a recurring event: its RRULE from DTSTART, less its
    EXDATEs."""
    start = master.decoded("dtstart")
    rule = rrulestr(master["rrule"].to_ical().decode(), dtstart=start)
    exdates = master.get("exdate")
    skipped = {d.dt for e in (exdates if isinstance(exdates, list) else [exdates]) if e
               for d in e.dts}
    return [at for at in rule.between(start, until, inc=True) if at not in skipped]


async def test_the_feed_matches_the_sessions_the_server_holds(world: World) -> None:
    browser, joined = await world.doctor("Dr Ada")
    start = next_weekday("TU")
    series = await make_series(world, frequency="fortnightly", start_date=start.isoformat(),
                               start_time="12:30", duration_minutes=60, title="Balint",
                               skip=[(start + timedelta(weeks=4)).isoformat()])
    cal, raw = await fetch(world, await link_for(browser, joined["member_id"]))
    assert b"BEGIN:VTIMEZONE" in raw and b"TZID=Europe/London" in raw
    [master] = [e for e in events(cal) if "rrule" in e]
    assert str(master["uid"]) == f"series-{series['id']}@testserver"
    assert master.decoded("dtstart").tzinfo is not None
    held = [datetime.fromisoformat(s["scheduled_start"])
            for s in await sessions_of(world, series["id"])]
    horizon = max(held) + timedelta(minutes=1)
    assert [at.astimezone(UTC) for at in expand(master, horizon)] == held
    assert str(master["summary"]) == "FY1 Tuesday group: Balint"
    assert str(master["url"]) == f"http://testserver/lobby?group={world.group_a['id']}"


async def test_edits_and_cancellations_reach_the_feed(world: World) -> None:
    browser, joined = await world.doctor("Dr Ada")
    path = await link_for(browser, joined["member_id"])
    start = next_weekday("TU")
    series = await make_series(world, frequency="weekly", start_date=start.isoformat(),
                               start_time="12:30", duration_minutes=60)
    first, second, third, *_ = await sessions_of(world, series["id"])
    cal, _ = await fetch(world, path)
    assert [e for e in events(cal) if "recurrence-id" in e] == []  # nothing differs yet
    [master] = events(cal)
    assert master.decoded("sequence") == 0

    moved = (datetime.fromisoformat(second["scheduled_start"]) + timedelta(hours=1)).isoformat()
    await world.fa.patch(f"/api/v1/sessions/{second['id']}", json={"scheduled_start": moved})
    await world.fa.post(f"/api/v1/sessions/{third['id']}/cancel",
                        json={"reason": "Bank holiday"})
    cal, _ = await fetch(world, path)
    overrides = {e.decoded("recurrence-id").astimezone(UTC): e for e in events(cal)
                 if "recurrence-id" in e}
    assert set(overrides) == {datetime.fromisoformat(second["scheduled_start"]),
                              datetime.fromisoformat(third["scheduled_start"])}
    edited = overrides[datetime.fromisoformat(second["scheduled_start"])]
    assert edited.decoded("dtstart").astimezone(UTC) == datetime.fromisoformat(moved)
    assert edited.decoded("sequence") == 1 and "status" not in edited
    cancelled = overrides[datetime.fromisoformat(third["scheduled_start"])]
    assert str(cancelled["status"]) == "CANCELLED"
    assert "Bank holiday" in str(cancelled["description"])
    assert cancelled.decoded("sequence") == 1
    assert all(str(e["uid"]) == f"series-{series['id']}@testserver" for e in overrides.values())

    await world.fa.put(f"/api/v1/series/{series['id']}", json={
        "frequency": "weekly", "start_date": start.isoformat(), "start_time": "13:00",
        "duration_minutes": 60})
    cal, _ = await fetch(world, path)
    [master] = [e for e in events(cal) if "rrule" in e]
    assert master.decoded("sequence") == 1
    assert master.decoded("dtstart").astimezone(LONDON).strftime("%H:%M") == "13:00"


async def test_a_one_off_session_and_its_cancellation(world: World) -> None:
    browser, joined = await world.doctor("Dr Ada")
    path = await link_for(browser, joined["member_id"])
    session = await world.session()
    cal, _ = await fetch(world, path)
    [event] = events(cal)
    assert str(event["uid"]) == f"session-{session['id']}@testserver"
    assert event.decoded("sequence") == 0 and "status" not in event
    await world.fa.post(f"/api/v1/sessions/{session['id']}/cancel", json={"reason": "Ill"})
    [event] = events((await fetch(world, path))[0])
    assert str(event["status"]) == "CANCELLED" and event.decoded("sequence") == 1


async def test_a_feed_url_can_be_replaced_and_revoked(world: World) -> None:
    browser, joined = await world.doctor("Dr Ada")
    mid = joined["member_id"]
    assert (await browser.get(f"/api/v1/me/memberships/{mid}/calendar")).json() == {
        "active": False, "created_at": None}
    old = await link_for(browser, mid)
    new = await link_for(browser, mid)
    assert old != new
    anyone = world.clients.new()
    assert (await anyone.get(old)).status_code == 404  # replaced: the old URL stops at once
    assert (await anyone.get(new)).status_code == 200
    assert (await browser.get(f"/api/v1/me/memberships/{mid}/calendar")).json()["active"]
    assert (await browser.delete(f"/api/v1/me/memberships/{mid}/calendar")).status_code == 204
    gone = await anyone.get(new)
    assert gone.status_code == 404 and gone.json()["error"] == "calendar_not_found"
    other, _ = await world.doctor("Dr Ben")
    assert (await other.post(f"/api/v1/me/memberships/{mid}/calendar")).status_code == 404


async def test_the_secret_is_stored_only_as_a_hash(world: World, app: Any) -> None:
    from sqlalchemy import select

    from app.calendar.models import CalendarFeed
    from app.core.db import transaction

    browser, joined = await world.doctor("Dr Ada")
    path = await link_for(browser, joined["member_id"])
    secret = path.rsplit("/", 1)[1].removesuffix(".ics")
    async for db in transaction(app.state.db):
        [row] = list(await db.scalars(select(CalendarFeed)))
    assert secret not in row.token_hash and len(row.token_hash) == 64


async def test_no_feed_names_anyone(world: World) -> None:
    ada, joined = await world.doctor("Dr Ada Lovelace")
    await world.doctor("Dr Ben Franklin")
    start = next_weekday("TU")
    await make_series(world, frequency="weekly", start_date=start.isoformat(),
                      start_time="12:30", title="Check-in")
    await world.session()
    facilitator = await world.fa.post("/api/v1/account/calendar")
    assert facilitator.status_code == 201
    for path in (await link_for(ada, joined["member_id"]),
                 facilitator.json()["url"].removeprefix("http://testserver")):
        _, raw = await fetch(world, path)
        text = raw.decode()
        for name in ("Ada", "Lovelace", "Ben", "Franklin", "Facilitator", "fa@trust"):
            assert name not in text, (name, path)
        assert "ORGANIZER" not in text and "ATTENDEE" not in text
    _, raw = await fetch(world, facilitator.json()["url"].removeprefix("http://testserver"))
    assert f"/group?id={world.group_a['id']}".encode() in raw
    other = (await world.fb.post("/api/v1/account/calendar")).json()["url"]
    cal, _ = await fetch(world, other.removeprefix("http://testserver"))
    assert events(cal) == []  # another facilitator's groups only
