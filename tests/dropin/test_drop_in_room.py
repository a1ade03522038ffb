"""A doctor drops into a peer network's room from its link: a name, the ground rules, waiting,
let in by a host over the real WebSocket; a host removes someone for good; and once the room
has closed, nothing in any table, log line or metric says who came."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.accounts.service import create_account
from app.core.config import Settings
from app.core.db import Base, create_engine, db_factory, transaction
from app.main import create_app
from rtc.client import Client
from tests.app.conftest import PASSWORD
from tests.live import serve

VISITOR, TROUBLE = "Quiet Registrar Zephyrine", "Loud Visitor Xanthippe"


async def _host_account(settings: Settings) -> None:
    engine = create_engine(settings.db_url)
    async for db in transaction(db_factory(engine)):
        await create_account(db, email="host@trust.nhs.uk", display_name="Sam Host",
                             password=PASSWORD, is_admin=True)
    await engine.dispose()


async def _everything(settings: Settings) -> str:
    """Every row of every table, as text."""
    engine = create_engine(settings.db_url)
    rows: list[str] = []
    async for db in transaction(db_factory(engine)):
        for table in Base.metadata.sorted_tables:
            rows.extend(repr(tuple(r)) for r in (await db.execute(select(table))).all())
    await engine.dispose()
    return "\n".join(rows)


async def _call(client: httpx.AsyncClient, method: str, path: str, *, status: int = 200,
                **kw: Any) -> Any:
    headers = {"x-csrf-token": client.cookies.get("rounds_csrf", "")}
    response = await client.request(method, f"/api/v1{path}", headers=headers, **kw)
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def _closed_with(client: Client, code: int) -> None:
    await client.expect("_closed", since=0, where=lambda m: m.get("code") == code)


async def test_drop_in_from_the_link_with_admit_remove_and_no_record(
        settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # the service's log level
    await _host_account(settings)
    start = datetime.now(UTC) - timedelta(minutes=5)  # the room's first opening began just now
    with serve(create_app(settings)) as base:
        ws_url = base.replace("http", "ws") + "/rtc"
        async with httpx.AsyncClient(base_url=base) as host, \
                httpx.AsyncClient(base_url=base) as doc, \
                httpx.AsyncClient(base_url=base) as other:
            await _call(host, "POST", "/auth/login",
                        json={"email": "host@trust.nhs.uk", "password": PASSWORD})
            me = await _call(host, "GET", "/auth/me")
            network = await _call(host, "POST", "/peer-networks", status=201,
                                  json={"name": "Tea and Empathy, North", "scope": "regional",
                                        "region": "North"})
            room = await _call(host, "POST", f"/peer-networks/{network['id']}/rooms",
                               status=201, json={
                                   "name": "Lunchtime room", "start_date": start.date().isoformat(),
                                   "start_time": start.strftime("%H:%M"), "timezone": "UTC",
                                   "duration_minutes": 60})
            assert room["open_now"] and not room["hosted"]
            # not yet a host: may not open the room
            refused = await _call(host, "POST", f"/drop-in-rooms/{room['id']}/host", status=403)
            assert refused["error"] == "not_a_host"
            await _call(host, "POST", f"/peer-networks/{network['id']}/hosts", status=204,
                        json={"account_id": me["id"]})
            key = network["link"].split("#", 1)[1]
            later = start + timedelta(days=2)
            closed = await _call(host, "POST", f"/peer-networks/{network['id']}/rooms",
                                 status=201, json={
                                     "name": "Evening room", "start_date": later.date().isoformat(),
                                     "start_time": later.strftime("%H:%M"), "timezone": "UTC"})
            assert not closed["open_now"] and closed["next"]["starts_at"].startswith(
                later.date().isoformat())
            for client, path, body in (
                    (host, f"/drop-in-rooms/{closed['id']}/host", {}),
                    (doc, f"/drop-in/rooms/{closed['id']}/knock",
                     {"key": key, "name": "Early bird", "ground_rules_version": 1})):
                early = await _call(client, "POST", path, status=409, json=body)
                assert early["error"] == "room_not_open"

            # the link: the network, its rooms and its ground rules, to anyone who has it
            seen = await _call(doc, "POST", "/drop-in/network", json={"key": key})
            assert seen["name"] == "Tea and Empathy, North"
            assert [r["id"] for r in seen["rooms"]] == [room["id"], closed["id"]]
            knock = {"key": key, "name": VISITOR, "ground_rules_version": 0}
            assert (await doc.post(f"/api/v1/drop-in/rooms/{room['id']}/knock",
                                   json=knock)).status_code == 422
            knock["ground_rules_version"] = seen["ground_rules_version"] + 1  # not what was shown
            stale = await _call(doc, "POST", f"/drop-in/rooms/{room['id']}/knock", status=409,
                                json=knock)
            assert stale["error"] == "ground_rules_changed"
            knock["ground_rules_version"] = seen["ground_rules_version"]
            visit = await _call(doc, "POST", f"/drop-in/rooms/{room['id']}/knock", status=202,
                                json=knock)
            waiting = await _call(doc, "POST", "/drop-in/visits/join", status=202,
                                  json={"ticket": visit["ticket"]})
            assert waiting["status"] == "waiting"

            hgrant = await _call(host, "POST", f"/drop-in-rooms/{room['id']}/host")
            assert hgrant["role"] == "facilitator"
            lobby = await _call(host, "GET", f"/drop-in-rooms/{room['id']}/lobby")
            assert lobby["waiting"] == [{"participant_id": visit["participant_id"],
                                         "name": VISITOR}]
            await _call(host, "POST",
                        f"/drop-in-rooms/{room['id']}/visits/{visit['participant_id']}/admit")
            dgrant = await _call(doc, "POST", "/drop-in/visits/join",
                                 json={"ticket": visit["ticket"]})
            assert dgrant["role"] == "member"
            assert dgrant["participant_id"] == visit["participant_id"]

            knock["name"] = TROUBLE
            visit2 = await _call(other, "POST", f"/drop-in/rooms/{room['id']}/knock",
                                 status=202, json=knock)
            await _call(host, "POST",
                        f"/drop-in-rooms/{room['id']}/visits/{visit2['participant_id']}/admit")
            ograng = await _call(other, "POST", "/drop-in/visits/join",
                                 json={"ticket": visit2["ticket"]})

            hosting = Client(ws_url, hgrant["token"])
            visitor = Client(ws_url, dgrant["token"])
            trouble = Client(ws_url, ograng["token"])
            try:
                await hosting.connect(publish=False)
                await visitor.connect(publish=False)
                peer = await hosting.expect("peer_joined", since=0)
                assert peer["peer"]["name"] == VISITOR and peer["peer"]["role"] == "member"
                await trouble.connect(publish=False)
                await hosting.expect("peer_joined", since=0,
                                     where=lambda m: m["peer"]["name"] == TROUBLE)
                network_now = await _call(host, "GET", f"/peer-networks/{network['id']}")
                assert network_now["rooms"][0]["hosted"]

                # removing: disconnected now; the same token and the ticket are refused
                mark = visitor.mark()
                await _call(host, "POST", f"/drop-in-rooms/{room['id']}/visits/"
                            f"{visit2['participant_id']}/remove")
                await _closed_with(trouble, 4008)
                await visitor.expect("peer_left", since=mark,
                                     where=lambda m: m["participant"] == visit2["participant_id"])
                again = Client(ws_url, ograng["token"])
                with pytest.raises(RuntimeError, match="server error removed"):
                    await again.connect(publish=False)
                await again.close(leave=False)
                gone = await _call(other, "POST", "/drop-in/visits/join", status=403,
                                   json={"ticket": visit2["ticket"]})
                assert gone["error"] == "removed"
                lobby = await _call(host, "GET", f"/drop-in-rooms/{room['id']}/lobby")
                assert lobby["inside"] == [{"participant_id": visit["participant_id"],
                                            "name": VISITOR}]

                await _call(host, "POST", f"/drop-in-rooms/{room['id']}/close", status=204)
                await _closed_with(visitor, 4007)
                assert (await _call(doc, "POST", "/drop-in/visits/join", status=404,
                                    json={"ticket": visit["ticket"]}))["error"] == \
                    "visit_not_found"
            finally:
                for client in (trouble, visitor, hosting):
                    await client.close()
            metrics = (await host.get("/metrics")).text
            # an admin deletes the room, then the network (its hosts go with it)
            await _call(host, "DELETE", f"/peer-networks/{network['id']}/rooms/{room['id']}",
                        status=204)
            rooms_left = (await _call(host, "GET", f"/peer-networks/{network['id']}"))["rooms"]
            assert [r["id"] for r in rooms_left] == [closed["id"]]
            await _call(host, "DELETE", f"/peer-networks/{network['id']}", status=204)
            assert await _call(host, "GET", "/peer-networks") == []
            assert (await _call(doc, "POST", "/drop-in/network", status=404,
                                json={"key": key}))["error"] == "network_link_unknown"

    stored = await _everything(settings)
    # the server's log lines (the test's own clients log their requests: not the server's)
    lines = [r.getMessage() for r in caplog.records
             if not r.name.startswith(("httpx", "httpcore", "websockets.client"))]
    assert any("a participant joined room drop-in-" in line for line in lines)  # captured
    logged = "\n".join(lines)
    secrets = [VISITOR, TROUBLE, visit["participant_id"], visit2["participant_id"],
               visit["ticket"], visit2["ticket"], "Zephyrine", "Xanthippe"]
    for secret in secrets:
        assert secret not in stored, secret
        assert secret not in logged, secret
        assert secret not in metrics, secret
    # the audit log says a room opened and closed, and by whom: the host, not the visitors
    assert "drop_in.open" in stored and "drop_in.close" in stored
    assert room["id"] in stored  # in the audit log's events only
    assert "Tea and Empathy, North" not in stored
