"""Series: rules in the group's time zone (across the clock changes), made into sessions,
edited as a whole or one occurrence at a time, cancelled with a reason; the lobby opening by
itself at the join window (the scheduler driven by an explicit clock); the late-join rule."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.core.db import transaction
from app.series import rules
from app.series.scheduler import Scheduler
from app.series.service import materialise_all
from app.sessions.models import Session
from tests.app.conftest import World

LONDON = ZoneInfo("Europe/London")
RULES = {"ground_rules_version": 1}


def local(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone(LONDON)


async def sessions_of(world: World, series_id: str | None = None) -> list[dict[str, Any]]:
    listed = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/sessions")).json()
    return [s for s in listed if series_id is None or s["series_id"] == series_id]


async def make_series(world: World, **body: Any) -> dict[str, Any]:
    response = await world.fa.post(f"/api/v1/groups/{world.group_a['id']}/series", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def next_weekday(code: str, weeks: int = 1) -> date:
    """A date of that weekday at least ``weeks`` weeks from today."""
    today = datetime.now(LONDON).date() + timedelta(weeks=weeks)
    return today + timedelta(days=(rules.WEEKDAYS.index(code) - today.weekday()) % 7)


# ---------------------------------------------------------------- the rule, pure


def test_a_weekly_series_keeps_its_local_time_across_the_october_change() -> None:
    first = rules.first_start(date(2026, 10, 13), time(12, 30), "Europe/London")
    text = rules.build(frequency="weekly", weekday_code="TU", week_of_month=None, first=first,
                       until=date(2026, 11, 3), count=None)
    starts = rules.Recurrence(text, first).expand(first, first + timedelta(days=60))
    assert [s.astimezone(LONDON).strftime("%d %b %H:%M") for s in starts] == [
        "13 Oct 12:30", "20 Oct 12:30", "27 Oct 12:30", "03 Nov 12:30"]
    # British Summer Time ends on 25 October 2026: the same wall clock, an hour later in UTC
    assert [s.astimezone(UTC).hour for s in starts] == [11, 11, 12, 12]


def test_fortnightly_monthly_and_skipped_dates() -> None:
    first = rules.first_start(date(2026, 9, 1), time(13, 0), "Europe/London")
    fortnightly = rules.build(frequency="fortnightly", weekday_code="TU", week_of_month=None,
                              first=first, until=None, count=4)
    assert fortnightly == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=4"
    skipped = rules.Recurrence(fortnightly, first, frozenset({date(2026, 9, 15)}))
    assert [s.date() for s in skipped.expand(first, first + timedelta(days=90))] == [
        date(2026, 9, 1), date(2026, 9, 29), date(2026, 10, 13)]
    second_tuesday = rules.build(frequency="monthly", weekday_code="TU", week_of_month=2,
                                 first=first, until=date(2026, 12, 31), count=None)
    monthly = rules.Recurrence(second_tuesday, first)
    assert [s.date() for s in monthly.expand(first, first + timedelta(days=150))] == [
        date(2026, 9, 8), date(2026, 10, 13), date(2026, 11, 10), date(2026, 12, 8)]
    assert rules.describe(skipped, 60) == (
        "Every other Tuesday at 13:00 for 60 minutes, from 1 September 2026, 4 sessions, "
        "skipping 15 September 2026")


@pytest.mark.parametrize(("text", "code"), [
    ("FREQ=DAILY", "bad_frequency"),
    ("FREQ=WEEKLY;BYDAY=XX", "bad_rule"),
    ("FREQ=WEEKLY;BYHOUR=9", "bad_rule"),
    ("FREQ=WEEKLY;UNTIL=20200101T000000Z", "until_before_start"),
    ("FREQ=WEEKLY;COUNT=9999", "bad_count"),
    ("<script>", "bad_rule"),
])
def test_bad_rules_are_refused_clearly(text: str, code: str) -> None:
    first = rules.first_start(date(2026, 9, 1), time(13, 0), "Europe/London")
    with pytest.raises(rules.RuleError) as refused:
        rules.check(rules.Recurrence(text, first))
    assert refused.value.code == code and refused.value.status == 422


# ---------------------------------------------------------------- through the API


async def test_a_series_makes_its_sessions_idempotently(world: World, app: Any) -> None:
    start = next_weekday("TU")
    series = await make_series(world, frequency="weekly", start_date=start.isoformat(),
                               start_time="12:30", duration_minutes=60, title="Balint",
                               skip=[(start + timedelta(weeks=2)).isoformat()])
    assert series["rule"] == "FREQ=WEEKLY;BYDAY=TU"
    assert series["description"].startswith("Every Tuesday at 12:30 for 60 minutes, from ")
    made = await sessions_of(world, series["id"])
    days = [local(s["scheduled_start"]).date() for s in made]
    assert start + timedelta(weeks=2) not in days  # skipped
    assert days[0] == start and len(days) >= 6
    assert all(local(s["scheduled_start"]).strftime("%H:%M") == "12:30" for s in made)
    async for db in transaction(app.state.db):
        assert await materialise_all(db, now=datetime.now(UTC)) == 0  # nothing twice
    assert len(await sessions_of(world, series["id"])) == len(made)


async def test_bad_series_requests_get_clear_errors(world: World) -> None:
    url = f"/api/v1/groups/{world.group_a['id']}/series"
    start = next_weekday("TU").isoformat()
    before = (next_weekday("TU") - timedelta(days=7)).isoformat()
    cases = [
        ({"frequency": "weekly", "start_date": start, "start_time": "12:30", "until": before},
         "until_before_start"),
        ({"frequency": "weekly", "start_date": start, "start_time": "12:30", "until": start,
          "count": 3}, "until_or_count"),
        ({"frequency": "monthly", "start_date": start, "start_time": "12:30"},
         "bad_week_of_month"),
        ({"rule": "FREQ=SECONDLY", "start_date": start, "start_time": "12:30"}, "bad_frequency"),
        ({"start_date": start, "start_time": "12:30"}, "invalid_request"),
        ({"frequency": "weekly", "weekday": "XX", "start_date": start, "start_time": "12:30"},
         "invalid_request"),
    ]
    for body, code in cases:
        response = await world.fa.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"] == code, (body, response.json())
        assert response.json()["detail"]
    assert (await world.fb.post(url, json=cases[0][0])).status_code == 403


async def test_edit_the_whole_series_or_one_occurrence(world: World) -> None:
    start = next_weekday("TU")
    series = await make_series(world, frequency="weekly", start_date=start.isoformat(),
                               start_time="12:30", duration_minutes=60)
    first, second, *rest = await sessions_of(world, series["id"])
    moved = (local(second["scheduled_start"]) + timedelta(hours=2)).isoformat()
    edited = await world.fa.patch(f"/api/v1/sessions/{second['id']}",
                                  json={"scheduled_start": moved, "title": "Moved"})
    assert edited.status_code == 200 and edited.json()["detached"] is True
    whole = await world.fa.put(f"/api/v1/series/{series['id']}", json={
        "frequency": "weekly", "start_date": start.isoformat(), "start_time": "13:00",
        "duration_minutes": 75, "title": "Later"})
    assert whole.status_code == 200, whole.text
    assert whole.json()["sequence"] == 1
    after = {s["id"]: s for s in await sessions_of(world, series["id"])}
    assert first["id"] in after and rest[0]["id"] in after  # same sessions, same links
    assert local(after[first["id"]]["scheduled_start"]).strftime("%H:%M") == "13:00"
    assert after[first["id"]]["duration_minutes"] == 75
    assert after[second["id"]]["title"] == "Moved"  # edited on its own: left as it was
    assert local(after[second["id"]]["scheduled_start"]).strftime("%H:%M") == "14:30"
    fortnightly = await world.fa.put(f"/api/v1/series/{series['id']}", json={
        "frequency": "fortnightly", "start_date": start.isoformat(), "start_time": "13:00",
        "duration_minutes": 75, "title": "Later"})
    assert fortnightly.status_code == 200
    kept = await sessions_of(world, series["id"])
    weeks = {(local(s["scheduled_start"]).date() - start).days // 7 for s in kept
             if not s["detached"]}
    assert weeks and all(w % 2 == 0 for w in weeks)  # the odd weeks have gone


async def test_cancel_one_occurrence_and_members_see_why(world: World) -> None:
    browser, _ = await world.doctor("Dr Ada")
    start = next_weekday("WE")
    series = await make_series(world, frequency="weekly", start_date=start.isoformat(),
                               start_time="12:30", duration_minutes=60)
    target = (await sessions_of(world, series["id"]))[1]
    cancel = await world.fa.post(f"/api/v1/sessions/{target['id']}/cancel",
                                 json={"reason": "Rotation change-over week"})
    assert cancel.status_code == 200, cancel.text
    assert cancel.json()["status"] == "ended"
    assert cancel.json()["cancel_reason"] == "Rotation change-over week"
    again = await world.fa.post(f"/api/v1/sessions/{target['id']}/cancel", json={"reason": "x"})
    assert again.status_code == 409 and again.json()["error"] == "not_cancellable"
    empty = await world.fa.post(f"/api/v1/sessions/{target['id']}/cancel", json={"reason": ""})
    assert empty.status_code == 422
    mine = (await browser.get("/api/v1/me/memberships")).json()[0]
    assert [(c["id"], c["cancel_reason"]) for c in mine["cancelled"]] == [
        (target["id"], "Rotation change-over week")]


# ---------------------------------------------------------------- the join window


async def test_the_lobby_opens_by_itself_at_the_window(world: World, app: Any) -> None:
    browser, _ = await world.doctor("Dr Ada")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    session = (await world.fa.post(f"/api/v1/groups/{world.group_a['id']}/sessions", json={
        "scheduled_start": start.isoformat(), "duration_minutes": 60})).json()
    early = await browser.post(f"/api/v1/sessions/{session['id']}/join", json=RULES)
    assert early.status_code == 409 and early.json()["error"] == "session_not_open"
    await world.fa.patch(f"/api/v1/groups/{world.group_a['id']}",
                         json={"join_window_minutes": 15})
    clock = {"now": start - timedelta(minutes=16)}
    scheduler = Scheduler(app.state.db, app.state.facilitation, clock=lambda: clock["now"])
    due = await scheduler.tick()
    assert due == start - timedelta(minutes=15)  # when it will wake next
    state = (await world.fa.get(f"/api/v1/sessions/{session['id']}")).json()["status"]
    assert state == "scheduled"
    clock["now"] = start - timedelta(minutes=15)
    await scheduler.tick()
    assert (await world.fa.get(f"/api/v1/sessions/{session['id']}")).json()["status"] == "open"


async def test_a_member_may_wait_once_the_window_has_come(world: World) -> None:
    """Computed on read as well: the window has come even if the scheduler has not run."""
    browser, _ = await world.doctor("Dr Ada")
    start = datetime.now(UTC) + timedelta(minutes=5)
    session = (await world.fa.post(f"/api/v1/groups/{world.group_a['id']}/sessions", json={
        "scheduled_start": start.isoformat(), "duration_minutes": 60})).json()
    waiting = await browser.post(f"/api/v1/sessions/{session['id']}/join", json=RULES)
    assert waiting.status_code == 202, waiting.text


# ---------------------------------------------------------------- late arrivals


async def _late_session(world: World, **settings: Any) -> dict[str, Any]:
    await world.fa.patch(f"/api/v1/groups/{world.group_a['id']}", json=settings)
    start = datetime.now(UTC) - timedelta(minutes=20)  # started 20 minutes ago
    session = (await world.fa.post(f"/api/v1/groups/{world.group_a['id']}/sessions", json={
        "scheduled_start": start.isoformat(), "duration_minutes": 90})).json()
    await world.fa.patch(f"/api/v1/sessions/{session['id']}", json={"status": "live"})
    return dict(session)


async def test_late_arrivals_find_the_room_locked(world: World) -> None:
    on_time, on_time_member = await world.doctor("Dr Ada")
    late, _ = await world.doctor("Dr Late")
    session = await _late_session(world, late_join="lock", late_after_minutes=30)
    assert (await on_time.post(f"/api/v1/sessions/{session['id']}/join", json=RULES)
            ).status_code == 202  # 20 minutes in: not late yet
    await world.fa.patch(f"/api/v1/groups/{world.group_a['id']}", json={"late_after_minutes": 15})
    refused = await late.post(f"/api/v1/sessions/{session['id']}/join", json=RULES)
    assert refused.status_code == 403 and refused.json()["error"] == "room_locked"
    state = (await world.fa.get(f"/api/v1/sessions/{session['id']}/state")).json()["state"]
    assert state["locked"] is True
    assert [w["participant_id"] for w in state["lobby"]] == [on_time_member["member_id"]]


async def test_late_arrivals_wait_for_the_next_phase(world: World, app: Any) -> None:
    late, joined = await world.doctor("Dr Late")
    session = await _late_session(world, late_join="next_phase", late_after_minutes=5)
    waiting = await late.post(f"/api/v1/sessions/{session['id']}/join", json=RULES)
    assert waiting.status_code == 202
    live = app.state.facilitation.live[session["id"]]
    assert live.live.held == (joined["member_id"],)
    begin = await world.fa.post(f"/api/v1/sessions/{session['id']}/facilitation",
                                json={"template_id": "default:check-in-round"})
    assert begin.status_code == 200, begin.text
    fac = (await world.fa.post(f"/api/v1/sessions/{session['id']}/join", json=RULES)).json()
    # the facilitator holds the controls and starts the first phase: a phase boundary
    from app.facilitation.actions import Sender, act
    from app.facilitation.messages import parse_action
    from app.facilitation.state import Presence

    who = fac["participant_id"]
    presence = Presence(roles={who: "facilitator"})

    def start_phase(s: Any) -> None:
        s.change(lambda state, now: act(
            state.model_copy(update={"controller": who}),
            parse_action("phase", {"action": "start"}), Sender(who, "facilitator", presence), now))

    await live.ask(start_phase)
    assert joined["member_id"] in live.live.admitted and live.live.held == ()
    grant = await late.post(f"/api/v1/sessions/{session['id']}/join", json=RULES)
    assert grant.status_code == 200, grant.text


async def test_occurrences_are_unique_per_series(world: World, app: Any) -> None:
    start = next_weekday("TH")
    series = await make_series(world, frequency="weekly", start_date=start.isoformat(),
                               start_time="09:00")
    async for db in transaction(app.state.db):
        rows = list(await db.scalars(select(Session.occurrence_at).where(
            Session.series_id == uuid.UUID(series["id"]))))
    assert len(rows) == len(set(rows))
