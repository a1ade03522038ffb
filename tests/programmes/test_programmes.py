"""Programmes through the API, on SQLite and PostgreSQL: a CSV of 60 people allocated into
valid groups and invited; bad rows importing nothing; moves that break a rule refused; the
rotation change-over; the lead's view refusing names; only a programme lead, of their own
programme."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.attendance.models import AttendanceRecord
from app.audit.models import AuditEvent
from app.checkout.models import PulseCount
from app.core.db import transaction
from app.mail.models import MailKind, OutboxMessage
from app.members.models import Member
from app.sessions.models import Session, SessionStatus
from tests.programmes.conftest import (
    FACILITATOR_SLOTS,
    HEADER,
    LeadWorld,
    as_csv,
    email,
    person,
)

APART = [(0, 1), (5, 9)]
"""Who named whom: 0 will not share a group with 1 (an ex-partner), 5 with 9 (a supervisor)."""

LONDON = ZoneInfo("Europe/London")


def sixty() -> str:
    rows = [person(i) for i in range(60)]
    for a, b in APART:
        rows[a][-1] = email(b)
    return as_csv(rows)


async def _import(world: LeadWorld, text: str) -> int:
    response = await world.lead.post(f"{world.url}/import", json={"csv": text})
    assert response.status_code == 200, response.text
    return int(response.json()["imported"])


async def _outbox(app: Any) -> list[OutboxMessage]:
    rows: list[OutboxMessage] = []
    async for db in transaction(app.state.db):
        rows = list(await db.scalars(select(OutboxMessage)))
    return rows


def check_allocation(allocation: dict[str, Any], people: list[dict[str, Any]],
                     apart: list[tuple[int, int]]) -> None:
    """Every rule, checked here from the answer, not by the service's own check."""
    by_id = {p["id"]: p for p in people}
    number = {p["id"]: int(p["name"].rsplit(" ", 1)[1]) for p in people}
    placed = Counter(p["id"] for pl in allocation["placements"] for p in pl["people"])
    assert set(placed) == set(by_id) and set(placed.values()) == {1}  # everyone, once
    per_facilitator = Counter(pl["facilitator"] for pl in allocation["placements"])
    assert max(per_facilitator.values()) <= 2
    assert len({(pl["facilitator"], pl["slot"]) for pl in allocation["placements"]}) == len(
        allocation["placements"])  # nobody facilitates two groups at once
    for pl in allocation["placements"]:
        members = pl["people"]
        assert 6 <= len(members) <= 12
        n = int(pl["facilitator"].rsplit(" ", 1)[1])
        assert pl["slot"] in FACILITATOR_SLOTS[n]
        assert all(pl["slot"] in m["slots"] for m in members)
        for field in ("specialty", "site"):
            assert 2 * max(Counter(m[field] for m in members).values()) <= len(members)
        numbers = {number[m["id"]] for m in members}
        for a, b in apart:
            assert not {a, b} <= numbers


async def test_sixty_people_allocated_into_valid_groups_and_invited(
        lead_world: LeadWorld, app: Any) -> None:
    world = lead_world
    assert await _import(world, sixty()) == 60
    response = await world.lead.post(f"{world.url}/allocation")
    assert response.status_code == 200, response.text
    allocation = response.json()
    assert allocation["problems"] == [] and allocation["violations"] == []
    people = (await world.lead.get(f"{world.url}/people")).json()
    check_allocation(allocation, people, APART)
    placements = allocation["placements"]
    by_name = {p["name"]: p for p in people}

    # moves that would break a rule are refused, and change nothing
    zero, one = by_name["Dr Person 0"], by_name["Dr Person 1"]
    theirs = next(pl for pl in placements if pl["id"] == zero["placement_id"])
    if one["placement_id"] != theirs["id"]:
        refused = await world.lead.post(f"{world.url}/allocation/move", json={
            "person_id": one["id"], "placement_id": theirs["id"]})
        assert refused.status_code == 422 and refused.json()["error"] == "move_breaks_rule"
    elsewhere = next(pl for pl in placements if pl["slot"] != "TU 12:30")
    refused = await world.lead.post(f"{world.url}/allocation/move", json={
        "person_id": zero["id"], "placement_id": elsewhere["id"]})  # 0 can make Tuesdays only
    assert refused.status_code == 422 and refused.json()["error"] == "move_breaks_rule"
    assert "cannot make" in refused.json()["detail"]
    again = (await world.lead.get(f"{world.url}/allocation")).json()
    assert again["placements"] == placements

    response = await world.lead.post(f"{world.url}/allocation/confirm",
                                     json={"first_date": "2027-01-04"})
    assert response.status_code == 200, response.text
    assert response.json() == {"groups": len(placements), "invites": 60}
    queued = [m for m in await _outbox(app) if m.kind is MailKind.invite]
    assert sorted(m.recipient or "" for m in queued) == sorted(email(i) for i in range(60))
    assert all(re.search(r"http://testserver/join#\S+", m.body or "") for m in queued)
    assert all("Person" not in (m.subject or "") for m in queued)
    # each group exists with its facilitator and a weekly series at its slot
    confirmed = (await world.lead.get(f"{world.url}/allocation")).json()
    assert all(pl["confirmed"] for pl in confirmed["placements"])
    for fid, browser in world.facilitators:
        mine = (await browser.get("/api/v1/groups")).json()
        n = [f for f, _ in world.facilitators].index(fid)
        expected = [pl for pl in placements if pl["facilitator"] == f"Facilitator {n}"]
        assert len(mine) == len(expected)
        for group in mine:
            [series] = (await browser.get(f"/api/v1/groups/{group['id']}/series")).json()
            assert series["rule"].startswith("FREQ=WEEKLY")
    assert {p["status"] for p in (await world.lead.get(f"{world.url}/people")).json()} == {
        "invited"}
    async for db in transaction(app.state.db):
        actions = list(await db.scalars(select(AuditEvent.action).where(
            AuditEvent.object_type == "programme")))
    assert {"programme.import", "programme.allocate", "programme.confirm"} <= set(actions)


async def test_bad_rows_are_named_and_nothing_is_imported(lead_world: LeadWorld) -> None:
    world = lead_world
    rows = [person(i) for i in range(8)]
    rows[2][1] = "not-an-email"
    rows[4][5] = "31/02/2026"
    rows[5][7] = "FR 09:00"
    rows[6][1] = email(0)  # twice in one file
    rows[7][8] = email(7)  # keep apart from themselves
    response = await world.lead.post(f"{world.url}/import", json={"csv": as_csv(rows)})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "csv_rows_invalid"
    assert body["detail"] == "5 rows have problems: nothing was imported"
    assert {(r["row"], r["column"]) for r in body["rows"]} == {
        (4, "email"), (6, "rotation_start"), (7, "slots"), (8, "email"), (9, "avoid")}
    assert (await world.lead.get(f"{world.url}/people")).json() == []
    missing = await world.lead.post(f"{world.url}/import", json={
        "csv": as_csv([r[:4] for r in rows], HEADER[:4])})
    assert {r["column"] for r in missing.json()["rows"]} == {
        "site", "rotation_start", "rotation_end"}


async def test_an_impossible_allocation_is_explained_and_changes_nothing(
        lead_world: LeadWorld) -> None:
    world = lead_world
    rows = [person(i) for i in range(8)]
    for row in rows:
        row[3] = "Surgery"  # everyone one specialty, with mixing asked for
    await _import(world, as_csv(rows))
    response = await world.lead.post(f"{world.url}/allocation")
    assert response.status_code == 200
    [problem] = response.json()["problems"]
    assert "8 of 8 share the specialty surgery" in problem
    assert response.json()["placements"] == []


async def _accept(world: LeadWorld, message: OutboxMessage, name: str) -> None:
    token = re.search(r"/join#(\S+)", message.body or "")
    assert token is not None
    response = await world.clients.new().post("/api/v1/invites/accept", json={
        "token": token.group(1), "display_name": name})
    assert response.status_code == 201, response.text


async def test_changeover_ends_leavers_on_their_date_and_invites_newcomers(
        lead_world: LeadWorld, app: Any) -> None:
    world = lead_world
    await world.lead.put(f"{world.url}/rules", json={
        "slots": ["TU 12:30", "WE 13:00", "TH 12:30"], "min_size": 6, "max_size": 12})
    # The change-over is a Tuesday two to three weeks ahead, whatever the day: members who
    # accept today must start before their membership ends there.
    today = datetime.now(LONDON).date()
    changeover = today + timedelta(days=14 + (1 - today.weekday()) % 7)
    rows = [person(i, end=str(changeover + timedelta(weeks=18))) for i in range(14)]
    for row in rows:
        row[7] = "TU 12:30"  # one slot: every group meets on Tuesdays
    for i in (0, 1, 2):
        rows[i][6] = str(changeover)  # their rotation ends at the change-over
    await _import(world, as_csv(rows))
    proposed = (await world.lead.post(f"{world.url}/allocation")).json()
    assert proposed["problems"] == [], proposed
    response = await world.lead.post(f"{world.url}/allocation/confirm",
                                     json={"first_date": str(changeover - timedelta(weeks=13))})
    assert response.status_code == 200, response.text
    sent = {m.recipient: m for m in await _outbox(app)}
    await _accept(world, sent[email(0)], "Dr Zero")
    await _accept(world, sent[email(5)], "Dr Five")  # a stayer
    # newcomers: one of them will not share a group with Dr Person 5 (a stayer)
    newcomers = [person(i, start=str(changeover + timedelta(days=1)),
                        end=str(changeover + timedelta(weeks=35))) for i in (100, 101, 102)]
    for row in newcomers:
        row[7] = "TU 12:30"
    newcomers[0][8] = email(5)
    await _import(world, as_csv(newcomers))
    response = await world.lead.post(f"{world.url}/changeover", json={"on": str(changeover)})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["left"] == 3
    people = {p["name"]: p for p in (await world.lead.get(f"{world.url}/people")).json()}
    assert {people[f"Dr Person {i}"]["status"] for i in (0, 1, 2)} == {"left"}
    assert people["Dr Person 5"]["status"] == "invited"
    fitted = [people[f"Dr Person {i}"] for i in (100, 101, 102)]
    invited = [p for p in fitted if p["status"] == "invited"]
    assert result["invited"] == len(invited) and invited
    assert len(result["unplaced"]) == 3 - len(invited)
    groups = {pl["id"]: pl for pl in (await world.lead.get(f"{world.url}/allocation")).json()[
        "placements"]}
    if people["Dr Person 100"]["status"] == "invited":
        assert people["Dr Person 100"]["placement_id"] != people["Dr Person 5"]["placement_id"]
    for pl in groups.values():
        assert len([p for p in pl["people"] if p["status"] == "invited"]) <= 12
    queued = {m.recipient for m in await _outbox(app)}
    assert {email(i) for i, p in zip((100, 101, 102), fitted, strict=True)
            if p["status"] == "invited"} <= queued
    ends = datetime.combine(changeover + timedelta(days=1), time(), tzinfo=LONDON)
    async for db in transaction(app.state.db):
        members = {m.display_name: m for m in await db.scalars(select(Member))}
    assert members["Dr Zero"].ended_at == ends.astimezone(UTC)
    assert members["Dr Five"].ended_at is None


async def test_the_leads_view_refuses_names(lead_world: LeadWorld, app: Any) -> None:
    world = lead_world
    rows = [person(i) for i in range(7)]
    for row in rows:
        row[7], row[3], row[4] = "TU 12:30", "Medicine", "Community"
    await world.lead.put(f"{world.url}/rules", json={"slots": ["TU 12:30"]})
    await _import(world, as_csv(rows))
    assert (await world.lead.post(f"{world.url}/allocation")).json()["problems"] == []
    assert (await world.lead.post(f"{world.url}/allocation/confirm",
                                  json={"first_date": "2026-09-01"})).status_code == 200
    sent = {m.recipient: m for m in await _outbox(app)}
    await _accept(world, sent[email(3)], "Dr Secret Attender")
    [group_id] = [pl["group_id"] for pl in await _placements(app)]
    async for db in transaction(app.state.db):  # one session held, attended by Dr Secret
        member = await db.scalar(select(Member).where(Member.display_name == "Dr Secret "
                                                                             "Attender"))
        assert member is not None
        member_id = member.id
        start = datetime(2026, 9, 1, 11, 30, tzinfo=UTC)
        db.add(Session(group_id=group_id, scheduled_start=start, status=SessionStatus.ended,
                       started_at=start, ended_at=start))
        db.add(AttendanceRecord(member_id=member.id, group_id=group_id,
                                on_date=date(2026, 9, 1), minutes=85))
        session = await db.scalar(select(Session).where(Session.group_id == group_id))
        assert session is not None
        for question, answer, count in (("heard", "4", 4), ("heard", "5", 2), ("again", "yes", 3)):
            db.add(PulseCount(session_id=session.id, question=question, answer=answer,
                              count=count))
    figures = await world.lead.get(f"{world.url}/figures")
    assert figures.status_code == 200
    body = figures.json()
    assert (body["groups_running"], body["sessions_held"], body["attendances"]) == (1, 1, 1)
    # the pulse pooled over the programme's sessions, a question only from five answers up
    assert body["pulse"]["heard"] == {"shown": True, "answers": 6, "counts": {"4": 4, "5": 2}}
    assert body["pulse"]["again"] == {"shown": False, "answers": None, "counts": None}
    text = figures.text
    for secret in ("Dr Secret Attender", "Person", "nhs.example", str(member_id)):
        assert secret not in text
    # who came, and who is in the group, stay with the group's facilitator
    for path in (f"/api/v1/groups/{group_id}/attendance", f"/api/v1/groups/{group_id}/members",
                 f"/api/v1/groups/{group_id}/invites"):
        refused = await world.lead.get(path)
        assert refused.status_code == 403 and refused.json()["error"] == "not_your_group", path
    assert (await world.lead.get("/api/v1/admin/attendance")).status_code == 403


async def _placements(app: Any) -> list[dict[str, Any]]:
    from app.programmes.models import Placement

    found: list[dict[str, Any]] = []
    async for db in transaction(app.state.db):
        found = [{"id": p.id, "group_id": p.group_id} for p in await db.scalars(
            select(Placement))]
    return found


async def test_only_the_programmes_own_lead(lead_world: LeadWorld) -> None:
    world = lead_world
    facilitator = world.facilitators[0][1]
    refused = await facilitator.post("/api/v1/programmes", json={
        "name": "Mine", "slots": ["TU 12:30"]})
    assert refused.status_code == 403 and refused.json()["error"] == "programme_lead_required"
    assert (await facilitator.get(world.url)).status_code == 403
    other = await world.admin.post("/api/v1/accounts", json={
        "email": "lead2@trust.nhs.uk", "display_name": "Dr Other Lead",
        "password": "correct horse battery staple", "is_programme_lead": True})
    assert other.status_code == 201
    browser = world.clients.new()
    await browser.post("/api/v1/auth/login", json={
        "email": "lead2@trust.nhs.uk", "password": "correct horse battery staple"})
    for path in ("", "/people", "/allocation", "/figures"):
        response = await browser.get(world.url + path)
        assert response.status_code == 404, path
    assert (await world.admin.get(f"{world.url}/people")).status_code == 403
    assert (await world.lead.get(f"/api/v1/programmes/{uuid.uuid4()}")).status_code == 404


async def test_imported_people_are_purged_after_their_rotation(lead_world: LeadWorld, app: Any
                                                               ) -> None:
    from app.ops.retention import purge

    world = lead_world
    await _import(world, as_csv([person(1, end="2026-12-01"), person(2, end="2027-04-06")]))
    counts: dict[str, int] = {}
    async for db in transaction(app.state.db):  # 90 days after the first rotation, to the day
        counts = await purge(db, app.state.settings, now=datetime(2027, 3, 1, 12, tzinfo=UTC))
    assert counts["programme_people"] == 0
    async for db in transaction(app.state.db):  # a day later
        counts = await purge(db, app.state.settings, now=datetime(2027, 3, 2, 12, tzinfo=UTC))
    assert counts["programme_people"] == 1
    people = (await world.lead.get(f"{world.url}/people")).json()
    assert [p["name"] for p in people] == ["Dr Person 2"]


async def test_an_admin_makes_and_unmakes_a_programme_lead(lead_world: LeadWorld) -> None:
    world = lead_world
    fid, browser = world.facilitators[1]
    made = await world.admin.patch(f"/api/v1/accounts/{fid}", json={"is_programme_lead": True})
    assert made.status_code == 200 and made.json()["is_programme_lead"] is True
    assert (await browser.post("/api/v1/programmes", json={
        "name": "SAS doctors", "slots": ["TH 12:30"]})).status_code == 201
    unmade = await world.admin.patch(f"/api/v1/accounts/{fid}", json={"is_programme_lead": False})
    assert unmade.json()["is_programme_lead"] is False
    assert (await browser.get("/api/v1/programmes")).status_code == 403
    log = (await world.admin.get("/api/v1/audit", params={"object_id": fid})).json()
    edits = [r for r in log if r["action"] == "account.edit"]
    assert len(edits) == 2
    refused = await browser.patch(f"/api/v1/accounts/{fid}", json={"is_programme_lead": True})
    assert refused.status_code == 403  # only an admin gives the role


async def test_moves_are_checked_and_confirming_waits_for_every_rule(lead_world: LeadWorld
                                                                     ) -> None:
    world = lead_world
    await world.lead.put(f"{world.url}/rules", json={"slots": ["TU 12:30"]})
    rows = [person(i) for i in range(13)]
    for row in rows:
        row[7] = "TU 12:30"
    await _import(world, as_csv(rows))
    allocation = (await world.lead.post(f"{world.url}/allocation")).json()
    big, small = sorted(allocation["placements"], key=lambda p: -len(p["people"]))
    assert (len(big["people"]), len(small["people"])) == (7, 6)

    async def move(who: dict[str, Any], to: dict[str, Any]) -> dict[str, Any]:
        response = await world.lead.post(f"{world.url}/allocation/move", json={
            "person_id": who["id"], "placement_id": to["id"]})
        assert response.status_code == 200, response.text
        return dict(response.json())

    moved = await move(big["people"][0], small)  # 6 and 7: every rule holds
    assert moved["violations"] == []
    sizes = {p["id"]: len(p["people"]) for p in moved["placements"]}
    assert sizes == {big["id"]: 6, small["id"]: 7}
    moved = await move(big["people"][1], small)  # 5 and 8: too small to confirm
    assert moved["violations"] == [f"Group {big['number']} has 5 members (at least 6)."]
    refused = await world.lead.post(f"{world.url}/allocation/confirm",
                                    json={"first_date": "2026-09-01"})
    assert refused.status_code == 409 and refused.json()["error"] == "allocation_invalid"
    after = (await world.lead.get(f"{world.url}/allocation")).json()
    assert not any(p["confirmed"] for p in after["placements"])  # nothing half-made
    await move(big["people"][1], big)
    confirmed = await world.lead.post(f"{world.url}/allocation/confirm",
                                      json={"first_date": "2026-09-01"})
    assert confirmed.status_code == 200 and confirmed.json() == {"groups": 2, "invites": 13}



async def test_control_characters_and_unknown_zones_are_refused(lead_world: LeadWorld) -> None:
    world = lead_world
    rows = [person(1), person(2)]
    rows[1][0] = "Dr\x00Nul"
    response = await world.lead.post(f"{world.url}/import", json={"csv": as_csv(rows)})
    assert response.status_code == 422
    assert [(r["row"], r["column"]) for r in response.json()["rows"]] == [(3, "name")]
    zone = await world.lead.post("/api/v1/programmes", json={
        "name": "Elsewhere", "slots": ["TU 12:30"], "timezone": "Mars/Olympus_Mons"})
    assert zone.status_code == 422 and zone.json()["error"] == "invalid_request"
