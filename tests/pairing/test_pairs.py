"""Near-peer pairs through the API and the real room: doctors volunteer and ask from the
scheme's link, the lead matches them (the scheme's proposal, never within a department), each
pair meets in its own room over the real WebSocket, arranges a meeting, and either ends it
privately; nobody else sees anything but counts, and nothing of an ended pair stays."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from app.core.config import Settings
from app.main import create_app
from rtc.client import Client
from tests.app.conftest import PASSWORD
from tests.dropin.test_drop_in_room import _call, _closed_with, _everything, _host_account
from tests.live import serve

PEOPLE = [
    ("senior", "Dr Priya Senior", "Medicine", "Royal", "Cardiology"),
    ("senior", "Dr Owen Senior", "Surgery", "General", "Orthopaedics"),
    ("junior", "Dr Jo Junior", "Medicine", "Royal", "Cardiology"),  # Priya's department
    ("junior", "Dr Kim Junior", "Medicine", "Royal", "Respiratory"),
]


async def test_a_near_peer_match_and_its_private_room(settings: Settings) -> None:
    await _host_account(settings)
    with serve(create_app(settings)) as base:
        ws_url = base.replace("http", "ws") + "/rtc"
        async with httpx.AsyncClient(base_url=base) as lead, \
                httpx.AsyncClient(base_url=base) as doctors:
            await _call(lead, "POST", "/auth/login",
                        json={"email": "host@trust.nhs.uk", "password": PASSWORD})
            scheme = await _call(lead, "POST", "/pairing-schemes", status=201,
                                 json={"name": "FY near-peer pairs"})
            key = scheme["link"].split("#", 1)[1]
            assert (await _call(doctors, "POST", "/pairing/scheme", json={"key": key}))["name"] \
                == "FY near-peer pairs"
            tokens: dict[str, str] = {}
            for seniority, name, specialty, site, department in PEOPLE:
                joined = await _call(doctors, "POST", "/pairing/join", status=201, json={
                    "key": key, "seniority": seniority, "name": name,
                    "email": f"{name.split()[1].lower()}@nhs.example", "specialty": specialty,
                    "site": site, "department": department})
                tokens[name] = joined["token"]
            waiting = await _call(doctors, "POST", "/pairing/me",
                                  json={"token": tokens["Dr Jo Junior"]})
            assert waiting["status"] == "waiting" and waiting["partner"] is None

            detail = await _call(lead, "GET", f"/pairing-schemes/{scheme['id']}")
            ids = {p["name"]: p["id"] for p in detail["waiting"]}
            assert detail["counts"] == {"seniors_waiting": 2, "juniors_waiting": 2,
                                        "pairs_active": 0, "pairs_ended": 0}
            same = await _call(lead, "POST", f"/pairing-schemes/{scheme['id']}/pairs",
                               status=409, json={"senior_id": ids["Dr Priya Senior"],
                                                 "junior_id": ids["Dr Jo Junior"]})
            assert same["error"] == "same_department"
            proposed = await _call(lead, "GET", f"/pairing-schemes/{scheme['id']}/proposal")
            pairs = {(p["senior"]["name"], p["junior"]["name"]) for p in proposed}
            # Kim asked later than Jo, but Priya (same specialty and site) may not have Jo
            assert pairs == {("Dr Priya Senior", "Dr Kim Junior"),
                             ("Dr Owen Senior", "Dr Jo Junior")}
            for p in proposed:
                await _call(lead, "POST", f"/pairing-schemes/{scheme['id']}/pairs", status=204,
                            json={"senior_id": p["senior"]["id"], "junior_id": p["junior"]["id"]})
            detail = await _call(lead, "GET", f"/pairing-schemes/{scheme['id']}")
            assert detail["waiting"] == []
            assert detail["counts"]["pairs_active"] == 2
            listed = await _call(lead, "GET", "/pairing-schemes")
            assert "Dr Kim Junior" not in str(listed) and "Dr Kim Junior" not in str(detail)

            kim = await _call(doctors, "POST", "/pairing/me",
                              json={"token": tokens["Dr Kim Junior"]})
            assert kim["status"] == "paired"
            assert kim["partner"] == {"name": "Dr Priya Senior", "specialty": "Medicine",
                                      "site": "Royal"}
            start = datetime(2027, 1, 12, 13, 0, tzinfo=UTC)
            arranged = await _call(doctors, "POST", "/pairing/meeting", json={
                "token": tokens["Dr Kim Junior"], "starts_at": start.isoformat(), "minutes": 45})
            assert arranged["next_meeting"] == {"starts_at": "2027-01-12T13:00:00Z", "minutes": 45}
            priya = await _call(doctors, "POST", "/pairing/me",
                                json={"token": tokens["Dr Priya Senior"]})
            assert priya["next_meeting"] == arranged["next_meeting"]
            ics = await doctors.get(f"/api/v1/pairing/calendar/{tokens['Dr Priya Senior']}.ics")
            assert ics.status_code == 200 and "DTSTART:20270112T130000Z" in ics.text
            assert "Priya" not in ics.text and "Kim" not in ics.text

            grants = {n: await _call(doctors, "POST", "/pairing/room", json={"token": tokens[n]})
                      for n in ("Dr Kim Junior", "Dr Priya Senior", "Dr Jo Junior")}
            kim_rtc = Client(ws_url, grants["Dr Kim Junior"]["token"])
            priya_rtc = Client(ws_url, grants["Dr Priya Senior"]["token"])
            jo_rtc = Client(ws_url, grants["Dr Jo Junior"]["token"])
            try:
                await kim_rtc.connect(publish=False)
                await priya_rtc.connect(publish=False)
                await jo_rtc.connect(publish=False)  # in the other pair's room
                peer = await kim_rtc.expect("peer_joined", since=0)
                assert peer["peer"]["name"] == "Dr Priya Senior"
                rooms = {c.id: [m for m in c.messages if m["type"] == "joined"][0]["room"]
                         for c in (kim_rtc, priya_rtc, jo_rtc)}
                assert rooms[kim_rtc.id] == rooms[priya_rtc.id] != rooms[jo_rtc.id]
                assert not [m for m in kim_rtc.messages if m["type"] == "peer_joined"
                            and m["peer"]["name"] == "Dr Jo Junior"]

                # Kim ends it: Priya is told only that it ended, and their room closes
                await _call(doctors, "POST", "/pairing/end", status=204,
                            json={"token": tokens["Dr Kim Junior"]})
                await _closed_with(priya_rtc, 4007)
                gone = await _call(doctors, "POST", "/pairing/me", status=404,
                                   json={"token": tokens["Dr Priya Senior"]})
                assert gone["error"] == "pairing_link_unknown" and "ended" in gone["detail"]
                refused = await _call(doctors, "POST", "/pairing/room", status=404,
                                      json={"token": tokens["Dr Kim Junior"]})
                assert refused["error"] == "pairing_link_unknown"
                detail = await _call(lead, "GET", f"/pairing-schemes/{scheme['id']}")
                assert detail["counts"] == {"seniors_waiting": 0, "juniors_waiting": 0,
                                            "pairs_active": 1, "pairs_ended": 1}
                jo = await _call(doctors, "POST", "/pairing/me",
                                 json={"token": tokens["Dr Jo Junior"]})
                assert jo["status"] == "paired"  # the other pair goes on
                assert "Dr Jo Junior" in await _everything(settings)

                # deleting the scheme takes everyone in it, and closes the pairs' rooms
                await _call(lead, "DELETE", f"/pairing-schemes/{scheme['id']}", status=204)
                await _closed_with(jo_rtc, 4007)
            finally:
                for client in (jo_rtc, priya_rtc, kim_rtc):
                    await client.close()
            assert (await _call(lead, "GET", "/pairing-schemes")) == []

    stored = await _everything(settings)
    for gone_name in ("Dr Kim Junior", "Dr Priya Senior", "kim@nhs.example", "Respiratory",
                      "Dr Jo Junior", "Dr Owen Senior", "FY near-peer pairs"):
        assert gone_name not in stored, gone_name


