"""A doctor goes from an invite link to the room of a live session: the app's join token admits a
real aiortc client over the app's own WebSocket, and nothing else does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.accounts.service import create_account
from app.core.config import Settings
from app.core.db import create_engine, session_factory, transaction
from app.main import create_app
from rtc.client import Client
from tests.app.conftest import PASSWORD
from tests.live import serve


async def _admin(settings: Settings) -> None:
    engine = create_engine(settings.db_url)
    async for db in transaction(session_factory(engine)):
        await create_account(db, email="fa@trust.nhs.uk", display_name="Dr F", password=PASSWORD,
                             is_admin=True)
    await engine.dispose()


def _csrf(client: httpx.Client) -> dict[str, str]:
    return {"x-csrf-token": client.cookies["rounds_csrf"]}


async def test_invite_to_room(settings: Settings) -> None:
    await _admin(settings)
    with serve(create_app(settings)) as base:
        ws_url = base.replace("http", "ws") + "/rtc"
        with httpx.Client(base_url=base) as fac, httpx.Client(base_url=base) as doc:
            fac.post("/api/v1/auth/login", json={"email": "fa@trust.nhs.uk", "password": PASSWORD})
            me = fac.get("/api/v1/auth/me").json()
            group = fac.post("/api/v1/groups", json={"name": "FY1", "facilitator_id": me["id"]},
                             headers=_csrf(fac)).json()
            start = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
            session = fac.post(f"/api/v1/groups/{group['id']}/sessions",
                               json={"scheduled_start": start}, headers=_csrf(fac)).json()
            link = fac.post(f"/api/v1/groups/{group['id']}/invites", json={},
                            headers=_csrf(fac)).json()["link"]
            doc.post("/api/v1/invites/accept",
                     json={"token": link.split("#")[1], "display_name": "Dr Ada"})
            fac.patch(f"/api/v1/sessions/{session['id']}", json={"status": "open"}, headers=_csrf(fac))
            fgrant = fac.post(f"/api/v1/sessions/{session['id']}/join",
                              json={"ground_rules_version": 1}, headers=_csrf(fac)).json()
            waiting = doc.post(f"/api/v1/sessions/{session['id']}/join",
                               json={"ground_rules_version": 1}, headers=_csrf(doc))
            assert waiting.status_code == 202
            member_id = doc.get("/api/v1/me/memberships").json()[0]["member_id"]
            fac.post(f"/api/v1/sessions/{session['id']}/lobby/{member_id}/admit", headers=_csrf(fac))
            dgrant = doc.post(f"/api/v1/sessions/{session['id']}/join",
                              json={"ground_rules_version": 1}, headers=_csrf(doc)).json()

        facilitator = Client(ws_url, fgrant["token"])
        doctor = Client(ws_url, dgrant["token"])
        try:
            await facilitator.connect(publish=False)
            await doctor.connect(publish=False)
            assert facilitator.id == fgrant["participant_id"]
            assert doctor.id == dgrant["participant_id"]
            peer = await facilitator.expect("peer_joined", since=0)
            assert peer["peer"]["id"] == doctor.id
            assert peer["peer"]["name"] == "Dr Ada" and peer["peer"]["role"] == "member"
        finally:
            await doctor.close()
            await facilitator.close()

        forged = Client(ws_url, dgrant["token"][:-4] + "AAAA")
        with pytest.raises(RuntimeError, match="server error bad-token: join token signature"):
            await forged.connect(publish=False)
        await forged.close(leave=False)
