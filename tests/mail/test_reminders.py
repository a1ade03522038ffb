"""Reminders the day before and an hour before, at the right times (the test's clock, no
sleeps), to those who want them; changes and cancellations; neutral subjects, no other member's
name, nothing of what the group discusses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.mail.compose import day
from tests.mail.conftest import Post
from tests.mail.smtpd import Received, Smtpd

DESCRIPTION = "Balint work on difficult cases in paediatrics"


async def _setup(world: Any, post: Post) -> tuple[dict[str, Any], dict[str, str]]:
    """A session two days ahead; Dr Ann (email, reminders), Dr Ben (email, no reminders),
    Dr Cy (no email). The facilitator's membership has their account's email."""
    gid = world.group_a["id"]
    response = await world.fa.patch(f"/api/v1/groups/{gid}", json={"description": DESCRIPTION})
    assert response.status_code == 200, response.text
    emails = {}
    for name, email, reminders in (("Dr Ann", "ann@nhs.example", True),
                                   ("Dr Ben", "ben@nhs.example", False),
                                   ("Dr Cy", None, True)):
        browser, joined = await world.doctor(name)
        if email:
            response = await browser.put(
                f"/api/v1/me/memberships/{joined['member_id']}/contact",
                json={"email": email, "reminders": reminders})
            assert response.status_code == 200, response.text
            emails[name] = email
    start = post.clock.now + timedelta(days=2)
    response = await world.fa.post(f"/api/v1/groups/{gid}/sessions", json={
        "scheduled_start": start.isoformat(), "duration_minutes": 90, "title": "Case work"})
    assert response.status_code == 201, response.text
    return response.json(), emails


def _check_neutral(world: Any, got: list[Received]) -> None:
    for one in got:
        subject, body = one.message["Subject"], one.body
        assert subject.startswith("Rounds: your session on ")
        for secret in ("Dr Ann", "Dr Ben", "Dr Cy", world.group_a["name"], DESCRIPTION,
                       "Case work", "FY1"):
            assert secret not in subject and secret not in body, (secret, subject)


async def test_reminders_come_a_day_and_an_hour_before_to_those_who_want_them(
        world: Any, post: Post, smtpd: Smtpd) -> None:
    session, emails = await _setup(world, post)
    start = post.clock.now + timedelta(days=2)
    post.clock.now = start - timedelta(hours=25)
    assert await post.reminders.run_once() == 0  # more than a day ahead
    post.clock.now = start - timedelta(hours=23, minutes=59)
    assert await post.reminders.run_once() == 2  # Dr Ann and the facilitator
    post.clock.advance(minutes=30)
    assert await post.reminders.run_once() == 0  # once only
    await post.sender.deliver_due()
    assert sorted(r.to[0] for r in smtpd.received) == ["ann@nhs.example", "fa@trust.nhs.uk"]
    assert all(r.message["Subject"] == f"Rounds: your session on {day(start, 'Europe/London')}"
               for r in smtpd.received)
    assert "tomorrow" in smtpd.received[0].body

    post.clock.now = start - timedelta(minutes=59)
    assert await post.reminders.run_once() == 2
    await post.sender.deliver_due()
    hour = smtpd.received[2:]
    assert len(hour) == 2
    assert "in about an hour" in hour[0].body
    post.clock.now = start + timedelta(minutes=1)
    assert await post.reminders.run_once() == 0
    _check_neutral(world, smtpd.received)
    assert "ben@nhs.example" not in {r.to[0] for r in smtpd.received}


async def test_a_member_turns_reminders_off(world: Any, post: Post, smtpd: Smtpd) -> None:
    browser, joined = await world.doctor("Dr Dee")
    url = f"/api/v1/me/memberships/{joined['member_id']}/contact"
    assert (await browser.put(url, json={"email": "dee@nhs.example"})).status_code == 200
    bad = await browser.put(url, json={"email": "dee at nhs"})
    assert bad.status_code == 422 and bad.json()["error"] == "bad_email"
    mine = (await browser.get("/api/v1/me/memberships")).json()
    assert (mine[0]["email"], mine[0]["reminders"]) == ("dee@nhs.example", True)
    roster = (await world.fa.get(f"/api/v1/groups/{world.group_a['id']}/members")).json()
    assert "dee@nhs.example" not in str(roster)  # the doctor's email is not the roster's
    off = await browser.put(url, json={"email": "dee@nhs.example", "reminders": False})
    assert off.json() == {"email": "dee@nhs.example", "reminders": False}
    start = post.clock.now + timedelta(minutes=50)
    response = await world.fa.post(f"/api/v1/groups/{world.group_a['id']}/sessions", json={
        "scheduled_start": start.isoformat(), "duration_minutes": 60})
    assert response.status_code == 201
    assert await post.reminders.run_once() == 1  # the facilitator's only
    await post.sender.deliver_due()
    assert [r.to for r in smtpd.received] == [["fa@trust.nhs.uk"]]
    other = world.clients.new()
    refused = await other.put(url, json={"email": "x@nhs.example"})
    assert refused.status_code == 404


async def test_changes_and_cancellations_reach_everyone_with_an_email(
        world: Any, post: Post, smtpd: Smtpd) -> None:
    session, emails = await _setup(world, post)
    old = post.clock.now + timedelta(days=2)
    new = old + timedelta(days=7)
    response = await world.fa.patch(f"/api/v1/sessions/{session['id']}",
                                    json={"scheduled_start": new.isoformat()})
    assert response.status_code == 200, response.text
    response = await world.fa.patch(f"/api/v1/sessions/{session['id']}",
                                    json={"title": "Renamed"})  # no email for a title
    await post.sender.deliver_due()
    changed = smtpd.received
    assert sorted(r.to[0] for r in changed) == ["ann@nhs.example", "ben@nhs.example",
                                               "fa@trust.nhs.uk"]
    tz = "Europe/London"
    assert {r.message["Subject"] for r in changed} == {
        f"Rounds: your session on {day(old, tz)} has changed"}
    assert day(new, tz) in changed[0].body
    response = await world.fa.patch(f"/api/v1/sessions/{session['id']}",
                                    json={"status": "ended"})
    assert response.status_code == 200, response.text
    await post.sender.deliver_due()
    cancelled = smtpd.received[3:]
    assert {r.message["Subject"] for r in cancelled} == {
        f"Rounds: your session on {day(new, tz)} is cancelled"}
    assert len(cancelled) == 3
    _check_neutral(world, smtpd.received)


async def test_a_cancelled_occurrence_emails_its_reason(
        world: Any, post: Post, smtpd: Smtpd) -> None:
    """Cancelling one session with a reason (the schedule's cancel) tells everyone by email."""
    session, _ = await _setup(world, post)
    response = await world.fa.post(f"/api/v1/sessions/{session['id']}/cancel",
                                   json={"reason": "Rotation change-over week"})
    assert response.status_code == 200, response.text
    await post.sender.deliver_due()
    assert sorted(r.to[0] for r in smtpd.received) == ["ann@nhs.example", "ben@nhs.example",
                                                      "fa@trust.nhs.uk"]
    assert all("Rotation change-over week" in r.body for r in smtpd.received)
    assert {r.message["Subject"].endswith("is cancelled") for r in smtpd.received} == {True}
    _check_neutral(world, smtpd.received)
    # the attached event is the one the facilitator's calendar feed shows: same UID, cancelled
    from icalendar import Calendar

    attached = {r.calendar for r in smtpd.received}
    assert len(attached) == 1 and None not in attached
    (event,) = Calendar.from_ical(attached.pop()).walk("VEVENT")
    feed = await world.fa.post("/api/v1/account/calendar")
    assert feed.status_code == 201, feed.text
    path = feed.json()["url"].split("/api/v1", 1)[1]
    ics = await world.fa.get(f"/api/v1{path}")
    assert ics.status_code == 200, ics.text
    shown = {str(e["uid"]): e for e in Calendar.from_ical(ics.content).walk("VEVENT")}
    assert str(event["uid"]) in shown
    assert str(event["status"]) == str(shown[str(event["uid"])]["status"]) == "CANCELLED"
    assert "Rotation change-over week" in str(event["description"])
